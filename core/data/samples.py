"""Sample datasets one command (or click) away, written as class folders with train/ and test/
splits: the tutorials' CIFAR-10, MNIST and Fashion-MNIST (through torchvision.datasets:
downloaded into torchvision's usual root with its checksums, or read from an archive the user
downloaded elsewhere), and "demo", a photo-like set drawn on the spot with no internet.

`write_sample(name, out_dir, from_file)` is a generator of SampleProgress, so the CLI and the
window show progress and can stop between images. A sample goes into a new or empty folder,
or into an earlier (perhaps interrupted) copy of the same sample, which it completes: files
already there are never overwritten, and each image appears under its name only once whole
(core/data/sample_files.py). torch is imported only when a dataset needs it."""

from __future__ import annotations

import json
import os
import re
import socket
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from core.data.demo_photos import DEMO_CLASSES, write_demo_dataset
from core.data.sample_files import md5, read_idx_pair, save_new_image, unpack
from core.errors import LoupeError
from core.files.atomic import atomic_write_json

DEMO_PER_CLASS, DEMO_TEST_PER_CLASS = 60, 20  # a few hundred photos: trains in minutes on a CPU
# Which sample a folder holds, written before its first image. Hidden: a dataset scan and the
# Data page pass over it.
MARKER = ".loupe-sample.json"
_MARKER_FORMAT = "loupe-sample"


