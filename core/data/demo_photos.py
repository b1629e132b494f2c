"""A small photo-like dataset drawn on the fly, for a first run without internet (`samples demo`,
the Data page's "Try a sample dataset") and for the small-photo benchmark.

Five procedural classes of textures and shapes (colour never gives the class away), each with
random colours, scale, rotation,
lighting, noise, blur and clutter, saved as JPEG at 96-160 px: hard enough that a CNN trained
from scratch on a few hundred of them struggles, easy for ImageNet features. numpy + PIL, no torch."""

from __future__ import annotations

import colorsys
import math
import os
import zlib
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.data.sample_files import save_new_image

DEMO_CLASSES: tuple[str, ...] = ("balls", "bricks", "clouds", "flowers", "stripes")
MIN_SIDE, MAX_SIDE = 96, 160
JPEG_QUALITY = 85
_SUPERSAMPLE = 2  # shapes are drawn at twice the size, then downsampled: smooth edges

Rng = np.random.Generator


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return int(r * 255), int(g * 255), int(b * 255)


def _noise_field(rng: Rng, w: int, h: int, cells: int) -> np.ndarray:
    """Smooth random field in [0, 1]: coarse noise upsampled (cheap 'value noise')."""
    coarse = rng.random((cells, cells)).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _background(rng: Rng, w: int, h: int) -> Image.Image:
    """A muted, blotchy background of any hue: colour alone must not give the class away."""
    base = np.array(_rgb(rng.random(), rng.uniform(0.1, 0.7), rng.uniform(0.3, 0.9)), np.float32)
    field = _noise_field(rng, w, h, int(rng.integers(3, 8)))[..., None]
    img = base * (0.7 + 0.6 * field)
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def _bricks(rng: Rng, out_w: int, out_h: int) -> Image.Image:
    # Drawn on a larger canvas and cropped after the rotation: no empty corners.
    w = h = int(math.hypot(out_w, out_h)) + 2
    mortar = _rgb(rng.random(), rng.uniform(0, 0.4), rng.uniform(0.3, 0.9))
    img = Image.new("RGB", (w, h), mortar)
    draw = ImageDraw.Draw(img)
    bh = int(rng.integers(6, 28) * _SUPERSAMPLE / 2)
    bw = int(bh * rng.uniform(1.5, 3.2))
    hue = rng.random()  # any colour: the pattern, not the colour, makes a wall
    for row, y in enumerate(range(-bh, h + bh, bh)):
        offset = (bw // 2) * (row % 2)
        for x in range(-bw - offset, w + bw, bw):
            color = _rgb(hue + rng.normal(0, 0.02), rng.uniform(0.4, 0.8), rng.uniform(0.35, 0.75))
            draw.rectangle([x + 2, y + 2, x + bw - 2, y + bh - 2], fill=color)
    img = img.rotate(float(rng.uniform(-25, 25)), resample=Image.BILINEAR)
    left, top = (w - out_w) // 2, (h - out_h) // 2
    return img.crop((left, top, left + out_w, top + out_h))


def _clouds(rng: Rng, w: int, h: int) -> Image.Image:
    sky = np.array(_rgb(rng.random(), rng.uniform(0.2, 0.8), rng.uniform(0.4, 1.0)))
    y = np.linspace(0.8, 1.15, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(sky * y, (h, w, 3)).astype(np.float32)
    field = _noise_field(rng, w, h, int(rng.integers(3, 7)))
    detail = _noise_field(rng, w, h, int(rng.integers(10, 20)))
    cover = np.clip((0.6 * field + 0.4 * detail - rng.uniform(0.35, 0.6)) * 3.0, 0, 1)[..., None]
    white = np.array(_rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.75, 1.0)), np.float32)
    img = img * (1 - cover) + white * cover
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def _flowers(rng: Rng, w: int, h: int) -> Image.Image:
    img = _background(rng, w, h)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(1, 5))):
        cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
        radius = rng.uniform(0.08, 0.25) * min(w, h)
        petals = int(rng.integers(5, 10))
        color = _rgb(rng.random(), rng.uniform(0.5, 1.0), rng.uniform(0.7, 1.0))
        turn = rng.uniform(0, math.pi)
        for k in range(petals):
            a = turn + 2 * math.pi * k / petals
            px, py = cx + math.cos(a) * radius * 0.6, cy + math.sin(a) * radius * 0.6
            pr = radius * 0.42
            draw.ellipse([px - pr, py - pr, px + pr, py + pr], fill=color)
        core = radius * 0.25
        draw.ellipse([cx - core, cy - core, cx + core, cy + core], fill=_rgb(0.13, 0.9, 0.9))
    return img


