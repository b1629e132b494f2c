"""The cases of benchmarks/train_throughput.py (image count, size, format, model, batch),
their generated class-folder datasets, and the shape of a measured row and of Loupe's result."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    name: str
    images: int  # generated files
    width: int
    height: int
    fmt: str  # "png" or "jpeg"
    classes: int
    arch: str
    image_size: int  # training resolution (px)
    epochs: int  # Loupe run; the first is warm-up
    batch_size: int
    naive_images: int  # images for the tutorial loop's timed pass (it is slow)
    pure_steps: int


@dataclass
class Row:
    case: str
    pipeline: str
    batch: int
    threads: str
    precision: str
    images_per_second: float
    note: str = ""


# -- data ---------------------------------------------------------------------------------
def make_dataset(root: str, case: Case) -> str:
    """Class folders of synthetic images: smooth class-tinted blobs plus noise, so files have
    realistic sizes (noise does not compress) and the classes are learnable."""
    name = f"{case.fmt}-{case.width}x{case.height}-{case.images}-c{case.classes}"
    path = os.path.join(root, name)
    done = path + ".done"  # marker beside, not inside: the folder must hold only classes
    if os.path.isfile(done):
        return path
    shutil.rmtree(path, ignore_errors=True)
    rng = np.random.default_rng(0)
    tints = rng.integers(40, 216, size=(case.classes, 3))
    low = (max(2, case.height // 24), max(2, case.width // 24))
    t0 = time.perf_counter()
    for i in range(case.images):
        c = i % case.classes
        folder = os.path.join(path, f"class_{c:02d}")
        os.makedirs(folder, exist_ok=True)
        blob = rng.integers(0, 256, size=(*low, 3), dtype=np.uint8)
        img = Image.fromarray(blob).resize((case.width, case.height), Image.Resampling.BICUBIC)
        arr = np.asarray(img, dtype=np.float32) * 0.5 + tints[c] * 0.5
        arr += rng.normal(0, 12, size=arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        if case.fmt == "png":
            img.save(os.path.join(folder, f"{i:06d}.png"))
        else:
            img.save(os.path.join(folder, f"{i:06d}.jpg"), quality=90)
    open(done, "w").close()
    print(f"  generated {case.images} {case.fmt} files in {time.perf_counter() - t0:.0f} s: {path}")
    return path


@dataclass
class LoupeResult:
    images_per_second: float  # median over the measured report windows
    mean_images_per_second: float  # all measured images / all measured time
    epoch_images_per_second: float
    prepare_seconds: float
    threads: int
    precision: str
    data_mode: str
    cfg: object  # the resolved TrainConfig
    train_images: int
    measured_images: int
