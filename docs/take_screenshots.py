"""Screenshots of every page of the real Loupe window, for the docs.

Run under a display (an X server, or Xvfb: `Xvfb :97 -screen 0 1600x1000x24 &` then
`DISPLAY=:97 .venv/bin/python docs/take_screenshots.py`). In a temporary folder it draws a
dataset of 7 shape classes (random colours, noise and stray lines, so colour gives nothing
away and accuracy climbs over the epochs), adds a few corrupt files (the Data page lists
them), trains two runs (6 epochs, then 4 at a lower learning rate) and classifies a folder of new
images, some of them deliberately ambiguous. Saved into docs/:

  screenshot-data.png           the dataset, its class counts and the corrupt-file warnings
  screenshot-train-running.png  the Train page mid-run
  screenshot-train.png          the Train page after the run
  screenshot-detail.png         the prediction dialog of a clicked validation tile
  screenshot-runs.png           the Runs page, one run selected
  screenshot-runs-compare.png   the Runs page comparing both runs (both selected)
  screenshot-classify.png       the Classify page after classifying the new images
  screenshot-about.png          the About dialog
  screenshot-quick-start.png    Help ▸ Quick start

Settings and runs go to the temporary folder, never the user's. Takes about 2-4 minutes on
2 CPU cores."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPES = ("circle", "ring", "square", "diamond", "triangle", "star", "cross")
# Uneven on purpose: a real folder is never perfectly balanced.
IMAGES_PER_CLASS = (128, 112, 120, 104, 128, 116, 100)
IMAGE_SIZE = 64  # px
SUPERSAMPLE = 4  # drawn 4x larger and shrunk: smooth edges, like a photo rather than pixel art


# -- the made-up dataset ----------------------------------------------------------------------


def _regular_polygon(
    cx: float, cy: float, radii: list[float], angle: float
) -> list[tuple[float, float]]:
    step = 2 * math.pi / len(radii)
    return [
        (cx + r * math.cos(angle + i * step), cy + r * math.sin(angle + i * step))
        for i, r in enumerate(radii)
    ]


def _contrasting_colour(rng: np.random.Generator, background: np.ndarray, min_gap: float) -> tuple:
    def lightness(rgb: np.ndarray) -> float:
        return float(rgb @ np.array([0.3, 0.59, 0.11]))

    for _ in range(50):
        colour = rng.integers(0, 256, size=3)
        if abs(lightness(colour) - lightness(background)) >= min_gap:
            break
    return tuple(int(v) for v in colour)


def draw_shape(
    draw: ImageDraw.ImageDraw,
    shape: str,
    cx: float,
    cy: float,
    r: float,
    fill: tuple,
    rng: np.random.Generator,
) -> None:
    """One shape of radius r (in drawing pixels) around (cx, cy), slightly rotated."""
    tilt = math.radians(rng.uniform(-15, 15))
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fill, width=max(2, int(r * 0.32)))
    elif shape == "square":
        draw.polygon(_regular_polygon(cx, cy, [r * 1.15] * 4, math.pi / 4 + tilt), fill=fill)
    elif shape == "diamond":
        draw.polygon(_regular_polygon(cx, cy, [r * 1.15, r * 0.8] * 2, tilt), fill=fill)
    elif shape == "triangle":
        draw.polygon(_regular_polygon(cx, cy, [r * 1.1] * 3, -math.pi / 2 + tilt), fill=fill)
    elif shape == "star":
        draw.polygon(
            _regular_polygon(cx, cy, [r * 1.1, r * 0.45] * 5, -math.pi / 2 + tilt), fill=fill
        )
    elif shape == "cross":
        arm = r / 3
        corners = [(arm, r), (arm, arm), (r, arm), (r, -arm), (arm, -arm), (arm, -r)]
        corners += [(-x, -y) for x, y in corners]
        cos, sin = math.cos(tilt), math.sin(tilt)
        draw.polygon(
            [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in corners], fill=fill
        )
    else:
        raise ValueError(shape)


def shape_image(
    shapes: list[str],
    rng: np.random.Generator,
    size: int = IMAGE_SIZE,
    scale: tuple[float, float] = (0.2, 0.36),
    contrast: float = 70,
    noise: float = 18,
    alpha: float = 1.0,
) -> Image.Image:
    """A noisy picture with these shapes (usually one) in random colours, plus stray lines."""
    big = size * SUPERSAMPLE
    background = rng.integers(90, 256, size=3)
    image = Image.new("RGB", (big, big), tuple(int(v) for v in background))
    for shape in shapes:
        layer = image.copy()
        draw = ImageDraw.Draw(layer)
        r = rng.uniform(*scale) * big
        cx, cy = rng.uniform(r * 1.15, big - r * 1.15, size=2)
        fill = _contrasting_colour(rng, background, contrast)
        draw_shape(draw, shape, cx, cy, r, fill, rng)
        image = Image.blend(image, layer, alpha)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(0, 3)):  # stray lines: the model must look at the shape
        x0, y0, x1, y1 = rng.uniform(0, big, size=4)
        draw.line((x0, y0, x1, y1), fill=tuple(int(v) for v in rng.integers(0, 256, 3)), width=6)
    small = np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=float)
    small += rng.normal(0, noise, size=small.shape)
    return Image.fromarray(np.clip(small, 0, 255).astype(np.uint8), "RGB")


def make_dataset(root: Path, seed: int = 7) -> Path:
    """root/<shape>/<shape>_NNN.png, plus a few files that cannot be read."""
    from tests.core.image_factory import write_all_corrupt

    rng = np.random.default_rng(seed)
    for shape, count in zip(SHAPES, IMAGES_PER_CLASS, strict=True):
        folder = root / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shape_image([shape], rng).save(folder / f"{shape}_{i:03d}.png")
    # What real folders contain: an interrupted copy, a renamed note, an empty file.
    write_all_corrupt(root / "star", kinds=("truncated_jpeg",))
    write_all_corrupt(root / "cross", kinds=("not_an_image", "zero_bytes"))
    return root


def make_new_images(folder: Path, seed: int = 99) -> Path:
    """Images to classify: new examples of every class, some of them hard to call."""
    from tests.core.image_factory import write_corrupt

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pictures: list[Image.Image] = []
    for _ in range(5):
        for shape in SHAPES:
            pictures.append(shape_image([shape], rng))
    # Ambiguous on purpose: blends, faint or tiny shapes, two shapes at once.
    pictures += [
        shape_image(["circle", "square"], rng, alpha=0.6),
        shape_image(["ring", "circle"], rng, alpha=0.6),
        shape_image(["star"], rng, contrast=15, noise=35),
        shape_image(["cross"], rng, scale=(0.08, 0.1)),
        shape_image(["triangle", "diamond"], rng, scale=(0.15, 0.2)),
        shape_image(["diamond"], rng, contrast=20, noise=30),
    ]
    order = rng.permutation(len(pictures))  # file-name order mixes the classes
    for number, index in enumerate(order, start=1):
        pictures[index].save(folder / f"photo_{number:03d}.png")
    write_corrupt("truncated_jpeg", folder, "photo_from_phone.jpg")
    return folder


# -- driving the window -----------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.02)


def settle(seconds: float = 0.5) -> None:
    """Let timers (plot redraws, progress text) run before a grab."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def set_spin(window, kind, name: str, value: float) -> None:
    spin = window.findChild(kind, name)
    if spin is None:
        raise SystemExit(f"no {name} on the Train page")
    spin.setValue(value)


