"""An MNIST-like digit set made on the spot (no download): digits 0-9 rendered with every
TrueType font on the machine, then jittered like handwriting (size, slant, rotation,
stroke width, elastic distortion, position, noise), as 28x28 white-on-black PNGs centred by
their centre of mass in a 20x20 box, the way MNIST was made.

    OUT/<digit>/00000.png         (--per-class, default 300; Loupe holds out its validation)
    TEST/<digit>/00000.png        (--test-per-class, default 200) for the final test accuracy

    python benchmarks/digits_dataset.py /tmp/digits --test /tmp/digits-test

Deterministic for a seed; a finished set with the same settings is reused. numpy + PIL only."""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# DejaVu (Debian's fonts-dejavu-core) and matplotlib's own fonts only: a machine with more
# fonts installed must not make another, harder or easier, data set from the same seed.
FONT_GLOBS = ("/usr/share/fonts/truetype/dejavu/*.ttf",)
# TeX's symbol fonts map the digit code points to brackets and arrows: not digits.
SYMBOL_FONTS = ("cmex10.ttf", "cmsy10.ttf")
MARKER = ".digits-dataset.json"  # hidden: Loupe ignores it when scanning
CANVAS = 64  # render large, then shrink to 20 px like MNIST's digitisation


def find_fonts() -> list[str]:
    """Every font that draws all ten digits (symbol and maths fonts do not)."""
    globs = list(FONT_GLOBS)
    spec = importlib.util.find_spec("matplotlib")  # ships its own fonts: more variety
    if spec and spec.origin:
        globs.append(
            os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf", "*.ttf")
        )
    by_name = {}  # one copy of each font (matplotlib ships DejaVu too)
    for g in globs:
        for path in sorted(glob.glob(g, recursive=True)):
            by_name.setdefault(os.path.basename(path), path)
    usable = []
    for name, path in sorted(by_name.items()):
        if name in SYMBOL_FONTS:
            continue
        try:
            font = ImageFont.truetype(path, 40)
        except OSError:
            continue
        masks = [font.getmask(str(d)) for d in range(10)]
        if any(m.getbbox() is None for m in masks):
            continue
        if len({bytes(m) for m in masks}) == 10:  # ten distinct glyphs, not placeholder boxes
            usable.append(path)
    if not usable:
        raise SystemExit("No TrueType fonts found (install fonts-dejavu-core).")
    return usable


def _elastic(img: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """Simard et al.'s elastic distortion: a smoothed random displacement field."""
    h, w = img.shape
    fields = []
    for _ in range(2):
        noise = Image.fromarray(((rng.random((h, w)) * 2 - 1) * 127 + 128).astype(np.uint8))
        smooth = np.asarray(noise.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)
        smooth = (smooth - 128) / 127
        fields.append(smooth / (np.abs(smooth).max() + 1e-6) * alpha)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sy = np.clip(yy + fields[0], 0, h - 1).round().astype(int)
    sx = np.clip(xx + fields[1], 0, w - 1).round().astype(int)
    return img[sy, sx]


def render_digit(digit: int, font_path: str, rng: np.random.Generator) -> np.ndarray:
    """One 28x28 uint8 digit, white on black."""
    size = int(rng.integers(34, 46))
    font = ImageFont.truetype(font_path, size)
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((CANVAS / 2, CANVAS / 2), str(digit), fill=255, font=font, anchor="mm")
    # Stroke width: thicken or thin the glyph, as pens differ.
    stroke = int(rng.integers(0, 3))
    if stroke > 0:
        canvas = canvas.filter(ImageFilter.MaxFilter(2 * stroke + 1))
    # Slant and rotation in one affine map about the centre.
    angle = np.deg2rad(rng.uniform(-18, 18))
    shear = rng.uniform(-0.4, 0.4)
    sx, sy = rng.uniform(0.75, 1.2), rng.uniform(0.8, 1.2)
    cos, sin = np.cos(angle), np.sin(angle)
    a, b = cos / sx, (sin + shear * cos) / sx
    d, e = -sin / sy, (cos - shear * sin) / sy
    c0 = CANVAS / 2
    coeffs = (a, b, c0 - a * c0 - b * c0, d, e, c0 - d * c0 - e * c0)
    canvas = canvas.transform(
        canvas.size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
    )
    arr = _elastic(np.asarray(canvas), rng, alpha=rng.uniform(2.0, 6.5), sigma=3.5)
    return _mnist_box(arr, rng)


def _mnist_box(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fit the ink's bounding box into 20x20 (aspect kept), centre by mass in 28x28."""
    ys, xs = np.nonzero(arr > 30)
    if len(xs) == 0:
        return np.zeros((28, 28), np.uint8)
    crop = Image.fromarray(arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    scale = 20 / max(crop.size)
    w, h = max(1, round(crop.width * scale)), max(1, round(crop.height * scale))
    small = np.asarray(crop.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float32)
    out = np.zeros((28, 28), np.float32)
    mass = small.sum() + 1e-6
    cy = (small.sum(1) * np.arange(h)).sum() / mass
    cx = (small.sum(0) * np.arange(w)).sum() / mass
    jitter = rng.integers(-1, 2, size=2)
    top = int(np.clip(round(14 - cy) + jitter[0], 0, 28 - h))
    left = int(np.clip(round(14 - cx) + jitter[1], 0, 28 - w))
    out[top : top + h, left : left + w] = small
    out += rng.normal(0, 6, size=out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def write_split(folder: str, per_class: int, fonts: list[str], rng: np.random.Generator) -> None:
    for digit in range(10):
        os.makedirs(os.path.join(folder, str(digit)), exist_ok=True)
    for i in range(per_class * 10):
        digit = i % 10
        font = fonts[int(rng.integers(len(fonts)))]
        img = Image.fromarray(render_digit(digit, font, rng))
        img.save(os.path.join(folder, str(digit), f"{i:05d}.png"))


def make(out: str, test: str, per_class: int, test_per_class: int, seed: int) -> list[str]:
    """Write OUT and TEST; reused when the marker says the same settings."""
    fonts = find_fonts()
    wanted = {"per_class": per_class, "test_per_class": test_per_class, "seed": seed}
    wanted["fonts"] = [os.path.basename(f) for f in fonts]
    marker = os.path.join(out, MARKER)
    if os.path.isfile(marker):
        with open(marker, encoding="utf-8") as f:
            if json.load(f) == wanted:
                return fonts
        raise SystemExit(f"{out} holds a digit set with other settings: choose another folder.")
    for path in (out, test):
        if os.path.isdir(path) and os.listdir(path):
            raise SystemExit(f"{path} is not empty: choose a new folder.")
    # Different fonts' draws for train and test come from one seeded stream: reproducible.
    rng = np.random.default_rng(seed)
    write_split(out, per_class, fonts, rng)
    write_split(test, test_per_class, fonts, rng)
    with open(marker, "w", encoding="utf-8") as f:  # last: marks the set complete
        json.dump(wanted, f)
    return fonts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render an MNIST-like digit set from fonts.")
    p.add_argument("out", metavar="OUT", help="new folder; gets <digit>/ class folders")
    p.add_argument("--test", required=True, metavar="TEST", help="new folder for the test set")
    p.add_argument("--per-class", type=int, default=300)
    p.add_argument("--test-per-class", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    fonts = make(args.out, args.test, args.per_class, args.test_per_class, args.seed)
    print(f"{args.out}: {10 * args.per_class} train, {args.test}: {10 * args.test_per_class} "
          f"test digits from {len(fonts)} fonts ({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
