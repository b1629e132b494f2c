"""Reading image files: the one decode + resize path shared by training, inference and the
dataset scan. numpy + PIL only (no torch), so the GUI can use it for thumbnails without
waiting for torch to import.

Every failure becomes `ImageLoadError(path, reason)` with a short reason a user can act on:
"zero bytes", "not an image", "truncated", "too large (...)" or "unreadable: <detail>".
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from core.errors import ImageLoadError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

# Partial pixels padded with grey would silently poison training; a truncated file must fail.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# MPO is what Pillow calls multi-picture camera JPEGs; they decode (and draft) like JPEGs.
_JPEG_FORMATS = {"JPEG", "MPO"}
_TAIL_BYTES = 1024
_EXIF_ORIENTATION = 0x0112
_WHITE = (255, 255, 255)

# Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; Loupe refuses such images.
# `warnings.catch_warnings` is not thread-safe before Python 3.14 (it swaps a process-wide
# filter list, and quick_check runs in a thread pool), so the filter is installed once, for
# this one category, and `_check_pixel_limit` repeats the test without relying on filters.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def is_image_name(name: str) -> bool:
    """True when the file name has an image extension Loupe reads (any letter case)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _too_large_reason(size: tuple[int, int] | None, pixels: int | None = None) -> str:
    if size is not None:
        return f"too large ({size[0]}×{size[1]} pixels, over Pillow's decompression-bomb limit)"
    amount = f"{pixels} pixels" if pixels else "too many pixels"
    return f"too large ({amount}, over Pillow's decompression-bomb limit)"


def _header_size(path: str) -> tuple[int, int] | None:
    """Width and height read by the format plugin directly, skipping Image.open's bomb check,
    so the 'too large' message can say how large. Best effort: None when it cannot tell."""
    try:
        Image.init()
        with open(path, "rb") as fp:
            prefix = fp.read(16)
            for fmt in Image.ID:
                factory, accept = Image.OPEN[fmt]
                if accept is not None and not accept(prefix):
                    continue
                fp.seek(0)
                try:
                    im = factory(fp, path)
                except Exception:  # trying each plugin, like Image.open does
                    continue
                return im.size
    except Exception:  # only used to improve an error message
        return None
    return None


def _check_pixel_limit(path: str, size: tuple[int, int]) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and size[0] * size[1] > limit:
        raise ImageLoadError(path, _too_large_reason(size))


