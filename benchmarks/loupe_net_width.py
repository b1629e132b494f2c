"""loupe_net's widths on small sets of tiny images, through the engine (core.train.loop.fit):
test accuracy and epoch seconds of each width variant on the same data, seeds and defaults
(auto image size, optimizer, epochs; one thread, precision off so the variants compare).

Datasets (made on the spot under --root, reused when present):
  digits  benchmarks/digits_dataset.py: 300 per class, Loupe holds out 20 %, 2,000 test digits
  fm300   Fashion-MNIST (Debian's files): 300 per class of the training file as a flat folder
          (Loupe holds out 20 %), 200 per class of t10k as the test folder

    python benchmarks/loupe_net_width.py --seeds 0,1 --variants w32,w16b --datasets digits,fm300

Compare epoch seconds within one run: the machine's load moves between runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "benchmarks")]

# w32 = loupe_net, w16b = loupe_net_slim (core.models.small_cnns.SLIM_WIDTHS)
VARIANTS = {
    "w32": (32, 64, 128),
    "w24": (24, 48, 96),
    "w16": (16, 32, 64),
    "w16b": (16, 64, 128),
}


def make_datasets(root: str) -> dict[str, tuple[str, str]]:
    import digits_dataset
    import fashion_mnist_export

    digits, digits_test = f"{root}/digits", f"{root}/digits-test"
    digits_dataset.make(digits, digits_test, per_class=300, test_per_class=200, seed=0)
    fashion_mnist_export.export(f"{root}/fm", per_class=300, val_per_class=200)
    return {"digits": (digits, digits_test), "fm300": (f"{root}/fm/train", f"{root}/fm/val")}


def test_accuracy(model_path: str, test: str) -> float:
    from core.infer.evaluate import evaluate_folder
    from core.infer.inference import load_model_for_inference

    progress = evaluate_folder(load_model_for_inference(model_path, "cpu"), test, batch_size=256)
    try:
        while True:
            next(progress)
    except StopIteration as done:
        report = done.value
    return 100 * sum(t == p for t, p in zip(report.true, report.pred)) / len(report.true)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--variants", default="w32,w16b")
    parser.add_argument("--datasets", default="digits,fm300")
    parser.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "loupe-width"))
    args = parser.parse_args()
    import torch

    from core.events import EpochEnded, RunFinished
    from core.models import registry
    from core.models.small_cnns import LoupeNet
    from core.train.config import TrainConfig
    from core.train.loop import fit

    torch.set_num_threads(1)
    for name, widths in VARIANTS.items():
        registry.register(f"width_{name}", name)(lambda n, w=widths: LoupeNet(n, widths=w))
    data = make_datasets(args.root)
    print("load average", os.getloadavg(), flush=True)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for dataset in args.datasets.split(","):
        train, test = data[dataset]
        for seed in [int(s) for s in args.seeds.split(",")]:
            for variant in args.variants.split(","):
                cfg = TrainConfig(
                    data_dir=train, out_dir=tempfile.mkdtemp(dir=args.root),
                    arch=f"width_{variant}", seed=seed, cpu_threads=1, mixed_precision="off",
                )  # fmt: skip
                seconds, finished = [], None
                for event in fit(cfg):
                    if isinstance(event, EpochEnded):
                        seconds.append(event.seconds)
                    elif isinstance(event, RunFinished):
                        finished = event
                acc = test_accuracy(finished.model_path, test)
                later = statistics.median(seconds[1:])
                results.setdefault((dataset, variant), []).append((acc, later))
                print(f"{dataset} {variant} seed {seed}: test {acc:.2f} %, later epochs "
                      f"{later:.2f} s, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    for (dataset, variant), rows in results.items():
        base = statistics.mean(r[1] for r in results[(dataset, args.variants.split(",")[0])])
        epoch = statistics.mean(r[1] for r in rows)
        print(f"{dataset} {variant}: mean test {statistics.mean(r[0] for r in rows):.2f} % "
              f"[{', '.join(f'{r[0]:.2f}' for r in rows)}], epoch {epoch:.2f} s "
              f"({epoch / base:.2f}x the first variant)")  # fmt: skip


if __name__ == "__main__":
    main()
