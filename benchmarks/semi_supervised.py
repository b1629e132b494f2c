"""Does learning from unlabelled images pay? 20 labelled images per class plus a few thousand
unlabelled ones, the same settings and epochs: a labelled-only run against a run with
--unlabelled (FixMatch-style, core.train.semi_supervised), in one process on one thread.

Data (made on the spot, reused when present, under --root):
  digits     benchmarks/digits_dataset.py: 25 labelled digits per class (Loupe holds 5 out for
             validation: 20 train), 300 per class more as the unlabelled folder (their class
             folders are ignored: any layout is fine) and 100 per class as the test set
  fmnist     Fashion-MNIST from Debian's idx files (benchmarks/fashion_mnist_export.py) when
             installed: the same shares from its training set, its test set for the test

Test accuracy: the run's saved model classifies the test folder (the `classify` path).

    python benchmarks/semi_supervised.py                  # digits, ~3-6 min on one thread
    python benchmarks/semi_supervised.py --data fmnist --epochs 40
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def make_digits(root: str, labelled: int, unlabelled: int, test: int) -> tuple[str, str, str]:
    import digits_dataset

    data, unl, tst = (os.path.join(root, n) for n in ("labelled", "unlabelled", "test"))
    digits_dataset.make(data, tst, labelled, test, seed=0)
    # Another seed: other draws of the same fonts and jitter, none a copy of a labelled one.
    digits_dataset.make(unl, os.path.join(root, "unused-test"), unlabelled, 0, seed=1)
    return data, unl, tst


def make_fmnist(root: str, labelled: int, unlabelled: int, test: int) -> tuple[str, str, str]:
    import fashion_mnist_export as fm

    data, unl, tst = (os.path.join(root, n) for n in ("labelled", "unlabelled", "test"))
    if not os.path.isdir(tst):
        fm.export_shares(data, unl, tst, labelled, unlabelled, test)
    return data, unl, tst


def test_accuracy(run: str, test: str) -> float:
    from core.infer.inference import classify_paths, list_images, load_model_for_inference
    from core.infer.results import ClassifiedImage

    lm = load_model_for_inference(run, "cpu")
    right = total = 0
    for item in classify_paths(lm, list_images(test), batch_size=256):
        if isinstance(item, ClassifiedImage):
            total += 1
            right += item.label == os.path.basename(os.path.dirname(item.path))
    return right / max(1, total)


def train(data: str, run: str, unlabelled: str | None, args) -> dict:
    from core.train.config import TrainConfig
    from core.train.loop import fit
    from core.train.unlabelled_config import UnlabelledConfig

    shutil.rmtree(run, ignore_errors=True)
    semi = UnlabelledConfig(
        folder=unlabelled, threshold=args.threshold, ratio=args.ratio, weight=args.weight
    )
    cfg = TrainConfig(
        data_dir=data,
        out_dir=run,
        epochs=args.epochs,
        batch_size=args.batch,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
        unlabelled=semi,
    )
    t0 = time.perf_counter()
    finished = list(fit(cfg))[-1]
    wall = time.perf_counter() - t0
    if finished.status != "completed":
        raise SystemExit(f"training failed: {finished.reason}")
    with open(os.path.join(run, "run.json"), encoding="utf-8") as f:
        summary = json.load(f)
    return dict(
        wall=wall,
        best_val=finished.best_val_acc,
        record=summary.get("unlabelled") or {},
        reason=finished.reason,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="digits", choices=("digits", "fmnist"))
    p.add_argument("--labelled", type=int, default=25, help="per class, validation included")
    p.add_argument("--unlabelled", type=int, default=300, help="per class")
    p.add_argument("--test", type=int, default=100, help="per class")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--ratio", type=int, default=4)
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--root", default="/tmp/loupe-bench/semi-supervised")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    root = os.path.join(args.root, f"{args.data}-{args.labelled}-{args.unlabelled}")
    os.makedirs(root, exist_ok=True)
    make = make_digits if args.data == "digits" else make_fmnist
    data, unl, tst = make(root, args.labelled, args.unlabelled, args.test)
    print(f"torch {torch.__version__}, 1 thread, load {_load()}", flush=True)
    rows = {}
    for name, folder in (("labelled only", None), ("--unlabelled", unl)):
        result = train(data, os.path.join(root, "run-" + ("semi" if folder else "plain")), folder,
                       args)  # fmt: skip
        result["test"] = test_accuracy(os.path.join(root, "run-" + ("semi" if folder else "plain")),
                                       tst)  # fmt: skip
        rows[name] = result
        print(json.dumps({"run": name, **{k: v for k, v in result.items() if k != "reason"}}),
              flush=True)  # fmt: skip
    plain, semi = rows["labelled only"], rows["--unlabelled"]
    record = semi["record"]
    print(f"\n{args.data}: {args.labelled} labelled per class (20 % of them validation), "
          f"{record.get('images', 0):,} unlabelled, {args.epochs} epochs, batch {args.batch}, "
          f"ratio {args.ratio}, threshold {args.threshold}; load {_load()}")  # fmt: skip
    print("| run | test accuracy | best val | wall |")
    print("|---|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['test']:.1%} | {r['best_val']:.1%} | {r['wall']:.0f} s |")
    print(f"gain: {100 * (semi['test'] - plain['test']):+.1f} points of test accuracy; "
          f"wall-time ratio {semi['wall'] / plain['wall']:.1f}x; the run's own labelled-only "
          f"twin: {record.get('labelled_only_best_val_acc', float('nan')):.1%} best val; "
          f"confident share at the end {record.get('last_confident_share') or 0:.0%}")  # fmt: skip
    print(semi["reason"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
