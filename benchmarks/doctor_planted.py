"""Planted-problems check of the dataset doctor (issue 11) on real images.

Builds a Fashion-MNIST dataset (Debian's idx files) as OUT/train/<class>/ and OUT/test/<class>/,
plants known problems, runs `check_dataset` and prints precision/recall per finding kind:

- exact duplicates: a file re-saved as BMP (same pixels, other bytes) in the same class;
- resized JPEG copies: enlarged to 34-56 px and saved as JPEG (quality 85-95) in the same class;
- slight crops: 1 px cut from each edge (7 % of 28 px), same size restored, PNG;
- leaks: test images copied into train (same class);
- flipped labels: ~6 % of the original train images moved into a random other class.

Precision counts a reported group as right when it contains a planted pair; Fashion-MNIST has
a few near-identical images of its own, which therefore count against precision here.
Label issues are scored over the top N (N = the flipped count) and over all that cleanlab
flags; "suggested right" is the share of found flips whose suggested class is the true one.

    python benchmarks/doctor_planted.py                       # 10 x 300 train + 10 x 50 test
    python benchmarks/doctor_planted.py --per-class 900 --test-per-class 100   # ~10k images
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fashion_mnist_export import CLASS_NAMES, load_split  # noqa: E402

from core.data.doctor import DoctorConfig, DoctorFinished, DoctorProgress, check_dataset  # noqa: E402


def _first(labels: np.ndarray, per_class: int, offset: int = 0) -> list[int]:
    picked: list[int] = []
    for c in range(len(CLASS_NAMES)):
        picked += np.flatnonzero(labels == c)[offset : offset + per_class].tolist()
    return picked


def build(out: str, per_class: int, test_per_class: int, planted: int, flip: float, seed: int):
    """Writes the dataset; returns the ground truth as sets of relative-path pairs."""
    rng = np.random.default_rng(seed)
    train_x, train_y = load_split("train")
    test_x, test_y = load_split("t10k")
    shutil.rmtree(out, ignore_errors=True)
    originals: list[tuple[str, int, np.ndarray]] = []
    for split, xs, ys, n in (
        ("train", train_x, train_y, per_class),
        ("test", test_x, test_y, test_per_class),
    ):
        for i in _first(ys, n):
            rel = f"{split}/{CLASS_NAMES[ys[i]]}/{i:05d}.png"
            os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
            Image.fromarray(xs[i]).save(os.path.join(out, rel))
            originals.append((rel, int(ys[i]), xs[i]))
    train = [o for o in originals if o[0].startswith("train/")]
    test = [o for o in originals if o[0].startswith("test/")]
    picks = rng.choice(len(train), size=3 * planted, replace=False)
    truth: dict[str, set] = {"exact": set(), "resized": set(), "cropped": set(), "leak": set()}
    for k, index in enumerate(picks):
        rel, label, pixels = train[index]
        folder = os.path.dirname(rel)
        stem = os.path.splitext(os.path.basename(rel))[0]
        if k < planted:
            copy = f"{folder}/{stem}-copy.bmp"
            Image.fromarray(pixels).save(os.path.join(out, copy))
            truth["exact"].add(frozenset((rel, copy)))
        elif k < 2 * planted:
            side = int(rng.integers(34, 57))
            copy = f"{folder}/{stem}-resized.jpg"
            Image.fromarray(pixels).resize((side, side), Image.Resampling.BICUBIC).save(
                os.path.join(out, copy), quality=int(rng.integers(85, 96))
            )
            truth["resized"].add(frozenset((rel, copy)))
        else:
            cut = 1  # of 28 px: 7 % of each side gone, then resized back
            copy = f"{folder}/{stem}-cropped.png"
            Image.fromarray(pixels[cut:-cut, cut:-cut]).resize((28, 28)).save(
                os.path.join(out, copy)
            )
            truth["cropped"].add(frozenset((rel, copy)))
    for index in rng.choice(len(test), size=planted, replace=False):
        rel, label, _ = test[index]
        copy = f"train/{CLASS_NAMES[label]}/leak-{os.path.basename(rel)}"
        shutil.copy(os.path.join(out, rel), os.path.join(out, copy))
        truth["leak"].add(frozenset((rel, copy)))
    # Flip labels only of train images that took part in no planted pair.
    used = {p for pairs in truth.values() for pair in pairs for p in pair}
    candidates = [o for o in train if o[0] not in used]
    flips: dict[str, str] = {}  # new relative path -> true class
    for index in rng.choice(len(candidates), size=int(round(flip * len(train))), replace=False):
        rel, label, _ = candidates[index]
        wrong = int((label + rng.integers(1, len(CLASS_NAMES))) % len(CLASS_NAMES))
        moved = f"train/{CLASS_NAMES[wrong]}/flipped-{os.path.basename(rel)}"
        os.replace(os.path.join(out, rel), os.path.join(out, moved))
        flips[moved] = CLASS_NAMES[label]
    return truth, flips


def _pair_in(pair: frozenset, groups: list[list[str]]) -> bool:
    return any(pair <= set(g) for g in groups)


def score_groups(name: str, pairs: set, groups: list[list[str]], all_planted: set) -> str:
    found = sum(_pair_in(p, groups) for p in pairs)
    right = sum(any(p <= set(g) for p in all_planted) for g in groups)
    precision = right / len(groups) if groups else float("nan")
    return f"| {name} | {len(pairs)} | {len(groups)} | {precision:.0%} | {found / len(pairs):.0%} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/loupe-doctor-planted")
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--test-per-class", type=int, default=50)
    ap.add_argument("--planted", type=int, default=30, help="pairs of each duplicate kind")
    ap.add_argument("--flip", type=float, default=0.06)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    truth, flips = build(args.out, args.per_class, args.test_per_class, args.planted, args.flip, 0)
    t0 = time.perf_counter()
    report = None
    for event in check_dataset(DoctorConfig(args.out, val_split=0.0)):
        if isinstance(event, DoctorProgress) and event.done == event.total:
            print(f"  {event.stage}: {event.total:,} done at {time.perf_counter() - t0:.1f} s")
        elif isinstance(event, DoctorFinished):
            print(event.reason)
            report = event.report
    if report is None:
        return 1
    took = time.perf_counter() - t0
    planted = set().union(*truth.values())
    near_truth = truth["resized"] | truth["cropped"]
    print(f"\n{report['images']:,} images, {took:.0f} s in all; stages: {report['seconds']}\n")
    print("| finding | planted | reported | precision | recall |")
    print("|---|---|---|---|---|")
    print(
        score_groups(
            "exact duplicates (BMP re-save)", truth["exact"], report["exact_duplicates"], planted
        )
    )
    near_and_exact = report["near_duplicates"] + report["exact_duplicates"]
    print(
        score_groups(
            "near duplicates (resized JPEG + crops)", near_truth, report["near_duplicates"], planted
        )
    )
    for kind in ("resized", "cropped"):
        found = sum(_pair_in(p, near_and_exact) for p in truth[kind])
        print(f"| … of which {kind} | {len(truth[kind])} | | | {found / len(truth[kind]):.0%} |")
    print(score_groups("leaks (test copied into train)", truth["leak"], report["leaks"], planted))
    issues = report["label_issues"]
    n = len(flips)
    top = issues[:n]
    hits = [x for x in top if x["path"] in flips]
    all_hits = [x for x in issues if x["path"] in flips]
    suggested = sum(x["suggested"] == flips[x["path"]] for x in hits)
    print(f"| label issues, top N={n} | {n} | {n} | {len(hits) / n:.0%} | {len(hits) / n:.0%} |")
    print(
        f"| label issues, all flagged | {n} | {len(issues)} | "
        f"{len(all_hits) / max(1, len(issues)):.0%} | {len(all_hits) / n:.0%} |"
    )
    print(f"\nSuggested class right for {suggested}/{len(hits)} flips found in the top N.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
