"""Tiny images and datasets for tests, written on the fly into tmp_path.

Reused by core and gui tests: keep it general and fast (numpy + PIL only).

    make_image(path, size=(w, h), color=(r, g, b), mode="RGB", fmt=None)
    make_shapes_dataset(root, classes=("circle", "square", "triangle"), per_class=12, size=32,
                        split=False)
    CORRUPT_KINDS / write_corrupt(kind, path) -> expected skip reason
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

Color = tuple[int, int, int]
Size = int | tuple[int, int]

_FORMAT_BY_EXT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}

# Distinct colours per class make the shapes learnable in a few steps even by a tiny CNN;
# the shape itself is the second cue.
CLASS_COLORS: dict[str, Color] = {
    "circle": (220, 40, 40),
    "square": (40, 160, 60),
    "triangle": (40, 70, 220),
    "star": (230, 200, 30),
    "cross": (160, 50, 190),
}
_FALLBACK_COLORS: list[Color] = [(230, 120, 20), (20, 190, 190), (120, 120, 120), (0, 0, 0)]


def _as_size(size: Size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt.upper()
    return _FORMAT_BY_EXT.get(path.suffix.lower(), "PNG")


def save_image(img: Image.Image, path: str | Path, fmt: str | None = None, **params) -> Path:
    """Write a Pillow image, creating parent folders; format from the extension by default."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=_format_for(path, fmt), **params)
    return path


def make_image(
    path: str | Path,
    size: Size = (16, 12),
    color: Color = (200, 50, 50),
    mode: str = "RGB",
    fmt: str | None = None,
    **params,
) -> Path:
    """A plain image of one colour, stored in `mode` (RGB, L, RGBA, P, CMYK, I;16, 1, ...)."""
    img = Image.new("RGB", _as_size(size), color)
    if mode == "I;16":
        gray = int(img.convert("L").getpixel((0, 0))) * 257
        img = Image.fromarray(np.full(img.size[::-1], gray, np.uint16))
    elif mode != "RGB":
        img = img.convert(mode)
    return save_image(img, path, fmt, **params)


def make_gradient_16bit_png(path: str | Path, size: Size = (32, 8), high: int = 4095) -> Path:
    """A 16-bit grey PNG whose values run 0..high left to right (high > 255 on purpose)."""
    w, h = _as_size(size)
    row = np.linspace(0, high, w).round().astype(np.uint16)
    return save_image(Image.fromarray(np.tile(row, (h, 1))), path, "PNG")


