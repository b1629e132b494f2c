"""The files of a sample dataset: what the user gave (`samples --from`: an archive, a folder,
the IDX files inside) read and checked before anything is written, and each image written
whole under its name.

Every refusal is one sentence naming the user's file: an archive cut short or damaged, and a
file inside an archive as "ARCHIVE: its NAME", never the temporary folder it was unpacked
into (gone by the time the user reads the sentence)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import shutil
import tarfile
import zipfile
import zlib

import numpy as np
from PIL import Image

from core.errors import LoupeError
from core.files.atomic import AtomicFile

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK"
# Raised by zipfile, tarfile and gzip for bytes that stop early or do not add up.
_DAMAGE = (zipfile.BadZipFile, tarfile.ReadError, EOFError, zlib.error, gzip.BadGzipFile)


def save_new_image(image: Image.Image, path: str, image_format: str, **params) -> None:
    """Save `image` at `path` unless a file is there already. Written under a hidden
    temporary name and renamed when complete, so a file under the final name is always
    whole: an interrupted run leaves no cut-short image for the next run to keep. No fsync
    per image (tens of thousands of small files; a power cut may still tear one)."""
    if os.path.lexists(path):
        return
    target = AtomicFile(path, "wb")
    try:
        image.save(target.file, image_format, **params)
    except BaseException:
        target.abort()
        raise
    with contextlib.suppress(FileExistsError):  # another run wrote it meanwhile: the same
        target.commit(overwrite=False, durable=False)


def damaged(path: str) -> LoupeError:
    return LoupeError(f"{path} is damaged or truncated: download it again.")


def unpack(path: str, dest: str) -> str:
    """A folder holding the user's files: the folder itself, or an archive unpacked into
    `dest`. A damaged or cut-short archive is refused by name."""
    if os.path.isdir(path):
        return path
    if not os.path.isfile(path):
        raise LoupeError(f"{path}: file not found.")
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                archive.extractall(dest)
        elif head == _ZIP_MAGIC:  # a zip's first bytes without its index at the end: cut short
            raise damaged(path)
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                archive.extractall(dest, filter="data")
        else:  # a single file (.gz or not): put it where the others are looked for
            if head == _GZIP_MAGIC:
                with gzip.open(path, "rb") as f:  # read to the end: a cut-short one fails
                    while f.read(1 << 20):
                        pass
            shutil.copy(path, os.path.join(dest, os.path.basename(path)))
    except _DAMAGE:
        raise damaged(path) from None
    except (OSError, tarfile.TarError) as exc:
        raise LoupeError(f"{path}: cannot unpack this archive ({exc}).") from exc
    return dest


def _find(folder: str, stem: str) -> str | None:
    for base, _dirs, files in os.walk(folder):
        for f in files:
            if f in (stem, stem + ".gz"):
                return os.path.join(base, f)
    return None


def read_idx_pair(folder: str, files: tuple[str, str], given: str | None = None):
    """(images, labels) of one split from the IDX files named `files` under `folder`:
    `given` is what the user named (an archive unpacked into `folder`, or the folder)."""
    paths = [_find(folder, stem) for stem in files]
    missing = [stem for stem, p in zip(files, paths) if p is None]
    if missing:
        raise LoupeError(f"{given or folder}: does not contain {' and '.join(missing)} (or .gz).")
    shown = [_shown(p, folder, given) for p in paths]
    images, labels = (_read_idx(p, name) for p, name in zip(paths, shown))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise LoupeError(
            f"{shown[0]}: images and labels do not match ({images.shape}, {labels.shape})."
        )
    if not len(images):
        raise LoupeError(f"{shown[0]}: holds no images.")
    if 0 in images.shape[1:]:
        height, width = images.shape[1:]
        raise LoupeError(f"{shown[0]}: the images are {height}x{width} pixels, nothing to draw.")
    if labels.max() > 9:
        raise LoupeError(f"{shown[1]}: labels must be 0-9, found {int(labels.max())}.")
    return images, labels


def _shown(path: str, folder: str, given: str | None) -> str:
    """How to name `path` to the user: a file of their folder as it is, a file unpacked
    from their archive as 'ARCHIVE: its NAME'."""
    if given is None or os.path.isdir(given):
        return path
    return f"{given}: its {os.path.relpath(path, folder).replace(os.sep, '/')}"


def _read_idx(path: str, shown: str) -> np.ndarray:
    """An IDX file (LeCun's format: magic, dimensions, then uint8 data), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise LoupeError(f"{shown}: cannot be read ({exc}).") from exc
    if len(data) < 4 or data[0:2] != b"\0\0" or data[2] != 0x08:
        raise LoupeError(f"{shown}: not an IDX file of bytes (bad magic number).")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if len(data) != header + math.prod(dims):
        raise LoupeError(f"{shown}: truncated or padded (expected {dims}).")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def md5(path: str) -> str:
    digest = hashlib.md5()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LoupeError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()
