"""Sample datasets one command (or click) away, written as class folders with train/ and test/
splits: the tutorials' CIFAR-10, MNIST and Fashion-MNIST (through torchvision.datasets:
downloaded into torchvision's usual root with its checksums, or read from an archive the user
downloaded elsewhere), and "demo", a photo-like set drawn on the spot with no internet.

`write_sample(name, out_dir, from_file)` is a generator of SampleProgress, so the CLI and the
window show progress and can stop between images. Files already there are never overwritten
(a second call completes an interrupted one). torch is imported only when a dataset needs it."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.data.demo_photos import DEMO_CLASSES, write_demo_dataset
from core.errors import LoupeError

DEMO_PER_CLASS, DEMO_TEST_PER_CLASS = 60, 20  # a few hundred photos: trains in minutes on a CPU


@dataclass(frozen=True)
class SampleInfo:
    name: str
    title: str
    description: str
    classes: tuple[str, ...]
    needs_download: bool
    source: str  # where the files come from, for the offline sentence


# Folder-safe class names (Fashion-MNIST's own 'T-shirt/top' holds a slash).
_DIGITS = tuple(str(d) for d in range(10))
_FASHION = (
    "tshirt_top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle_boot",
)
_CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

SAMPLES: dict[str, SampleInfo] = {
    "demo": SampleInfo(
        "demo",
        "Demo photos (built in)",
        f"{len(DEMO_CLASSES) * (DEMO_PER_CLASS + DEMO_TEST_PER_CLASS)} photo-like pictures of "
        f"{len(DEMO_CLASSES)} classes, drawn on this computer: no internet needed.",
        DEMO_CLASSES,
        False,
        "",
    ),
    "cifar10": SampleInfo(
        "cifar10",
        "CIFAR-10",
        "60,000 colour photos of 32x32 px in 10 classes: the PyTorch tutorial's dataset "
        "(163 MB download).",
        _CIFAR,
        True,
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ),
    "mnist": SampleInfo(
        "mnist",
        "MNIST",
        "70,000 handwritten digits, 28x28 px greyscale, 10 classes (12 MB download).",
        _DIGITS,
        True,
        "https://ossci-datasets.s3.amazonaws.com/mnist/ (four .gz files)",
    ),
    "fashion-mnist": SampleInfo(
        "fashion-mnist",
        "Fashion-MNIST",
        "70,000 pictures of clothing, 28x28 px greyscale, 10 classes (30 MB download).",
        _FASHION,
        True,
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (four .gz files)",
    ),
}


@dataclass(frozen=True)
class SampleProgress:
    phase: str  # "download", "read" or "write"
    done: int  # images written so far (phase "write")
    total: int  # 0 while the total is not known
    text: str  # one line for the user


def torchvision_root() -> str:
    """Where torchvision's datasets are downloaded: $TORCH_HOME/datasets (~/.cache/torch)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch"
    )
    return os.path.join(home, "datasets")


FROM_FILE_HINT = "(--from FILE)"  # the window says where its file chooser is instead


def offline_sentence(info: SampleInfo) -> str:
    return (
        f"Cannot download {info.title}: this computer seems to be offline. Download it "
        f"elsewhere from {info.source} and choose that file {FROM_FILE_HINT}."
    )


def write_sample(
    name: str, out_dir: str, from_file: str | None = None, root: str | None = None
) -> Iterator[SampleProgress]:
    """Write sample `name` into out_dir/train/<class>/ and out_dir/test/<class>/."""
    info = SAMPLES.get(name)
    if info is None:
        raise LoupeError(f"Unknown sample dataset '{name}': choose {', '.join(SAMPLES)}.")
    _check_out_folder(out_dir)
    if name == "demo":
        for done, total in write_demo_dataset(out_dir, DEMO_PER_CLASS, DEMO_TEST_PER_CLASS):
            yield SampleProgress("write", done, total, f"Drew {done} of {total} pictures")
        return
    root = root or torchvision_root()
    if from_file is None:
        yield SampleProgress("download", 0, 0, f"Downloading {info.title} into {root} ...")
    else:
        yield SampleProgress("read", 0, 0, f"Reading {from_file} ...")
    if name == "cifar10":
        splits = _cifar_splits(root, from_file, info)
    else:
        splits = _idx_splits(name, root, from_file, info)
    total = sum(len(labels) for _, labels in splits.values())
    done = 0
    for split, (images, labels) in splits.items():
        for i, (pixels, label) in enumerate(zip(images, labels)):
            folder = os.path.join(out_dir, split, info.classes[int(label)])
            path = os.path.join(folder, f"{split}_{i:05d}.png")
            if not os.path.exists(path):
                os.makedirs(folder, exist_ok=True)
                Image.fromarray(pixels).save(path)
            done += 1
            if done % 500 == 0 or done == total:
                yield SampleProgress("write", done, total, f"Wrote {done:,} of {total:,} images")


def _check_out_folder(out_dir: str) -> None:
    """Refuse, before any work, an out_dir that is (or lies under) a file: otherwise the
    first write fails with the operating system's ".../train: Not a directory"."""
    path = os.path.abspath(os.path.expanduser(out_dir))
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if os.path.isdir(path):
        return
    if path == os.path.abspath(os.path.expanduser(out_dir)):
        raise LoupeError(f"{path} is a file, not a folder: choose a folder for the dataset.")
    raise LoupeError(f"Cannot write the dataset to {out_dir}: {path} is a file, not a folder.")


