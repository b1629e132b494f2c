"""Data-parallel scaling: one process against N processes under torchrun, same data, same
epochs, same global batch (Loupe's batch size is the global one), same seed.

    python benchmarks/distributed_scaling.py                      # CPU: 1 vs 2 processes
    python benchmarks/distributed_scaling.py --device cuda --processes 8 --per-class 2000

Data: the generated MNIST-like digits (benchmarks/digits_dataset.py: 28 px, 10 classes,
--per-class training digits per class, Loupe holds out 20 % for validation, and a separate
test folder). On the CPU each of N processes gets cores // N threads (what Loupe itself
gives a torchrun process); the single process gets what Loupe's CPU tuner measures fastest
(its default; --single-threads T fixes it: on a loaded 2-core machine 2 threads ran 10x
slower than 1, which no process count should be credited with). Reports,
per setting: training images/s (training images x epochs / the epochs' seconds, from
metrics.csv: validation and checkpoints included), wall time of the whole command (start-up,
scan and decode included), the best validation accuracy and the test accuracy of the saved
model, and the ratios against the single process. The load average is printed: on a shared
machine it moves every figure."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def train(data: str, run: str, processes: int, args: argparse.Namespace) -> float:
    flags = ["train", data, "--out", run, "--epochs", str(args.epochs)]
    flags += ["--batch-size", str(args.batch_size), "--device", args.device, "--arch", args.arch]
    if args.device == "cpu":
        flags += ["--mixed-precision", "off"]
        if processes > 1 or args.single_threads:
            flags += ["--cpu-threads", str(args.single_threads or max(1, _cores() // processes))]
    if processes == 1:
        command = [sys.executable, "main.py", *flags]
    else:
        launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node"]
        command = [sys.executable, *launcher, str(processes), "main.py", *flags]
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, _cores() // processes))}
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"training with {processes} process(es) failed ({done.returncode})")
    return wall


def test_accuracy(run: str, test: str, device: str) -> float:
    from core.infer.inference import classify_paths, list_images, load_model_for_inference
    from core.infer.results import ClassifiedImage

    lm = load_model_for_inference(run, device)
    right = total = 0
    for item in classify_paths(lm, list_images(test), batch_size=256):
        if isinstance(item, ClassifiedImage):
            total += 1
            right += item.label == os.path.basename(os.path.dirname(item.path))
    return right / max(1, total)


def measure(data: str, test: str, run: str, processes: int, args) -> dict:
    wall = train(data, run, processes, args)
    with open(os.path.join(run, "metrics.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(run, "dataset.json"), encoding="utf-8") as f:
        counts = json.load(f)["counts"]
    train_images = sum(counts["train"].values())
    seconds = sum(float(r["seconds"]) for r in rows)
    return dict(
        processes=processes,
        images_per_second=train_images * len(rows) / seconds,
        epoch_seconds=seconds,
        wall=wall,
        val=max(float(r["val_acc"]) for r in rows),
        test=test_accuracy(run, test, args.device),
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=2, help="N of the torchrun run (default 2)")
    p.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (NCCL, one GPU each)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64, help="the global batch of both runs")
    p.add_argument("--arch", default="loupe_net")
    p.add_argument(
        "--single-threads", type=int, default=0, help="CPU threads of the single process (0: tuned)"
    )
    p.add_argument("--per-class", type=int, default=300, help="training digits per class")
    p.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "loupe-bench"))
    args = p.parse_args(argv)

    import digits_dataset

    data = os.path.join(args.root, f"digits-{args.per_class}")
    test = os.path.join(args.root, f"digits-{args.per_class}-test")
    digits_dataset.make(data, test, per_class=args.per_class, test_per_class=200, seed=0)
    print(f"load average before: {_load()}; {_cores()} cores; device {args.device}")
    results = []
    with tempfile.TemporaryDirectory(prefix="loupe-ddp-") as tmp:
        for processes in (1, args.processes):
            run = os.path.join(tmp, f"run-{processes}")
            results.append(measure(data, test, run, processes, args))
            print(f"  {processes} process(es) done; load average {_load()}", flush=True)
    base = results[0]
    print(
        f"\n{args.arch}, digits 28 px, {args.per_class} per class, {args.epochs} epochs, "
        f"global batch {args.batch_size}, {args.device}\n"
    )
    print("| processes | images/s | x | epochs' seconds | wall s | x | best val acc | test acc |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['processes']} | {r['images_per_second']:.0f} | "
            f"{r['images_per_second'] / base['images_per_second']:.2f} | "
            f"{r['epoch_seconds']:.1f} | {r['wall']:.1f} | {base['wall'] / r['wall']:.2f} | "
            f"{r['val']:.1%} | {r['test']:.1%} |"
        )
    print(f"\nload average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
