"""End-to-end accuracy check on real data through the real command line:

  1. export Fashion-MNIST (Debian's dataset-fashion-mnist) to OUT/train/<class>/ and
     OUT/val/<class>/ (1000 train + 200 val images per class by default);
  2. `python main.py train OUT --out RUN --epochs N` (Loupe's automatic choices otherwise);
  3. `python main.py classify RUN OUT/val --out RUN/val-classify.csv`;
  4. print the run's final and best validation accuracy (RUN/metrics.csv) and the accuracy
     of the classify CSV, where a row's true class is its file's parent folder.

    python benchmarks/fashion_mnist_check.py                      # ~5 min on 2 CPU cores
    python benchmarks/fashion_mnist_check.py --per-class 6000 --val-per-class 1000 --epochs 15
    python benchmarks/fashion_mnist_check.py -- --device cuda --batch-size 256   # extra train args

Fashion-MNIST for reference: a small CNN reaches about 90-93 % on the full data."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from fashion_mnist_export import CLASS_NAMES, SOURCE, export  # noqa: E402


def run_cli(args: list[str]) -> float:
    """Run `python main.py ARGS` in the repository, output straight to this terminal;
    returns the seconds it took. A non-zero exit ends the check."""
    cmd = [sys.executable, os.path.join(REPO, "main.py"), *args]
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    code = subprocess.call(cmd, cwd=REPO)
    if code != 0:
        raise SystemExit(f"'{args[0]}' failed with exit code {code}")
    return time.perf_counter() - t0


def read_metrics(run_dir: str) -> list[dict[str, str]]:
    with open(os.path.join(run_dir, "metrics.csv"), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def classify_accuracy(csv_path: str) -> tuple[float, int, dict[str, float]]:
    """Overall accuracy, rows, and per-class recall from a classify CSV (true class = the
    name of the file's parent folder)."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    with open(csv_path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            truth = os.path.basename(os.path.dirname(row["path"]))
            total[truth] += 1
            right[truth] += row["label"] == truth
    n = sum(total.values())
    per_class = {name: right[name] / total[name] for name in total}
    return sum(right.values()) / max(1, n), n, per_class


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Fashion-MNIST through `main.py train` and `main.py classify`.",
        epilog="Arguments after `--` go to `main.py train` as they are.",
    )
    p.add_argument("--data", default="/tmp/loupe-fmnist/data", help="export folder (reused)")
    p.add_argument("--run", default="/tmp/loupe-fmnist/run", help="run folder (replaced)")
    p.add_argument("--per-class", type=int, default=1000, help="train images per class")
    p.add_argument("--val-per-class", type=int, default=200, help="val images per class")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--source", default=SOURCE, help="folder of the idx .gz files")
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    args = p.parse_args(argv)

    data = f"{args.data}-{args.per_class}-{args.val_per_class}"
    t0 = time.perf_counter()
    counts = export(data, args.per_class, args.val_per_class, args.source)
    print(f"Data: {data}: {sum(counts['train'].values())} train, "
          f"{sum(counts['val'].values())} val images ({time.perf_counter() - t0:.1f} s)")  # fmt: skip

    shutil.rmtree(args.run, ignore_errors=True)
    train_s = run_cli(["train", data, "--out", args.run, "--epochs", str(args.epochs), *extra])
    rows = read_metrics(args.run)
    csv_path = os.path.join(args.run, "val-classify.csv")
    classify_s = run_cli(["classify", args.run, os.path.join(data, "val"), "--out", csv_path])
    acc, n, per_class = classify_accuracy(csv_path)

    last = rows[-1]
    best = max(rows, key=lambda r: float(r["val_acc"]))
    print("\n| epoch | train loss | train acc | val loss | val acc | seconds |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {int(r['epoch']) + 1} | {float(r['train_loss']):.3f} | "
              f"{float(r['train_acc']):.1%} | {float(r['val_loss']):.3f} | "
              f"{float(r['val_acc']):.1%} | {float(r['seconds']):.0f} |")  # fmt: skip
    print("\nPer-class accuracy (classify CSV): "
          + ", ".join(f"{c} {per_class.get(c, 0):.0%}" for c in CLASS_NAMES))  # fmt: skip
    print(
        f"\nFinal validation accuracy (epoch {int(last['epoch']) + 1}): {float(last['val_acc']):.2%}"
    )
    print(
        f"Best validation accuracy (epoch {int(best['epoch']) + 1}): {float(best['val_acc']):.2%}"
    )
    print(f"classify accuracy on {n} val images: {acc:.2%} (model = best epoch)")
    print(f"Times: train {train_s:.0f} s (incl. start-up), classify {classify_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
