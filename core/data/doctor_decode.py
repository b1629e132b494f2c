"""One decoding pass for the dataset doctor: every image is opened once and gives
- a hash of its decoded pixels (identical pictures re-saved as another file or format match),
- a 64-bit perceptual hash (DCT of a 32x32 grey copy: survives re-encoding and resizing),
- a small square RGB copy, which the embedding and outlier steps use without reading again.

PIL releases the GIL while it decodes, so a thread pool keeps the cores busy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

from core.data.batches import decode_threads
from core.data.imaging import open_rgb
from core.errors import ImageLoadError

SMALL_SIDE = 64  # px: enough for ImageNet features of a thumbnail, 12 KB per image
_CHUNK = 256  # images per progress report and per stop check


@dataclass
class DecodedImages:
    pixel_hashes: list[str]  # "" where the image could not be read
    perceptual: np.ndarray  # (N,) uint64 perceptual hashes
    small: np.ndarray  # (N, SMALL_SIDE, SMALL_SIDE, 3) uint8
    readable: np.ndarray  # (N,) bool
    unreadable: list[tuple[str, str]]  # (path, reason)


def pixel_hash(img: Image.Image) -> str:
    """Equal for two files exactly when their decoded RGB pixels are equal."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{img.width}x{img.height}:".encode())
    digest.update(img.tobytes())
    return digest.hexdigest()


def perceptual_hash(img: Image.Image) -> int:
    # The hash looks at a 32x32 grey copy: shrinking a photo to 256 px first (cheap box
    # reduction) gives the same bits without a full-size grey conversion and resample.
    if max(img.size) > 256:
        img = img.copy()
        img.thumbnail((256, 256), Image.Resampling.BILINEAR, reducing_gap=2.0)
    bits = imagehash.phash(img).hash.flatten()
    return int(np.packbits(bits).view(">u8")[0])


def small_square(img: Image.Image, side: int = SMALL_SIDE) -> np.ndarray:
    """Centre square, resized: the same view training uses (core.data.imaging.load_square)."""
    w, h = img.size
    edge = min(w, h)
    box = ((w - edge) / 2, (h - edge) / 2, (w + edge) / 2, (h + edge) / 2)
    small = img.resize((side, side), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    return np.asarray(small, dtype=np.uint8)


def decode_all(
    paths: Sequence[str], should_stop: Callable[[], bool] | None = None
) -> Generator[tuple[int, int], None, DecodedImages | None]:
    """Yields (done, total); returns the decoded facts, or None when stopped."""
    n = len(paths)
    hashes = [""] * n
    perceptual = np.zeros(n, dtype=np.uint64)
    small = np.zeros((n, SMALL_SIDE, SMALL_SIDE, 3), dtype=np.uint8)
    readable = np.zeros(n, dtype=bool)
    unreadable: list[tuple[str, str]] = []

    def work(i: int) -> str | None:
        try:
            img = open_rgb(paths[i])  # full decode: identical pixels need every pixel
        except ImageLoadError as exc:
            return exc.reason
        hashes[i] = pixel_hash(img)
        perceptual[i] = perceptual_hash(img)
        small[i] = small_square(img)
        readable[i] = True
        return None

    with ThreadPoolExecutor(decode_threads(), thread_name_prefix="loupe-doctor") as pool:
        for start in range(0, n, _CHUNK):
            if should_stop and should_stop():
                return None
            indices = range(start, min(start + _CHUNK, n))
            for i, reason in zip(indices, pool.map(work, indices)):
                if reason is not None:
                    unreadable.append((paths[i], reason))
            yield indices.stop, n
    return DecodedImages(hashes, perceptual, small, readable, unreadable)
