"""Generate Loupe's icon: resources/icons/loupe.svg, loupe-<N>.png and loupe.ico.

One geometry (on a 512-unit canvas) drives every output, so the SVG and the PNGs cannot drift.
Small sizes (<= 32 px) use a simpler variant: a 3x3 grid and thin strokes turn to mush at 16 px.

PNGs are rendered with QtSvg (part of PySide6-Essentials), the .ico is written by Pillow.
macOS .icns is made on a Mac by packaging/macos/make_dmg.sh with `iconutil` from these PNGs.

Run from the repository root:  .venv/bin/python packaging/make_icons.py
Extra sizes (the macOS iconset wants 1024 px):  make_icons.py --render 1024 out.png
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICON_DIR = ROOT / "resources" / "icons"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)  # 256 is the largest size an .ico entry can hold
SMALL_VARIANT_MAX_PX = 32

CANVAS = 512
BACKGROUND = "#22456B"  # deep blue: contrast on both light and dark desktops
TILE_COLORS = (
    "#8EC5E8",
    "#F6C667",
    "#8FD9A8",
    "#F29E8E",
    "#C3A6E0",
    "#F3DE7A",
    "#7FD6C8",
    "#F4B183",
    "#9CC3F0",
)
LENS_RING = "#FFFFFF"
LENS_SKY = "#DCEFFF"
LENS_HILL = "#3FA56B"
LENS_SUN = "#FFB938"
HANDLE = "#F39C34"


@dataclass(frozen=True)
class Geometry:
    """Everything that differs between the detailed and the small icon, in canvas units."""

    grid: int  # tiles per row and column
    grid_origin: float
    tile: float
    gap: float
    tile_radius: float
    lens_center: float  # x == y: the lens sits on the diagonal
    lens_radius: float  # to the middle of the ring
    ring_width: float
    handle_end: float  # x == y of the handle's far end
    handle_width: float
    sun: bool


DETAILED = Geometry(
    grid=3,
    grid_origin=72,
    tile=104,
    gap=20,
    tile_radius=16,
    lens_center=288,
    lens_radius=128,
    ring_width=36,
    handle_end=452,
    handle_width=56,
    sun=True,
)
SMALL = Geometry(
    grid=2,
    grid_origin=64,
    tile=168,
    gap=48,
    tile_radius=24,
    lens_center=280,
    lens_radius=136,
    ring_width=56,
    handle_end=448,
    handle_width=80,
    sun=False,
)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tiles(g: Geometry) -> list[str]:
    rects = []
    for row in range(g.grid):
        for col in range(g.grid):
            x = g.grid_origin + col * (g.tile + g.gap)
            y = g.grid_origin + row * (g.tile + g.gap)
            color = TILE_COLORS[(row * g.grid + col) % len(TILE_COLORS)]
            rects.append(
                f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(g.tile)}" height="{_fmt(g.tile)}" '
                f'rx="{_fmt(g.tile_radius)}" fill="{color}"/>'
            )
    return rects


def _lens_picture(g: Geometry) -> list[str]:
    """A 'magnified photo' inside the lens: sky, a hill whose bottom follows the lens edge, a sun.

    Drawn without clip paths (QtSvg implements SVG Tiny, where clipping is not guaranteed): the hill's
    lower edge is an arc of the lens circle itself.
    """
    c, r = g.lens_center, g.lens_radius - g.ring_width / 2
    # Hill outline: enters the circle on the left at 'left_y', peaks, leaves on the right lower down.
    left_angle, right_angle = math.radians(200), math.radians(-15)  # measured from +x, y up
    lx, ly = c + r * math.cos(left_angle), c - r * math.sin(left_angle)
    rx_, ry = c + r * math.cos(right_angle), c - r * math.sin(right_angle)
    peak_x, peak_y = c - 0.15 * r, c - 0.12 * r
    dip_x, dip_y = c + 0.35 * r, c + 0.12 * r
    hill = (
        f"M {_fmt(lx)} {_fmt(ly)} "
        f"Q {_fmt(c - 0.55 * r)} {_fmt(peak_y)} {_fmt(peak_x)} {_fmt(peak_y)} "
        f"Q {_fmt(dip_x - 0.1 * r)} {_fmt(peak_y)} {_fmt(dip_x)} {_fmt(dip_y)} "
        f"Q {_fmt(c + 0.7 * r)} {_fmt(c - 0.05 * r)} {_fmt(rx_)} {_fmt(ry)} "
        # Back along the circle (clockwise in screen space, the long way round the bottom).
        f"A {_fmt(r)} {_fmt(r)} 0 0 1 {_fmt(lx)} {_fmt(ly)} Z"
    )
    parts = [
        f'<circle cx="{_fmt(c)}" cy="{_fmt(c)}" r="{_fmt(r)}" fill="{LENS_SKY}"/>',
        f'<path d="{hill}" fill="{LENS_HILL}"/>',
    ]
    if g.sun:
        parts.append(
            f'<circle cx="{_fmt(c + 0.38 * r)}" cy="{_fmt(c - 0.42 * r)}" r="{_fmt(0.2 * r)}" '
            f'fill="{LENS_SUN}"/>'
        )
    return parts


def _handle(g: Geometry) -> str:
    # Starts just outside the ring so the round cap does not cover the lens.
    start = g.lens_center + (g.lens_radius + g.ring_width / 2) / math.sqrt(2)
    return (
        f'<line x1="{_fmt(start)}" y1="{_fmt(start)}" x2="{_fmt(g.handle_end)}" '
        f'y2="{_fmt(g.handle_end)}" stroke="{HANDLE}" stroke-width="{_fmt(g.handle_width)}" '
        f'stroke-linecap="round"/>'
    )


def make_svg(g: Geometry = DETAILED) -> str:
    c = g.lens_center
    body = [
        f'<rect x="16" y="16" width="480" height="480" rx="104" fill="{BACKGROUND}"/>',
        *_tiles(g),
        _handle(g),
        *_lens_picture(g),
        f'<circle cx="{_fmt(c)}" cy="{_fmt(c)}" r="{_fmt(g.lens_radius)}" fill="none" '
        f'stroke="{LENS_RING}" stroke-width="{_fmt(g.ring_width)}"/>',
    ]
    lines = "\n  ".join(body)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{CANVAS}" height="{CANVAS}" viewBox="0 0 {CANVAS} {CANVAS}">\n'
        f"  <title>Loupe</title>\n  {lines}\n</svg>\n"
    )


def render_png(svg: str, size: int, path: Path) -> None:
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    if not renderer.isValid():
        raise RuntimeError("QtSvg could not parse the generated SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise RuntimeError(f"could not write {path}")


def write_ico(png_dir: Path, path: Path) -> None:
    from PIL import Image

    # Pillow resamples one source image for every size; hand it the 256 px render and the
    # hand-tuned small renders are lost. So build the .ico from each size's own PNG.
    images = [Image.open(png_dir / f"loupe-{s}.png").convert("RGBA") for s in ICO_SIZES]
    images[-1].save(
        path, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1]
    )


def icon_svg_for(size: int) -> str:
    return make_svg(SMALL if size <= SMALL_VARIANT_MAX_PX else DETAILED)


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    if argv[:1] == ["--render"] and len(argv) == 3:
        size = int(argv[1])
        render_png(icon_svg_for(size), size, Path(argv[2]))
        return 0
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    detailed, small = make_svg(DETAILED), make_svg(SMALL)
    (ICON_DIR / "loupe.svg").write_text(detailed, encoding="utf-8")
    (ICON_DIR / "loupe-small.svg").write_text(small, encoding="utf-8")
    for size in PNG_SIZES:
        render_png(icon_svg_for(size), size, ICON_DIR / f"loupe-{size}.png")
    write_ico(ICON_DIR, ICON_DIR / "loupe.ico")
    print(f"wrote icons to {ICON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
