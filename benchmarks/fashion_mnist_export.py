"""Export Fashion-MNIST from Debian's idx files (package dataset-fashion-mnist) to class
folders of PNGs that Loupe reads as an already-split dataset:

    OUT/train/<class>/00000.png ...    from train-*-idx*-ubyte.gz (60,000 images)
    OUT/val/<class>/00000.png ...      from t10k-*-idx*-ubyte.gz  (10,000 images)

    python benchmarks/fashion_mnist_export.py /tmp/fmnist --per-class 1000 --val-per-class 200

Pure numpy + PIL: the idx format is a big-endian header (magic, then one uint32 per
dimension) followed by raw uint8 data."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
from PIL import Image

SOURCE = "/usr/share/datasets/fashion-mnist"
# Index order of the labels in the idx files; folder-safe spellings of the official names.
CLASS_NAMES = (
    "T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot",
)  # fmt: skip
SPLITS = {"train": "train", "val": "t10k"}  # Loupe's folder name -> idx file prefix
MARKER = ".fashion-mnist-export.json"  # hidden: Loupe ignores it when scanning


def read_idx(path: str) -> np.ndarray:
    """An idx file (optionally gzipped) as a uint8 array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:  # 0x08: unsigned byte, the only type these files use
        raise ValueError(f"{path}: not a uint8 idx file (magic {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape)


def load_split(prefix: str, source: str = SOURCE) -> tuple[np.ndarray, np.ndarray]:
    """(N,28,28) images and (N,) labels of 'train' or 't10k'."""
    images = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
    if len(images) != len(labels):
        raise ValueError(f"{prefix}: {len(images)} images but {len(labels)} labels")
    return images, labels


def _first_per_class(labels: np.ndarray, limit: int | None) -> np.ndarray:
    """Indices of the first `limit` images of every class, in file order (deterministic)."""
    if limit is None:
        return np.arange(len(labels))
    keep = [np.flatnonzero(labels == c)[:limit] for c in range(len(CLASS_NAMES))]
    return np.sort(np.concatenate(keep))


def export(
    out: str,
    per_class: int | None = None,
    val_per_class: int | None = None,
    source: str = SOURCE,
) -> dict[str, dict[str, int]]:
    """Write OUT/train and OUT/val; returns images per split and class. A finished export
    with the same limits is reused (its marker file records them)."""
    val_per_class = per_class if val_per_class is None else val_per_class
    wanted = {"per_class": per_class, "val_per_class": val_per_class, "source": source}
    marker = os.path.join(out, MARKER)
    if os.path.isfile(marker):
        with open(marker, encoding="utf-8") as f:
            done = json.load(f)
        if done.get("settings") == wanted:
            return done["counts"]
        raise SystemExit(f"{out} holds an export with other settings: choose another folder.")
    if os.path.isdir(out) and os.listdir(out):
        raise SystemExit(f"{out} is not empty: choose a new folder.")
    counts: dict[str, dict[str, int]] = {}
    for split, prefix in SPLITS.items():
        images, labels = load_split(prefix, source)
        limit = per_class if split == "train" else val_per_class
        counts[split] = {name: 0 for name in CLASS_NAMES}
        for name in CLASS_NAMES:
            os.makedirs(os.path.join(out, split, name), exist_ok=True)
        for i in _first_per_class(labels, limit):
            name = CLASS_NAMES[labels[i]]
            Image.fromarray(images[i]).save(os.path.join(out, split, name, f"{i:05d}.png"))
            counts[split][name] += 1
    with open(marker, "w", encoding="utf-8") as f:  # last: marks the export complete
        json.dump({"settings": wanted, "counts": counts}, f, indent=1)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Export Fashion-MNIST to class folders of PNGs.")
    p.add_argument("out", metavar="OUT", help="new folder; gets train/<class>/ and val/<class>/")
    p.add_argument("--per-class", type=int, default=None, help="train images per class (all)")
    p.add_argument("--val-per-class", type=int, default=None, help="default: --per-class")
    p.add_argument("--source", default=SOURCE, help="folder of the *-idx*-ubyte.gz files")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    counts = export(args.out, args.per_class, args.val_per_class, args.source)
    total = {split: sum(c.values()) for split, c in counts.items()}
    print(f"{args.out}: {total['train']} train, {total['val']} val images in "
          f"{len(CLASS_NAMES)} classes ({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