# ---- CIFAR-10 (torchvision's pickled batches: only ever read from the checksummed archive) ----


def _cifar_splits(root: str, from_file: str | None, info: SampleInfo) -> dict:
    from torchvision.datasets import CIFAR10

    if from_file is not None:
        # The batches are Python pickles: unpickling a stranger's file could run code, so only
        # the exact official archive (torchvision's MD5) is accepted.
        if _md5(from_file) != CIFAR10.tgz_md5:
            raise LoupeError(
                f"{from_file}: not the CIFAR-10 archive torchvision expects "
                f"(cifar-10-python.tar.gz from {info.source}); its checksum differs."
            )
        os.makedirs(root, exist_ok=True)
        with tarfile.open(from_file) as archive:
            archive.extractall(root, filter="data")
    splits = {}
    for split, train in (("train", True), ("test", False)):
        dataset = _load_or_download(
            lambda download, train=train: CIFAR10(root, train, download=download), info
        )
        splits[split] = (dataset.data, dataset.targets)
    return splits


def _load_or_download(make, info: SampleInfo):
    """torchvision's dataset from its root if already there (checksums checked), else
    downloaded (checked again as it arrives); offline, one sentence."""
    try:
        return make(False)
    except RuntimeError:  # "Dataset not found or corrupted"
        pass
    if not is_online(info.source):
        raise LoupeError(offline_sentence(info))
    try:
        return make(True)
    except (urllib.error.URLError, OSError, RuntimeError) as exc:
        raise LoupeError(
            f"Could not download {info.title} ({exc}). If this computer is offline, download "
            f"it elsewhere from {info.source} and choose that file {FROM_FILE_HINT}."
        ) from exc


def is_online(url: str) -> bool:
    """Whether the server of `url` answers (LOUPE_OFFLINE=1 says no without asking)."""
    if os.environ.get("LOUPE_OFFLINE") == "1":
        return False
    if urllib.request.getproxies().get("https") or urllib.request.getproxies().get("http"):
        return True  # behind a proxy a direct probe says nothing: let the download decide
    parsed = urllib.parse.urlparse(url.split()[0])
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=3):
            return True
    except OSError:
        return False


# ---- MNIST and Fashion-MNIST (IDX files: plain arrays, safe to read from anywhere) ----------

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _idx_splits(name: str, root: str, from_file: str | None, info: SampleInfo) -> dict:
    if from_file is None:
        folder = _download_idx(name, root, info)
        return {s: _read_idx_pair(folder, files) for s, files in _IDX_FILES.items()}
    with tempfile.TemporaryDirectory() as unpacked:
        folder = _unpack(from_file, unpacked)
        return {s: _read_idx_pair(folder, files, from_file) for s, files in _IDX_FILES.items()}


def _download_idx(name: str, root: str, info: SampleInfo) -> str:
    from torchvision.datasets import MNIST, FashionMNIST

    cls = MNIST if name == "mnist" else FashionMNIST
    # torchvision checks each file's MD5 as it downloads.
    dataset = _load_or_download(lambda download: cls(root, True, download=download), info)
    _load_or_download(lambda download: cls(root, False, download=download), info)
    return dataset.raw_folder


def _unpack(path: str, dest: str) -> str:
    """A folder holding the user's files: the folder itself, or an archive unpacked."""
    if os.path.isdir(path):
        return path
    if not os.path.isfile(path):
        raise LoupeError(f"{path}: file not found.")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                archive.extractall(dest)
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                archive.extractall(dest, filter="data")
        else:  # a single .gz file: put it where the others are looked for
            shutil.copy(path, os.path.join(dest, os.path.basename(path)))
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise LoupeError(f"{path}: cannot unpack this archive ({exc}).") from exc
    return dest


def _find(folder: str, stem: str) -> str | None:
    for base, _dirs, files in os.walk(folder):
        for f in files:
            if f in (stem, stem + ".gz"):
                return os.path.join(base, f)
    return None


def _read_idx_pair(folder: str, files: tuple[str, str], given: str | None = None):
    paths = [_find(folder, stem) for stem in files]
    missing = [stem for stem, p in zip(files, paths) if p is None]
    if missing:
        where = given or folder
        raise LoupeError(f"{where}: does not contain {' and '.join(missing)} (or .gz).")
    images, labels = (_read_idx(p) for p in paths)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise LoupeError(
            f"{paths[0]}: images and labels do not match ({images.shape}, {labels.shape})."
        )
    if labels.size and labels.max() > 9:
        raise LoupeError(f"{paths[1]}: labels must be 0-9, found {int(labels.max())}.")
    return images, labels


def _read_idx(path: str) -> np.ndarray:
    """An IDX file (LeCun's format: magic, dimensions, then uint8 data), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise LoupeError(f"{path}: cannot be read ({exc}).") from exc
    if len(data) < 4 or data[0:2] != b"\0\0" or data[2] != 0x08:
        raise LoupeError(f"{path}: not an IDX file of bytes (bad magic number).")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if len(data) != header + int(np.prod(dims)):
        raise LoupeError(f"{path}: truncated or padded (expected {dims}).")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _md5(path: str) -> str:
    digest = hashlib.md5()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LoupeError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()