def _short_detail(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _check_not_empty(path: str) -> int:
    try:
        n_bytes = os.stat(path).st_size
    except FileNotFoundError:
        raise ImageLoadError(path, "unreadable: file not found") from None
    except OSError as error:
        raise ImageLoadError(path, f"unreadable: {_short_detail(error)}") from error
    if n_bytes == 0:
        raise ImageLoadError(path, "zero bytes")
    return n_bytes


@contextmanager
def _opened(path: str) -> Iterator[ImageFile.ImageFile]:
    """Image.open with the size checks and error mapping; the file is closed on exit."""
    _check_not_empty(path)
    try:
        img = Image.open(path)
    except UnidentifiedImageError:
        raise ImageLoadError(path, "not an image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(path, _too_large_reason(_header_size(path))) from error
    except (OSError, ValueError, EOFError, struct.error) as error:
        raise ImageLoadError(path, f"unreadable: {_short_detail(error)}") from error
    with img:
        _check_pixel_limit(path, img.size)
        yield img


def _is_truncation(error: BaseException) -> bool:
    if isinstance(error, EOFError):
        return True
    text = str(error).lower()
    return any(k in text for k in ("truncated", "broken data stream", "premature end"))


def _decode(path: str, img: ImageFile.ImageFile) -> None:
    try:
        img.load()
    except (OSError, EOFError, SyntaxError, ValueError, struct.error) as error:
        if _is_truncation(error):
            raise ImageLoadError(path, "truncated") from error
        raise ImageLoadError(path, f"unreadable: {_short_detail(error)}") from error


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the image unreadable
        return 1


def _scale_to_uint8(arr: np.ndarray) -> np.ndarray:
    """16-bit / 32-bit / float pixels to 0..255 by the range the data really uses.

    Pillow's own convert clips at 255, which turns most 16-bit images white. Values already
    inside 0..255 are kept (an 8-bit image stored wide), floats inside 0..1 are scaled by 255,
    otherwise min(0, lowest)..highest is stretched to 0..255."""
    arr = arr.astype(np.float64, copy=False)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return np.zeros(arr.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    if np.issubdtype(arr.dtype, np.floating) and lo >= 0.0 and hi <= 1.0 and hi > 0.0:
        out = arr * 255.0
    elif lo >= 0.0 and hi <= 255.0:
        out = arr
    else:
        lo = min(lo, 0.0)
        out = (arr - lo) * (255.0 / (hi - lo))
    return np.clip(np.nan_to_num(out), 0, 255).round().astype(np.uint8)


def _on_white(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB: transparency over white, wide integer/float ranges rescaled."""
    mode = img.mode
    if mode == "RGB" and "transparency" not in img.info:
        return img
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        return _on_white(img)
    if mode == "P":
        palette_mode = img.palette.mode if img.palette is not None else "RGB"
        return _on_white(img) if "A" in palette_mode else img.convert("RGB")
    if mode.startswith("I") or mode == "F":
        # I;16B etc.: numpy reads the byte order from Pillow's array interface.
        gray = _scale_to_uint8(np.asarray(img))
        return Image.fromarray(np.repeat(gray[..., None], 3, axis=2), "RGB")
    # L, 1, CMYK (Pillow already un-inverts Adobe CMYK JPEGs), YCbCr, LAB, HSV, RGBX.
    return img.convert("RGB")


def open_rgb(path: str, draft_size: int | None = None) -> Image.Image:
    """The fully decoded image in RGB, turned upright by its EXIF orientation.

    draft_size: for JPEGs, let libjpeg decode at 1/2, 1/4 or 1/8 scale while both sides stay
    at least draft_size (3-4x faster for big photos). Raises ImageLoadError."""
    with _opened(path) as img:
        if draft_size and img.format in _JPEG_FORMATS:
            img.draft("RGB", (draft_size, draft_size))
        _decode(path, img)
        if _orientation(img) != 1:
            # A broken EXIF block must not make the image unreadable: keep it as stored.
            with suppress(Exception):
                img = ImageOps.exif_transpose(img)
        try:
            return to_rgb(img)
        except (OSError, ValueError) as error:
            raise ImageLoadError(path, f"unreadable: {_short_detail(error)}") from error


def load_square(path: str, size: int, mode: str = "crop") -> np.ndarray:
    """The one preprocessing used by training and inference: uint8 array (size, size, 3).

    mode "crop": shorter side to `size`, then the centre square; "squash": stretch to
    size x size. Resizing from a crop box in one call is the same as resize-then-crop."""
    if mode not in ("crop", "squash"):
        raise ValueError(f"mode must be 'crop' or 'squash', not {mode!r}")
    img = open_rgb(path, draft_size=size)
    w, h = img.size
    if mode == "crop":
        side = min(w, h)
        left, top = (w - side) / 2, (h - side) / 2
        box = (left, top, left + side, top + side)
    else:
        box = (0, 0, w, h)
    if img.size != (size, size) or box != (0, 0, w, h):
        img = img.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    return np.asarray(img, dtype=np.uint8).copy()


def thumbnail_array(path: str, max_side: int) -> np.ndarray:
    """A small uint8 H x W x 3 copy, longest side at most max_side, aspect kept."""
    img = open_rgb(path, draft_size=max_side)
    img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(img, dtype=np.uint8).copy()


def _tail(path: str, n_bytes: int) -> bytes:
    with open(path, "rb") as fp:
        fp.seek(max(0, n_bytes - _TAIL_BYTES))
        return fp.read()


def _tail_is_complete(img_format: str | None, tail: bytes) -> bool:
    if img_format in _JPEG_FORMATS:
        # Some cameras and editors pad after the end-of-image marker, hence "in the tail".
        return b"\xff\xd9" in tail
    if img_format == "PNG":
        return b"IEND" in tail
    return True


def _png_exif_after_pixels(path: str) -> bool:
    """True when the PNG has an eXIf chunk after its image data. Pillow finds such a chunk
    only by decoding the pixels (PngImageFile.getexif loads the image): walking the chunk
    headers finds it without that."""
    with open(path, "rb") as fp:
        fp.seek(8)  # the PNG signature
        while len(header := fp.read(8)) == 8:
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                return True
            if kind == b"IEND":
                return False
            fp.seek(length + 4, os.SEEK_CUR)  # the data and its CRC
    return False


def _header_orientation(path: str, img: ImageFile.ImageFile) -> int:
    """The EXIF orientation without decoding the pixels where the format allows it."""
    if img.format == "PNG" and "exif" not in img.info and not _png_exif_after_pixels(path):
        return 1  # no EXIF at all: getexif() would decode the whole image to find that out
    return _orientation(img)


def quick_check(path: str) -> tuple[str | None, tuple[int, int] | None]:
    """Cheap header + tail check without decoding pixels: (skip reason or None, (w, h)).

    The size is as displayed (EXIF-rotated). A file passing here can still fail the full
    decode later; the training loader reports those via datasets.add_skipped."""
    try:
        n_bytes = _check_not_empty(path)
        with _opened(path) as img:
            w, h = img.size
            if _header_orientation(path, img) in (5, 6, 7, 8):
                w, h = h, w
            img_format = img.format
        if not _tail_is_complete(img_format, _tail(path, n_bytes)):
            return "truncated", (w, h)
    except ImageLoadError as error:
        return error.reason, None
    except OSError as error:
        return f"unreadable: {_short_detail(error)}", None
    return None, (w, h)