@dataclass(frozen=True)
class SampleInfo:
    name: str
    title: str
    description: str
    classes: tuple[str, ...]
    needs_download: bool
    source: str  # the download's address, for the offline sentence
    get_it: str = ""  # what to download from `source` and give, for the offline sentence


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
_FOUR_FILES = (
    "download its four .gz files elsewhere from {source}, put them in one folder (or one "
    "archive) and choose it"
)

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
        "download {source} elsewhere and choose that file",
    ),
    "mnist": SampleInfo(
        "mnist",
        "MNIST",
        "70,000 handwritten digits, 28x28 px greyscale, 10 classes (12 MB download).",
        _DIGITS,
        True,
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        _FOUR_FILES,
    ),
    "fashion-mnist": SampleInfo(
        "fashion-mnist",
        "Fashion-MNIST",
        "70,000 pictures of clothing, 28x28 px greyscale, 10 classes (30 MB download).",
        _FASHION,
        True,
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        _FOUR_FILES,
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


def _get_it(info: SampleInfo) -> str:
    return f"{info.get_it.format(source=info.source)} {FROM_FILE_HINT}"


def offline_sentence(info: SampleInfo) -> str:
    get_it = _get_it(info)
    return (
        f"Cannot download {info.title}: this computer seems to be offline. "
        f"{get_it[0].upper()}{get_it[1:]}."
    )


def write_sample(
    name: str, out_dir: str, from_file: str | None = None, root: str | None = None
) -> Iterator[SampleProgress]:
    """Write sample `name` into out_dir/train/<class>/ and out_dir/test/<class>/."""
    info = SAMPLES.get(name)
    if info is None:
        raise LoupeError(f"Unknown sample dataset '{name}': choose {', '.join(SAMPLES)}.")
    if not info.needs_download and from_file is not None:
        others = "/".join(n for n, i in SAMPLES.items() if i.needs_download)
        raise LoupeError(f"{name} is drawn on your computer; --from is for {others}.")
    _check_out_folder(out_dir, info)
    if name == "demo":
        _mark(out_dir, info)
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
    _mark(out_dir, info)  # only now: a refused archive or a failed download leaves nothing
    total = sum(len(labels) for _, labels in splits.values())
    done = 0
    made: set[str] = set()
    for split, (images, labels) in splits.items():
        for i, (pixels, label) in enumerate(zip(images, labels)):
            folder = os.path.join(out_dir, split, info.classes[int(label)])
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            path = os.path.join(folder, f"{split}_{i:05d}.png")
            if not os.path.lexists(path):
                save_new_image(Image.fromarray(pixels), path, "PNG")
            done += 1
            if done % 500 == 0 or done == total:
                yield SampleProgress("write", done, total, f"Wrote {done:,} of {total:,} images")


def _check_out_folder(out_dir: str, info: SampleInfo) -> None:
    """Refuse, before any work, an out_dir that is (or lies under) a file (otherwise the
    first write fails with the operating system's ".../train: Not a directory"), or a
    folder holding anything but an earlier copy of this sample: train/ and test/ added to
    a person's own class folders would hide them from training."""
    given = os.path.abspath(os.path.expanduser(out_dir))
    path = given
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        if path == given:
            raise LoupeError(f"{path} is a file, not a folder: choose a folder for the dataset.")
        raise LoupeError(f"Cannot write the dataset to {out_dir}: {path} is a file, not a folder.")
    if path != given:
        return  # a new folder
    written = _marked_sample(given)
    if written == info.name or (written is None and _is_earlier_copy(given, info)):
        return
    if written in SAMPLES:
        raise LoupeError(
            f"{given} holds the {written} sample: choose another folder for {info.name}."
        )
    raise LoupeError(
        f"{given} already holds other files: choose a new or empty folder for the "
        f"{info.name} sample, so that it is not mixed into them."
    )


def _marked_sample(folder: str) -> str | None:
    """The sample MARKER names in `folder`, or None without a readable one."""
    try:
        with open(os.path.join(folder, MARKER), encoding="utf-8") as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(marker, dict) and marker.get("format") == _MARKER_FORMAT:
        sample = marker.get("sample")
        return sample if isinstance(sample, str) else None
    return None


def _mark(out_dir: str, info: SampleInfo) -> None:
    os.makedirs(out_dir, exist_ok=True)
    if _marked_sample(out_dir) != info.name:
        atomic_write_json(
            os.path.join(out_dir, MARKER), {"format": _MARKER_FORMAT, "sample": info.name}
        )


def _visible(folder: str) -> list[os.DirEntry]:
    """The entries of `folder` but hidden files (.DS_Store, a write's temporary file)."""
    with os.scandir(folder) as entries:
        return [e for e in entries if not (e.name.startswith(".") and e.is_file())]


def _is_earlier_copy(folder: str, info: SampleInfo) -> bool:
    """Whether `folder` holds nothing but what this sample writes (an interrupted copy, or
    one from a Loupe that wrote no MARKER): train/ and test/, the sample's class folders,
    and image files named as it names them. An empty folder is one too."""
    for split in _visible(folder):
        if split.name not in ("train", "test") or not split.is_dir(follow_symlinks=False):
            return False
        for cls in _visible(split.path):
            if cls.name not in info.classes or not cls.is_dir(follow_symlinks=False):
                return False
            if info.name == "demo":
                own = re.compile(rf"{re.escape(cls.name)}_\d{{4}}\.jpg")
            else:
                own = re.compile(rf"{split.name}_\d{{5}}\.png")
            for image in _visible(cls.path):
                if not (image.is_file(follow_symlinks=False) and own.fullmatch(image.name)):
                    return False
    return True


# ---- CIFAR-10 (torchvision's pickled batches: only ever read from the checksummed archive) ----


def _cifar_splits(root: str, from_file: str | None, info: SampleInfo) -> dict:
    from torchvision.datasets import CIFAR10

    if from_file is not None:
        # The batches are Python pickles: unpickling a stranger's file could run code, so only
        # the exact official archive (torchvision's MD5) is accepted.
        if md5(from_file) != CIFAR10.tgz_md5:
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
            f"Could not download {info.title} ({exc}). If this computer is offline, "
            f"{_get_it(info)}."
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
        return {s: read_idx_pair(folder, files) for s, files in _IDX_FILES.items()}
    with tempfile.TemporaryDirectory() as unpacked:
        folder = unpack(from_file, unpacked)
        return {s: read_idx_pair(folder, files, from_file) for s, files in _IDX_FILES.items()}


def _download_idx(name: str, root: str, info: SampleInfo) -> str:
    from torchvision.datasets import MNIST, FashionMNIST

    cls = MNIST if name == "mnist" else FashionMNIST
    # torchvision checks each file's MD5 as it downloads.
    dataset = _load_or_download(lambda download: cls(root, True, download=download), info)
    _load_or_download(lambda download: cls(root, False, download=download), info)
    return dataset.raw_folder
