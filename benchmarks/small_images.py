"""Accuracy and wall time of Loupe's defaults on small images, against the classic PyTorch
tutorial recipe and against the previous defaults, in one run on the same machine.

Each recipe runs in a fresh process, as a user would:
  default          python main.py train DATA --out RUN                  (no flags at all)
  tutorial-script  the classic PyTorch CIFAR-10 tutorial script itself, pointed at the folder
                   (benchmarks/tutorial_script.py: ImageFolder, DataLoader batch 4 with 2
                   workers, its LeNet at 32 px, SGD lr 0.001 momentum 0.9, 2 epochs)
  tutorial-script-10  the same script looping 10 times (--epochs 10), as many epochs as the
                   defaults: the recipe near its own plateau
  tutorial         python main.py train DATA --out RUN --preset tutorial (the same recipe
                   through Loupe's pipeline)
  previous         the same command in a copy of the code at --previous (git archive), no flags
Wall time counts the whole process (Python and torch start-up included). "start-up + end" is
the wall time minus the epochs' own time (scan, decode, model, the saving after each epoch and
the process's exit; the CPU tuner's first-run overhead is inside epoch 1). "to first step" is
when the CLI's "Training ..." line arrives (RunStarted: the imports, scan, decode, model and
optimizer done; the next thing the process does is its first step); "end" is from the last
epoch's line to the process's exit. Test accuracy: the run's model classifies a held-out test folder
(core.infer.inference, the `classify` path), never seen in training or validation; the
tutorial script measures its own, with its own test loop, on the same folder. It trains on
every training image (it holds none out for validation; Loupe keeps 20 % of a flat folder).

Datasets (made on the spot, reused when present, under --root):
  digits     benchmarks/digits_dataset.py: MNIST-like 28 px digits rendered from fonts,
             300 per class (Loupe holds out 20 % for validation), 2,000 test digits
  fmnist10k  Fashion-MNIST from Debian's idx files: 1,000 per class for training, 200 per
             class of the official test set as validation and test
  fmnistN    --fmnist-per-class N: a bigger training share (6000 = the whole set)

    python benchmarks/small_images.py                       # digits, 4 recipes (~2-6 min)
    python benchmarks/small_images.py --datasets digits,fmnist10k --warm
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

RECIPES = {
    "default": [],
    "tutorial-script": [],  # not main.py: benchmarks/tutorial_script.py
    "tutorial": ["--preset", "tutorial"],
    "previous": [],
}
TUTORIAL_SCRIPT = os.path.join(REPO, "benchmarks", "tutorial_script.py")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def make_datasets(names: list[str], root: str, fmnist_per_class: int) -> dict[str, tuple]:
    """{name: (train folder, test folder)}."""
    import digits_dataset
    import fashion_mnist_export

    found = {}
    for name in names:
        if name == "digits":
            data, test = os.path.join(root, "digits"), os.path.join(root, "digits-test")
            digits_dataset.make(data, test, per_class=300, test_per_class=200, seed=0)
            found[name] = (data, test)
        elif name.startswith("fmnist"):
            per_class = 1000 if name == "fmnist10k" else fmnist_per_class
            out = os.path.join(root, f"fmnist-{per_class}")
            fashion_mnist_export.export(out, per_class=per_class, val_per_class=200)
            found[name] = (out, os.path.join(out, "val"))
        else:
            raise SystemExit(f"unknown dataset {name}")
    return found


def previous_code(commit: str, root: str) -> str:
    """The repository as it was at `commit`, unpacked once (its main.py runs as is)."""
    folder = os.path.join(root, f"loupe-{commit}")
    if not os.path.isfile(os.path.join(folder, "main.py")):
        os.makedirs(folder, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", REPO, "archive", commit], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def train(code: str, data: str, run: str, flags: list[str], cache: str) -> tuple[float, ...]:
    """(wall, to first step, end) of one CLI run, timed from its stderr lines as they come."""
    env = {**os.environ, "LOUPE_CACHE_DIR": cache, "PYTHONPATH": ""}
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, os.path.join(code, "main.py"), "train", data, "--out", run, *flags],
        cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines, first_step, last_epoch = [], float("nan"), float("nan")
    for line in process.stderr:
        now = time.perf_counter() - t0
        lines.append(line)
        if line.startswith("Training ") and first_step != first_step:
            first_step = now  # RunStarted: printed just before the first step
        elif line.startswith("epoch "):
            last_epoch = now
    process.wait()
    wall = time.perf_counter() - t0
    log = "".join(lines)
    if process.returncode != 0:
        print(log[-3000:], file=sys.stderr)
        raise SystemExit(f"training failed ({process.returncode}): {' '.join(flags)}")
    with open(os.path.join(run, "train.log"), "w", encoding="utf-8") as f:
        f.write(log)
    return wall, first_step, wall - last_epoch


def tutorial_script(data: str, test: str, run: str, epochs: int = 2) -> dict:
    """The tutorial as a user runs it: `python tutorial_script.py TRAIN TEST`, its own
    thread count and DataLoader workers; its accuracy from its last line."""
    train_folder = os.path.join(data, "train")  # a split folder: the tutorial takes train/
    if not os.path.isdir(train_folder):
        train_folder = data
    os.makedirs(run)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, TUTORIAL_SCRIPT, train_folder, test, "--save", f"{run}/cifar_net.pth",
         "--epochs", str(epochs)],
        cwd=run, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"the tutorial script failed ({done.returncode})")
    accuracy = float(done.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1])
    return dict(
        epochs=epochs, test=accuracy, wall=wall, startup=float("nan"), first=float("nan"),
        first_step=float("nan"), end=float("nan"),
        later=float("nan"), arch="tutorial LeNet", size=32, batch=4, optimizer="sgd",
    )  # fmt: skip


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


def epoch_seconds(run: str) -> list[float]:
    with open(os.path.join(run, "metrics.csv"), newline="", encoding="utf-8") as f:
        return [float(row["seconds"]) for row in csv.DictReader(f)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default="digits", help="comma list: digits, fmnist10k, fmnistN")
    p.add_argument("--recipes", default="default,tutorial-script,tutorial,previous")
    p.add_argument("--previous", default="291e537", help="commit of the previous defaults")
    p.add_argument("--fmnist-per-class", type=int, default=6000, help="for fmnistN")
    p.add_argument("--warm", action="store_true", help="also a second default run (tuner cached)")
    p.add_argument("--root", default="/tmp/loupe-bench/small-images")
    args = p.parse_args(argv)
    os.makedirs(args.root, exist_ok=True)
    import torch

    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load {_load()}", flush=True)
    datasets = make_datasets(args.datasets.split(","), args.root, args.fmnist_per_class)
    recipes = args.recipes.split(",")
    if args.warm and "default" in recipes:
        recipes.insert(recipes.index("default") + 1, "default, 2nd run")
    rows = []
    for name, (data, test) in datasets.items():
        caches = []
        for recipe in recipes:
            # Each recipe is a first run on this machine (its CPU tuner measures), except the
            # 2nd default run, which finds what the first remembered.
            if not recipe.endswith("2nd run"):
                caches.append(tempfile.mkdtemp(prefix="loupe-cache-"))
            cache = caches[-1]
            code = previous_code(args.previous, args.root) if recipe == "previous" else REPO
            run = tempfile.mkdtemp(prefix=f"{name}-{recipe.split(',')[0]}-", dir=args.root)
            shutil.rmtree(run)
            if recipe.startswith("tutorial-script"):  # tutorial-script-10: 10 epochs
                epochs = int(recipe.rsplit("-", 1)[1]) if recipe[-1].isdigit() else 2
                row = dict(dataset=name, recipe=recipe, **tutorial_script(data, test, run, epochs))
                row["load"] = _load()
                rows.append(row)
                print(json.dumps(row), flush=True)
                continue
            flags = RECIPES[recipe.split(",")[0]]
            wall, first_step, end = train(code, data, run, flags, cache)
            seconds = epoch_seconds(run)
            later = statistics.median(seconds[1:]) if len(seconds) > 1 else float("nan")
            with open(os.path.join(run, "config.json"), encoding="utf-8") as f:
                config = json.load(f)
            row = dict(
                dataset=name, recipe=recipe, epochs=len(seconds), test=test_accuracy(run, test),
                wall=wall, startup=wall - sum(seconds), first=seconds[0], later=later,
                first_step=first_step, end=end,
                arch=config["arch"], size=config["image_size"], batch=config["batch_size"],
                optimizer=config["optimizer"], load=_load(),
            )  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)
        for cache in caches:
            shutil.rmtree(cache, ignore_errors=True)
    print("\n| dataset | recipe | model | epochs | test accuracy | wall | start-up + end | "
          "to first step / end | epoch 1 / later epochs | load |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---|---|---|")
    for r in rows:
        model = f"{r['arch']} {r['size']} px, batch {r['batch']}, {r['optimizer']}"
        timed = r["startup"] == r["startup"]  # NaN for the tutorial script: no per-epoch times
        split = (
            f"{r['startup']:.1f} s | {r['first_step']:.1f} s / {r['end']:.1f} s | "
            f"{r['first']:.1f} s / {r['later']:.1f} s"
            if timed
            else "— | — | —"
        )
        print(f"| {r['dataset']} | {r['recipe']} | {model} | {r['epochs']} | {r['test']:.2%} | "
              f"{r['wall']:.1f} s | {split} | {r['load']} |")  # fmt: skip
    by = {(r["dataset"], r["recipe"]): r for r in rows}
    for name in datasets:
        d = by.get((name, "default"))
        for other in ("tutorial-script", "tutorial-script-10", "tutorial", "previous"):
            o = by.get((name, other))
            if d and o:
                print(f"{name}: default / {other} wall time = {d['wall'] / o['wall']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
