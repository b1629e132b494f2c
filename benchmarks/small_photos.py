"""A few hundred photos, no settings touched, offline: previous defaults vs today's.

Writes a generated photo-like set (core.data.demo_photos: 5 classes of textures and shapes,
96-160 px JPEGs, random colours, lighting, noise and clutter), then trains it with
`python main.py train DATA --out RUN` and no other flag, twice in the same run:

  before  the code of a previous commit (default 291e537, the layout of issue 7), extracted
          with `git archive` into a temporary folder: offline it trained loupe_net from
          scratch for a fixed 10 epochs
  after   this working tree: auto fine-tunes EfficientNet-Lite0 (ImageNet weights bundled)
          for enough optimizer steps

Both run with LOUPE_OFFLINE=1 (torchvision's downloads unreachable) and a private TORCH_HOME
(nothing cached), as a new user's offline machine. Prints the best validation accuracy, the
epochs, when each first reached 90 % (epoch and training seconds) and the wall time of each
(whole CLI process: start-up included).

    .venv/bin/python benchmarks/small_photos.py                 # 5 x 60 images
    .venv/bin/python benchmarks/small_photos.py --per-class 40 --before-ref 291e537
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core.data.demo_photos import write_demo_dataset  # noqa: E402


def extract(ref: str, dest: str) -> str:
    """The tree of commit `ref` in `dest` (git archive: no checkout, no worktree)."""
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", ref], check=True, capture_output=True
    ).stdout
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return dest


def train(tree: str, data: str, out: str, torch_home: str) -> dict:
    env = {
        **os.environ,
        "LOUPE_OFFLINE": "1",
        "TORCH_HOME": torch_home,
        "PYTHONPATH": tree,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, os.path.join(tree, "main.py"), "train", data, "--out", out],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"training in {tree} failed:\n{proc.stderr[-3000:]}")
    with open(os.path.join(out, "run.json"), encoding="utf-8") as f:
        summary = json.load(f)
    with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    with open(os.path.join(out, "metrics.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    epochs = len(rows)
    # When the run first reached 90 % validation accuracy: epochs and training seconds.
    reached, elapsed = None, 0.0
    for row in rows:
        elapsed += float(row["seconds"])
        if reached is None and float(row["val_acc"]) >= 0.9:
            reached = (int(row["epoch"]) + 1, elapsed)
    return dict(
        arch=config["arch"],
        pretrained=config.get("pretrained", False),
        image_size=config["image_size"],
        epochs=epochs,
        batch_size=config["batch_size"],
        best_val_acc=summary.get("best_val_acc") or 0.0,
        seconds=seconds,
        reached_90=reached,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--before-ref", default="291e537")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()

    root = args.root or tempfile.mkdtemp(prefix="loupe-small-photos-")
    data = os.path.join(root, "data")
    for _ in write_demo_dataset(data, per_class=args.per_class, seed=args.seed):
        pass
    images = args.per_class * 5
    print(f"data: {images} generated photo-like JPEGs, 5 classes, 96-160 px, in {data}")
    before_tree = extract(args.before_ref, os.path.join(root, f"tree-{args.before_ref}"))
    rows = []
    for name, tree in ((f"before ({args.before_ref})", before_tree), ("after (this tree)", ROOT)):
        out = os.path.join(root, name.split()[0])
        result = train(tree, data, out, os.path.join(root, "torch-home"))
        rows.append((name, result))
        print(f"{name}: {result}", flush=True)
    print()
    print(
        "| defaults | model | epochs | image size | best val. accuracy | >= 90 % after | wall time |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in rows:
        start = "ImageNet, fine-tuned" if r["pretrained"] else "from scratch"
        reached = r["reached_90"]
        when = f"epoch {reached[0]} ({reached[1]:.0f} s)" if reached else "never"
        print(
            f"| {name} | {r['arch']} ({start}) | {r['epochs']} | {r['image_size']} px | "
            f"{r['best_val_acc']:.1%} | {when} | {r['seconds']:.0f} s |"
        )
    before, after = rows[0][1], rows[1][1]
    print(
        f"\naccuracy {before['best_val_acc']:.1%} -> {after['best_val_acc']:.1%}; "
        f"time ratio after/before {after['seconds'] / before['seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