def make_exif_rotated_jpeg(
    path: str | Path, size: Size = (40, 20), orientation: int = 6, marker: Color = (255, 0, 0)
) -> Path:
    """A JPEG whose stored pixels are `size` (landscape) with a red block in the top-left
    corner, tagged with an EXIF orientation; after transposing, width and height swap for
    orientations 5-8."""
    w, h = _as_size(size)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    ImageDraw.Draw(img).rectangle((0, 0, w // 4, h // 4), fill=marker)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return save_image(img, path, "JPEG", exif=exif, quality=95)


def _shape_image(shape: str, size: int, rng: np.random.Generator, color: Color) -> Image.Image:
    """One shape at a random place and scale on a noisy light background."""
    background = rng.integers(200, 256, size=3)
    noise = rng.normal(0, 12, size=(size, size, 3))
    pixels = np.clip(background + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(img)
    radius = rng.uniform(0.22, 0.4) * size
    cx = rng.uniform(radius, size - radius)
    cy = rng.uniform(radius, size - radius)
    jitter = rng.integers(-25, 26, size=3)
    fill = tuple(int(v) for v in np.clip(np.array(color) + jitter, 0, 255))
    if shape == "circle":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)
    elif shape == "square":
        draw.rectangle((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)
    elif shape == "triangle":
        draw.polygon(
            [(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=fill
        )
    elif shape == "cross":
        t = radius / 3
        draw.rectangle((cx - radius, cy - t, cx + radius, cy + t), fill=fill)
        draw.rectangle((cx - t, cy - radius, cx + t, cy + radius), fill=fill)
    else:  # any other class name: a star-ish polygon, still distinct by colour
        angles = np.linspace(0, 2 * np.pi, 11)[:-1] - np.pi / 2
        radii = np.where(np.arange(10) % 2 == 0, radius, radius / 2.2)
        points = [
            (cx + r * np.cos(a), cy + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)
        ]
        draw.polygon(points, fill=fill)
    return img


def class_color(name: str, index: int) -> Color:
    return CLASS_COLORS.get(name, _FALLBACK_COLORS[index % len(_FALLBACK_COLORS)])


def make_shapes_dataset(
    root: str | Path,
    classes: Sequence[str] = ("circle", "square", "triangle"),
    per_class: int | Sequence[int] = 12,
    size: int = 32,
    split: bool = False,
    val_per_class: int | None = None,
    test_per_class: int = 0,
    seed: int = 0,
    ext: str = ".png",
) -> Path:
    """A learnable dataset of coloured shapes; returns root.

    split=False: root/<class>/<class>_NNN<ext> with per_class images each (per_class may be a
    list, one count per class, to build imbalanced sets).
    split=True: root/train/<class>, root/val/<class> (val_per_class, default max(1, n // 4))
    and root/test/<class> when test_per_class > 0; per_class counts the train images."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    counts = [per_class] * len(classes) if isinstance(per_class, int) else list(per_class)
    if len(counts) != len(classes):
        raise ValueError("per_class needs one count per class")
    for index, (name, n_train) in enumerate(zip(classes, counts, strict=True)):
        color = class_color(name, index)
        if split:
            n_val = val_per_class if val_per_class is not None else max(1, n_train // 4)
            parts = [("train", n_train), ("val", n_val), ("test", test_per_class)]
        else:
            parts = [("", n_train)]
        for part, n in parts:
            folder = root / part / name if part else root / name
            for i in range(n):
                img = _shape_image(name, size, rng, color)
                save_image(img, folder / f"{name}_{i:03d}{ext}")
    return root


# ---- corrupt files -------------------------------------------------------------------------


def _jpeg_bytes(size: Size = (48, 48)) -> bytes:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(*_as_size(size)[::-1], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _png_bytes(size: Size = (48, 48)) -> bytes:
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, size=(*_as_size(size)[::-1], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def _write(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_zero_bytes(path: str | Path) -> Path:
    return _write(path, b"")


def write_not_an_image(path: str | Path) -> Path:
    """A text file with an image extension (e.g. a renamed note)."""
    return _write(path, b"This is a shopping list, not a photo.\n" * 4)


def write_truncated_jpeg(path: str | Path, keep: float = 0.6) -> Path:
    """A JPEG cut off part-way (an interrupted download or copy)."""
    data = _jpeg_bytes()
    return _write(path, data[: int(len(data) * keep)])


def write_truncated_png(path: str | Path, keep: float = 0.6) -> Path:
    data = _png_bytes()
    return _write(path, data[: int(len(data) * keep)])


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def write_png_short_pixel_data(path: str | Path) -> Path:
    """A PNG with valid chunks and IEND but only half its compressed pixel data: it passes
    the cheap quick_check and fails only on full decode (what add_skipped is for)."""
    w, h = 48, 48
    rows = np.random.default_rng(3).integers(0, 256, size=(h, w * 3), dtype=np.uint8)
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(h))
    compressed = zlib.compress(raw, 9)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", compressed[: len(compressed) // 2])
        + _png_chunk(b"IEND", b"")
    )
    return _write(path, data)


def write_too_large(path: str | Path, size: Size = (64, 64)) -> Path:
    """An ordinary image; it counts as 'too large' once a test lowers
    Image.MAX_IMAGE_PIXELS below its pixel count (monkeypatch)."""
    return make_image(path, size, (10, 10, 10))


# kind -> (writer, file name, reason reported by imaging.quick_check / datasets)
CORRUPT_KINDS: dict[str, tuple[Callable[[str | Path], Path], str, str]] = {
    "zero_bytes": (write_zero_bytes, "empty.jpg", "zero bytes"),
    "not_an_image": (write_not_an_image, "notes.jpg", "not an image"),
    "truncated_jpeg": (write_truncated_jpeg, "cut.jpg", "truncated"),
    "truncated_png": (write_truncated_png, "cut.png", "truncated"),
}


def write_corrupt(kind: str, folder: str | Path, name: str | None = None) -> tuple[Path, str]:
    """Write one corrupt file of `kind` into folder; returns (path, expected reason)."""
    writer, default_name, reason = CORRUPT_KINDS[kind]
    return writer(Path(folder) / (name or default_name)), reason


def write_all_corrupt(folder: str | Path, kinds: Iterable[str] | None = None) -> dict[Path, str]:
    """One file per corrupt kind; returns {path: expected reason}."""
    out: dict[Path, str] = {}
    for kind in kinds or CORRUPT_KINDS:
        path, reason = write_corrupt(kind, folder, f"{kind}{Path(CORRUPT_KINDS[kind][1]).suffix}")
        out[path] = reason
    return out