def _balls(rng: Rng, w: int, h: int) -> Image.Image:
    img = np.asarray(_background(rng, w, h), dtype=np.float32).copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        r = rng.uniform(0.15, 0.35) * min(w, h)
        color = np.array(_rgb(rng.random(), rng.uniform(0.4, 1.0), 1.0), np.float32)
        d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / r
        inside = d < 1
        # A lit sphere: brighter towards the upper left, dimpled peel as fine noise.
        light = 1.0 - 0.45 * np.clip(((xx - cx + r / 2) ** 2 + (yy - cy + r / 2) ** 2) / r**2, 0, 1)
        peel = 0.9 + 0.2 * _noise_field(rng, w, h, max(8, int(r / 2)))
        shade = (light * peel)[..., None] * color
        img[inside] = shade[inside]
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def _stripes(rng: Rng, w: int, h: int) -> Image.Image:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, math.pi)
    period = rng.uniform(5, 24) * _SUPERSAMPLE
    warp = _noise_field(rng, w, h, 4) * rng.uniform(8, 30)
    phase = (xx * math.cos(angle) + yy * math.sin(angle) + warp) / period
    stripes = (np.sin(2 * math.pi * phase) > rng.uniform(-0.3, 0.3)).astype(np.float32)
    dark = np.array(_rgb(rng.random(), rng.uniform(0, 0.4), rng.uniform(0.0, 0.3)), np.float32)
    light = np.array(_rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.75, 1.0)), np.float32)
    img = dark + stripes[..., None] * (light - dark)
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


_PAINTERS: dict[str, Callable[[Rng, int, int], Image.Image]] = {
    "balls": _balls,
    "bricks": _bricks,
    "clouds": _clouds,
    "flowers": _flowers,
    "stripes": _stripes,
}


def _clutter(rng: Rng, img: Image.Image) -> None:
    """A few random occluding shapes, as real photos have other things in them."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(int(rng.integers(1, 7))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(0.05, 0.3) * min(w, h)
        color = _rgb(rng.random(), rng.uniform(0, 0.8), rng.uniform(0.1, 0.9))
        if rng.random() < 0.5:
            draw.rectangle([x, y, x + s, y + s * rng.uniform(0.3, 2)], fill=color)
        else:
            draw.line(
                [x, y, x + rng.normal(0, s * 3), y + rng.normal(0, s * 3)],
                fill=color,
                width=int(rng.integers(2, 8)),
            )


def demo_photo(class_name: str, rng: Rng) -> Image.Image:
    """One photo-like RGB picture of `class_name` (one of DEMO_CLASSES), 96-160 px a side."""
    w, h = (int(v) for v in rng.integers(MIN_SIDE, MAX_SIDE + 1, size=2))
    img = _PAINTERS[class_name](rng, w * _SUPERSAMPLE, h * _SUPERSAMPLE)
    _clutter(rng, img)
    img = img.resize((w, h), Image.LANCZOS)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    # Exposure, a lighting gradient and sensor noise.
    arr = np.asarray(img, dtype=np.float32)
    ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.0, 1.3), w, dtype=np.float32)
    arr = arr * rng.uniform(0.75, 1.2) * (ramp[None, :, None] if rng.random() < 0.5 else 1.0)
    arr = arr + rng.normal(0, rng.uniform(2, 10), arr.shape).astype(np.float32)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def write_demo_dataset(
    out_dir: str,
    per_class: int = 60,
    test_per_class: int = 0,
    seed: int = 0,
    classes: tuple[str, ...] = DEMO_CLASSES,
) -> Iterator[tuple[int, int]]:
    """Write class folders of JPEGs (under train/ and test/ when test_per_class > 0), yielding
    (written, total) after each image. Existing files are never overwritten: a name that
    exists is skipped, so a second call completes an interrupted one (an image appears
    under its name only once complete)."""
    splits = (
        [("train", per_class), ("test", test_per_class)] if test_per_class else [("", per_class)]
    )
    total = sum(n for _, n in splits) * len(classes)
    done = 0
    for split, count in splits:
        for name in classes:
            folder = os.path.join(out_dir, split, name) if split else os.path.join(out_dir, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                # One generator per image: the same image whatever was written before.
                image_rng = np.random.default_rng([seed, hash_name(split + name), i])
                path = os.path.join(folder, f"{name}_{i:04d}.jpg")
                if not os.path.lexists(path):  # written whole or not at all
                    save_new_image(demo_photo(name, image_rng), path, "JPEG", quality=JPEG_QUALITY)
                done += 1
                yield done, total


def hash_name(text: str) -> int:
    """A stable integer for a name (Python's hash() changes between runs)."""
    return zlib.crc32(text.encode("utf-8"))
