"""Training throughput, in one run: Loupe's engine against the classic tutorial loop and
against the model's own ceiling.

For each case (small PNGs, photo-sized JPEGs) it measures training images per second of:
  loupe   core.train.loop.fit on a generated folder dataset. Figure: the median images/s of
          the StepEnded report windows (>= 0.25 s each) after the warm-up, i.e. after the
          first epoch and after the CPU thread tuner has chosen; the mean is printed too.
          The windows cover batching, augmentation and the step, not validation or
          checkpoints; "whole epochs" divides the training images by EpochEnded.seconds
          (validation and saving included). The one-off scan + decode into the cache
          ("prepare") is reported separately.
  naive   PyTorch's CIFAR-10 tutorial loop: ImageFolder + PIL transforms (RandomResizedCrop,
          RandomHorizontalFlip, ToTensor, Normalize), DataLoader(batch_size=4, shuffle=True,
          num_workers=2 as in the tutorial), the same architecture, SGD, plain fp32, torch's
          default thread count, `loss.item()` every step as in the tutorial. Mean images/s
          from its 10th batch (worker start-up excluded) to the end of one pass or a time
          cap. On the CPU, when Loupe's tuner chose another thread count, the loop runs
          again at that count, to separate the thread count from the data pipeline.
  pure    forward + backward + optimizer step only, on synthetic tensors already on the
          device: same model, Loupe's batch size, optimizer, precision, channels_last and
          the thread count Loupe's tuner chose. Median step. The ceiling for any pipeline.
  data    Loupe's data path alone (CachedSource.batches + augment_batch, no model), to show
          how much of a step the data costs.

Medians, because on a shared machine other jobs slow some steps by 2-8x; the load average
is printed at the start and the end.

    python benchmarks/train_throughput.py            # both cases, ~3-5 min on 2 CPU cores
    python benchmarks/train_throughput.py --quick    # ~1.5-3 min
    python benchmarks/train_throughput.py --precision on --no-naive    # bf16 autocast on CPU
    python benchmarks/train_throughput.py --device cuda --small-images 50000 --photo-images 5000

Datasets are generated under /tmp/loupe-bench (reused when present)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # run as a plain script from anywhere

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.throughput_baselines import run_data_path, run_naive, run_pure  # noqa: E402
from benchmarks.throughput_cases import Case, LoupeResult, Row, make_dataset  # noqa: E402


# -- (a) Loupe -----------------------------------------------------------------------------
def _step_sizes(n: int, batch: int) -> list[int]:
    """Images in each step of an epoch, as CachedSource yields them (a last batch of one is
    dropped: BatchNorm cannot train on it)."""
    sizes = [min(batch, n - s) for s in range(0, n, batch)]
    if len(sizes) > 1 and sizes[-1] == 1:
        sizes.pop()
    return sizes


def run_loupe(
    case: Case, data_dir: str, device: str, threads: int, precision: str, runs_dir: str
) -> LoupeResult:
    from core.device import choose_precision, resolve_device
    from core.events import EpochEnded, LogMessage, RunFinished, RunStarted, StepEnded
    from core.train.config import TrainConfig, from_dict
    from core.train.loop import fit

    dev = resolve_device(device)
    out = tempfile.mkdtemp(prefix=f"{case.name}-", dir=runs_dir)
    cfg = TrainConfig(
        data_dir=data_dir, out_dir=out, arch=case.arch, image_size=case.image_size,
        epochs=case.epochs, batch_size=case.batch_size, device=device, cpu_threads=threads,
        mixed_precision=precision,
    )  # fmt: skip
    # On the CPU the first steps try each thread count and precision (StepEnded.measuring):
    # they are warm-up too. The tuner's message once said "CPU threads: ..."; it became
    # "CPU: using ...", which this script waited for in vain: every step counted as tuning.
    t0 = time.perf_counter()
    tuner_bf16 = False
    prepare = 0.0
    sizes: list[int] = []
    prev_step: dict[int, int] = {}
    windows: list[tuple[int, float]] = []  # (images, seconds) per measured report
    epoch_seconds: list[float] = []
    started = finished = None
    log: list[str] = []
    for ev in fit(cfg):
        if isinstance(ev, RunStarted):
            started = ev
            prepare = time.perf_counter() - t0
            sizes = _step_sizes(ev.train_images, case.batch_size)
        elif isinstance(ev, StepEnded):
            first = prev_step.get(ev.epoch, -1) + 1
            prev_step[ev.epoch] = ev.step
            if ev.epoch >= 1 and not ev.measuring and ev.images_per_second > 0:
                n = sum(sizes[first : ev.step + 1])
                windows.append((n, n / ev.images_per_second))
        elif isinstance(ev, EpochEnded) and ev.epoch >= 1:
            epoch_seconds.append(ev.seconds)
        elif isinstance(ev, LogMessage):
            log.append(f"{ev.level}: {ev.text}")
            if ev.text.startswith("CPU:"):
                print(f"  loupe tuner: {ev.text}", flush=True)
                tuner_bf16 = "bf16" in ev.text.split("(")[0]  # "CPU: using 1 thread, bf16 (..."
        elif isinstance(ev, RunFinished):
            finished = ev
    shutil.rmtree(out, ignore_errors=True)
    if finished is None or finished.status != "completed" or started is None:
        print("\n".join(log[-20:]), file=sys.stderr)
        raise SystemExit(f"Loupe run failed: {finished.reason if finished else 'no result'}")
    if not windows:
        raise SystemExit(
            f"{case.name}: no training steps after the warm-up epoch and thread tuning; "
            "use more images or epochs."
        )
    resolved = from_dict(started.config)
    n_train = started.train_images
    images = sum(n for n, _ in windows)
    return LoupeResult(
        images_per_second=float(np.median([n / s for n, s in windows])),
        mean_images_per_second=images / sum(s for _, s in windows),
        epoch_images_per_second=n_train / max(float(np.mean(epoch_seconds)), 1e-9),
        prepare_seconds=prepare,
        threads=torch.get_num_threads(),  # the tuner's choice stays set after the run
        # The tuner may choose bf16 on the CPU under "auto": the pure step must use it too.
        precision="bf16" if tuner_bf16 else choose_precision(dev, resolved.mixed_precision).label,
        data_mode=started.data_mode,
        cfg=resolved,
        train_images=n_train,
        measured_images=images,
    )


# -- the whole benchmark ---------------------------------------------------------------------
def _timed(label: str, fn, *args) -> float:
    t = time.perf_counter()
    value = fn(*args)
    print(f"  {label}: {value:,.0f} img/s ({time.perf_counter() - t:.0f} s)", flush=True)
    return value


def run_case(case: Case, args: argparse.Namespace, default_threads: int) -> list[Row]:
    from core.device import resolve_device

    print(f"\n== {case.name}: {case.images} {case.fmt.upper()} {case.width}x{case.height}, "
          f"{case.arch} at {case.image_size} px, batch {case.batch_size}, {case.epochs} epochs ==",
          flush=True)  # fmt: skip
    data_dir = make_dataset(args.root, case)
    runs_dir = os.path.join(args.root, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    on_cpu = resolve_device(args.device).type == "cpu"

    t = time.perf_counter()
    loupe = run_loupe(case, data_dir, args.device, args.threads, args.precision, runs_dir)
    print(f"  loupe: {loupe.images_per_second:,.0f} img/s median, {loupe.mean_images_per_second:,.0f} "
          f"mean, {loupe.threads} thread(s) ({time.perf_counter() - t:.0f} s)", flush=True)  # fmt: skip
    pure = _timed("pure step", run_pure, case, loupe, args.device, args.pure_seconds)
    data = _timed("data path", run_data_path, case, loupe, args.device)
    naive_threads = args.naive_threads or default_threads
    naive = naive_same = None
    if not args.no_naive:
        naive = _timed(
            f"naive, {naive_threads} thread(s)", run_naive, case, data_dir, args.device,
            args.naive_workers, naive_threads, args.naive_seconds,
        )  # fmt: skip
    # On the CPU torch's default thread count can be the slow one on a small shared machine;
    # the tutorial loop again at Loupe's count separates that from the data pipeline.
    if not args.no_naive and on_cpu and loupe.threads != naive_threads:
        naive_same = _timed(
            f"naive, {loupe.threads} thread(s)", run_naive, case, data_dir, args.device,
            args.naive_workers, loupe.threads, args.naive_seconds,
        )  # fmt: skip

    thr = str(loupe.threads) if on_cpu else "GPU"
    w = args.naive_workers
    naive_note = (
        f"ImageFolder+PIL, {w} workers, up to {case.naive_images} images / {args.naive_seconds:g} s"
    )
    rows = [
        Row(case.name, LOUPE, case.batch_size, thr, loupe.precision, loupe.images_per_second,
            f"median report window after warm-up (mean {loupe.mean_images_per_second:,.0f}, "
            f"{loupe.measured_images} images); {loupe.data_mode}"),
        Row(case.name, "Loupe fit(), whole epochs", case.batch_size, thr, loupe.precision,
            loupe.epoch_images_per_second,
            f"epochs 2-{case.epochs}, incl. validation + checkpoints; one-off prepare "
            f"(scan + decode + build) {loupe.prepare_seconds:.1f} s"),
    ]  # fmt: skip
    if naive is not None:
        naive_thr = f"{naive_threads if on_cpu else 'GPU'} + {w} workers"
        rows.append(Row(case.name, NAIVE, 4, naive_thr, "fp32", naive, naive_note))
    if naive_same is not None:
        same_thr = f"{loupe.threads} + {w} workers"
        note = "as above, at Loupe's thread count"
        rows.append(Row(case.name, NAIVE_SAME, 4, same_thr, "fp32", naive_same, note))
    rows += [
        Row(case.name, PURE, case.batch_size, thr, loupe.precision, pure,
            "synthetic tensors in memory; median step"),
        Row(case.name, "Loupe data path only", case.batch_size, thr, "-", data,
            "CachedSource.batches + augment_batch, no model"),
    ]  # fmt: skip
    return rows


LOUPE = "Loupe fit(), training steps"
NAIVE = "naive tutorial loop"
NAIVE_SAME = "naive tutorial loop, Loupe's threads"
PURE = "pure model step"


def print_table(rows: list[Row]) -> None:
    print("\n| case | pipeline | batch | threads | precision | images/s | notes |")
    print("|---|---|---:|---|---|---:|---|")
    for r in rows:
        print(f"| {r.case} | {r.pipeline} | {r.batch} | {r.threads} | {r.precision} | "
              f"{r.images_per_second:,.0f} | {r.note} |")  # fmt: skip
    print()
    for case in dict.fromkeys(r.case for r in rows):
        by = {r.pipeline: r.images_per_second for r in rows if r.case == case}
        loupe = by[LOUPE]
        line = f"{case}: Loupe / pure step = {loupe / by[PURE]:.0%} of the model's ceiling"
        if NAIVE in by:
            line += f"; Loupe / naive = {loupe / by[NAIVE]:.1f}x"
        if NAIVE_SAME in by:
            line += f" ({loupe / by[NAIVE_SAME]:.1f}x at the same thread count)"
        print(line)


def build_cases(args: argparse.Namespace) -> list[Case]:
    q = args.quick
    small = Case(
        name="small", images=args.small_images or (1000 if q else 3000), width=32, height=32,
        fmt="png", classes=10, arch=args.small_arch, image_size=32,
        epochs=args.epochs or (2 if q else 3), batch_size=args.batch_size or 64,
        naive_images=args.naive_images or 1200, pure_steps=args.pure_steps or 30,
    )  # fmt: skip
    # 480 training images = 8 steps of 64: enough for the CPU thread tuner (2 warm-up steps,
    # then 3 per candidate count) to finish in the first epoch; --quick uses batches of 32.
    photos = Case(
        name="photos", images=args.photo_images or (240 if q else 600), width=500, height=375,
        fmt="jpeg", classes=5, arch=args.photo_arch, image_size=args.photo_size,
        epochs=args.epochs or 2, batch_size=args.batch_size or (32 if q else 64),
        naive_images=args.naive_images or 240, pure_steps=args.pure_steps or 10,
    )  # fmt: skip
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    return [c for c in (small, photos) if c.name in wanted]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer images and epochs (~1-2 min)")
    p.add_argument("--cases", default="small,photos", help="comma list of: small, photos")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--root", default="/tmp/loupe-bench", help="where data is generated")
    p.add_argument("--epochs", type=int, default=0, help="Loupe epochs (>= 2; first is warm-up)")
    p.add_argument("--batch-size", type=int, default=0, help="Loupe and pure-step batch (64)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for Loupe; 0 = its tuner")
    p.add_argument(
        "--precision", choices=("auto", "on", "off"), default="auto",
        help="Loupe's mixed_precision (auto: bf16/fp16 on CUDA, fp32 on CPU; on: bf16 on CPU)",
    )  # fmt: skip
    p.add_argument("--small-images", type=int, default=0, help="32x32 PNGs (3000)")
    p.add_argument("--small-arch", default="loupe_net")
    p.add_argument("--photo-images", type=int, default=0, help="500x375 JPEGs (600)")
    p.add_argument("--photo-arch", default="resnet18")
    p.add_argument("--photo-size", type=int, default=128, help="training px for the photos case")
    p.add_argument("--no-naive", action="store_true", help="skip the tutorial loop")
    p.add_argument("--naive-workers", type=int, default=2, help="tutorial DataLoader workers")
    p.add_argument("--naive-threads", type=int, default=0, help="0 = torch's default")
    p.add_argument("--naive-images", type=int, default=0, help="images in the tutorial's pass")
    p.add_argument("--naive-seconds", type=float, default=0, help="cap on its timed steps")
    p.add_argument("--pure-steps", type=int, default=0, help="timed steps (30 small, 10 photos)")
    p.add_argument("--pure-seconds", type=float, default=0, help="cap on their time")
    args = p.parse_args(argv)
    if args.epochs == 1:
        p.error("--epochs must be at least 2: the first epoch is warm-up and not counted")
    args.naive_seconds = args.naive_seconds or (10 if args.quick else 25)
    args.pure_seconds = args.pure_seconds or (10 if args.quick else 20)
    return args


def _load() -> str:
    """Other jobs on a shared machine move every figure: print the load beside them."""
    if not hasattr(os, "getloadavg"):
        return "load n/a"
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A private cache: Loupe's CPU tuner measures in this run instead of reusing a choice
    # remembered from the user's own runs (its steps are then left out as warm-up).
    os.environ.setdefault("LOUPE_CACHE_DIR", tempfile.mkdtemp(prefix="loupe-bench-cache-"))
    default_threads = torch.get_num_threads()  # before Loupe's tuner changes it
    os.makedirs(args.root, exist_ok=True)
    from core.device import describe_device, resolve_device

    dev = describe_device(resolve_device(args.device))
    print(f"{datetime.date.today()}  {platform.node()}  {dev}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, default threads {default_threads}, {_load()}")  # fmt: skip
    t0 = time.perf_counter()
    rows: list[Row] = []
    for case in build_cases(args):
        rows += run_case(case, args, default_threads)
    print_table(rows)
    print(f"\nTotal {time.perf_counter() - t0:.0f} s; {_load()}.")
    return 0


if __name__ == "__main__":  # the guard DataLoader workers need where they are spawned
    sys.exit(main())