def train(window, epochs: int, lr: float, on_epoch: Callable[[int], None] | None = None) -> str:
    """Start a run from the Train page and wait for its end; returns the run folder."""
    from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

    from gui.main_window import TRAIN_PAGE

    window.show_page(TRAIN_PAGE)
    set_spin(window, QSpinBox, "epochsSpin", epochs)
    set_spin(window, QSpinBox, "batchSizeSpin", 32)
    set_spin(window, QDoubleSpinBox, "learningRateSpin", lr)
    before = {r["run_dir"] for r in window.runs_view.runs()}
    window.train_page.dashboard.train_button.click()
    wait_until(window.train_page.runner.is_running, 60, "the run to start")
    val_acc = window.train_page.dashboard.plots.curves["val_acc"]
    seen = 0
    while window.train_page.runner.is_running():
        points = 0 if val_acc.xData is None else len(val_acc.xData)
        if points > seen:
            seen = points
            if on_epoch is not None:
                on_epoch(seen)
        settle(0.1)
    settle(1.0)
    window.runs_view.refresh()
    settle(0.5)
    new = [r["run_dir"] for r in window.runs_view.runs() if r["run_dir"] not in before]
    if not new:
        raise SystemExit("the run left no run folder")
    return new[0]


def click_a_mistake(window) -> None:
    """Click a wrongly predicted validation tile (any tile when there is none)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from gui.widgets.prediction_model import SampleRole

    grid = window.train_page.dashboard.grid
    model = grid.model()
    rows = range(model.rowCount())
    wrong = [
        r for r in rows if (s := model.index(r, 0).data(SampleRole)).true_index != s.pred_index
    ]
    index = model.index((wrong or [0])[0], 0)
    grid.scrollTo(index)
    settle(0.2)
    QTest.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(index).center()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument(
        "--size", default="1500x920", help="window size, e.g. 1280x720 to check small screens"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="loupe-shots-"))
    os.environ["LOUPE_SETTINGS_DIR"] = str(scratch / "settings")
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_application
    from gui.main_window import CLASSIFY_PAGE, DATA_PAGE, RUNS_PAGE, MainWindow
    from gui.settings_store import SettingsStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    dataset = make_dataset(scratch / "shapes")
    new_images = make_new_images(scratch / "new photos")
    store = SettingsStore()
    store.set_workspace(str(scratch / "runs"))
    window = MainWindow(store)
    window.confirm_close = lambda: True
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    wait_until(lambda: window.torch_info is not None, 120, "PyTorch to load")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def shoot(name: str, widget=None, settle_s: float = 0.8) -> None:
        settle(settle_s)
        path = out / f"screenshot-{name}.png"
        if not (widget or window).grab().save(str(path)):
            raise SystemExit(f"could not write {path}")
        print("saved", path, flush=True)

    window.load_dataset(str(dataset))
    wait_until(lambda: window.dataset_view.current_path() != "", 60, "the dataset scan")
    shoot("data")

    middle = max(1, args.epochs // 2)

    def shoot_mid_run(epochs_done: int) -> None:
        if epochs_done == middle:
            shoot("train-running", settle_s=0.3)

    first = train(window, args.epochs, 0.003, shoot_mid_run)
    shoot("train")
    click_a_mistake(window)
    detail = window.train_page.dashboard.detail_dialog()
    if detail is None:
        raise SystemExit("clicking a tile opened no detail dialog")
    shoot("detail", detail)
    detail.close()

    # A second run to compare with: a lower learning rate and fewer epochs.
    second = train(window, max(2, args.epochs - 2), 0.001)

    window.show_page(RUNS_PAGE)
    window.runs_view.refresh()
    settle(0.5)
    window.runs_view.select_runs([first])
    shoot("runs")
    window.runs_view.select_runs([first, second])  # selecting two runs compares them
    shoot("runs-compare")

    window.show_page(CLASSIFY_PAGE)
    classify = window.classify_view
    classify.set_model(first)
    classify.set_folder(str(new_images))
    if not classify.start():
        raise SystemExit(f"classification did not start: {classify.problem()}")
    wait_until(lambda: not classify.is_running(), 300, "classification")
    shoot("classify")

    window.show_page(DATA_PAGE)
    about = window.show_about()
    shoot("about", about)
    about.close()
    quick_start = window.show_quick_start()
    shoot("quick-start", quick_start)
    quick_start.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
