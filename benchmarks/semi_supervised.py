"""Does learning from unlabelled images pay? 20 labelled images per class plus a few thousand
unlabelled ones, the same settings and epochs: a labelled-only run against a run with
--unlabelled (FixMatch-style, core.train.semi_supervised), in one process on one thread.

Data (made on the spot, reused when present, under --root):
  digits     benchmarks/digits_dataset.py: 25 labelled digits per class (Loupe holds 5 out for
             validation: 20 train), 300 per class more as the unlabelled folder (their class
             folders are ignored: any layout is fine) and 100 per class as the test set

Test accuracy: the run's saved model classifies the test folder (the `classify` path).

    python benchmarks/semi_supervised.py            # one thread: 6 min at load 6, 19 min at load 12
    python benchmarks/semi_supervised.py --runs plain,self   # one round of self-training
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


def self_training_data(data: str, unl: str, run: str, out: str, threshold: float) -> int:
    """One round of self-training's data: the labelled-only run's split (train/, val/) plus
    the unlabelled images its model is at least `threshold` sure of, in train/<its answer>/.
    Returns how many were added."""
    from core.data.datasets import scan_dataset
    from core.infer.inference import classify_paths, list_images, load_model_for_inference
    from core.infer.results import ClassifiedImage

    shutil.rmtree(out, ignore_errors=True)
    scan = scan_dataset(data, 0.2, 0)  # the split the runs use (default share and seed)
    names = scan.report.class_names
    for split, samples in (("train", scan.train), ("val", scan.val)):
        for x in samples:
            folder = os.path.join(out, split, names[x.label])
            os.makedirs(folder, exist_ok=True)
            shutil.copy(x.path, folder)
    added = 0
    for item in classify_paths(load_model_for_inference(run, "cpu"), list_images(unl), 256):
        if isinstance(item, ClassifiedImage) and item.confidence >= threshold:
            added += 1
            name = f"pseudo-{added:05d}{os.path.splitext(item.path)[1]}"
            shutil.copy(item.path, os.path.join(out, "train", item.label, name))
    return added


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
    p.add_argument("--runs", default="plain,semi", help="plain, semi, self (comma list)")
    p.add_argument("--labelled", type=int, default=25, help="per class, validation included")
    p.add_argument("--unlabelled", type=int, default=300, help="per class")
    p.add_argument("--test", type=int, default=100, help="per class")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--ratio", type=int, default=4)
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--root", default="/tmp/loupe-bench/semi-supervised")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    root = os.path.join(args.root, f"digits-{args.labelled}-{args.unlabelled}")
    os.makedirs(root, exist_ok=True)
    data, unl, tst = make_digits(root, args.labelled, args.unlabelled, args.test)
    runs = args.runs.split(",")
    print(f"torch {torch.__version__}, 1 thread, load {_load()}", flush=True)
    rows = {}
    for name, folder in (("labelled only", None), ("--unlabelled", unl)):
        if ("semi" if folder else "plain") not in runs:
            continue
        result = train(data, os.path.join(root, "run-" + ("semi" if folder else "plain")), folder,
                       args)  # fmt: skip
        result["test"] = test_accuracy(os.path.join(root, "run-" + ("semi" if folder else "plain")),
                                       tst)  # fmt: skip
        rows[name] = result
        print(json.dumps({"run": name, **{k: v for k, v in result.items() if k != "reason"}}),
              flush=True)  # fmt: skip
    if "self" in runs:
        selfdata = os.path.join(root, "self-training-data")
        added = self_training_data(data, unl, os.path.join(root, "run-plain"), selfdata,
                                   args.threshold)  # fmt: skip
        run = os.path.join(root, "run-self")
        result = train(selfdata, run, None, args)
        result["test"] = test_accuracy(run, tst)
        rows[f"self-training, 1 round (+{added:,} pseudo-labelled)"] = result
        print(json.dumps({"run": "self-training", "added": added, **result}), flush=True)
    print("| run | test accuracy | best val | wall |")
    print("|---|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['test']:.1%} | {r['best_val']:.1%} | {r['wall']:.0f} s |")
    if "labelled only" not in rows or "--unlabelled" not in rows:
        return 0
    plain, semi = rows["labelled only"], rows["--unlabelled"]
    record = semi["record"]
    print(f"\ndigits: {args.labelled} labelled per class (20 % of them validation), "
          f"{record.get('images', 0):,} unlabelled, {args.epochs} epochs, batch {args.batch}, "
          f"ratio {args.ratio}, threshold {args.threshold}; load {_load()}")  # fmt: skip
    print(f"gain: {100 * (semi['test'] - plain['test']):+.1f} points of test accuracy; "
          f"wall-time ratio {semi['wall'] / plain['wall']:.1f}x; the run's own labelled-only "
          f"twin: {record.get('labelled_only_best_val_acc', float('nan')):.1%} best val; "
          f"confident share at the end {record.get('last_confident_share') or 0:.0%}")  # fmt: skip
    print(semi["reason"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
