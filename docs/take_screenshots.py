"""Screenshots of every page of the real Loupe window, for the docs.

Run under a display (an X server, or Xvfb: `Xvfb :99 -screen 0 1600x1000x24 &` then
`DISPLAY=:99 python docs/take_screenshots.py`). It generates a small dataset of shapes in a
temporary folder, loads it, trains 2 epochs, and saves one PNG per page into docs/
(screenshot-data.png, screenshot-train.png, screenshot-runs.png, screenshot-classify.png,
screenshot-about.png). Settings and runs go to the temporary folder, never the user's."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="loupe-shots-")
    os.environ["LOUPE_SETTINGS_DIR"] = os.path.join(scratch, "settings")
    from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox

    from gui.app import configure_application
    from gui.main_window import CLASSIFY_PAGE, DATA_PAGE, RUNS_PAGE, TRAIN_PAGE, MainWindow
    from gui.settings_store import SettingsStore
    from tests.core.image_factory import make_shapes_dataset

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    dataset = make_shapes_dataset(
        os.path.join(scratch, "shapes"),
        classes=("circle", "square", "triangle", "star", "cross"),
        per_class=40,
        size=48,
        seed=1,
    )
    store = SettingsStore()
    store.set_workspace(os.path.join(scratch, "runs"))
    window = MainWindow(store)
    window.confirm_close = lambda: True
    window.resize(1500, 920)
    window.show()
    wait_until(lambda: window.torch_info is not None, 120, "PyTorch to load")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def shoot(name: str, widget=None, settle_s: float = 0.6) -> None:
        settle(settle_s)
        path = out / f"screenshot-{name}.png"
        (widget or window).grab().save(str(path))
        print("saved", path)

    window.load_dataset(str(dataset))
    wait_until(lambda: window.dataset_view.current_path() != "", 60, "the dataset scan")
    shoot("data")

    window.show_page(TRAIN_PAGE)
    # Small batches: two epochs are then enough steps for the curves to show learning.
    for kind, name, value in (
        (QSpinBox, "epochsSpin", args.epochs),
        (QSpinBox, "batchSizeSpin", 16),
        (QDoubleSpinBox, "learningRateSpin", 0.003),
    ):
        spin = window.findChild(kind, name)
        if spin is not None:
            spin.setValue(value)
    window.dashboard.train_button.click()
    val_acc = window.dashboard.plots.curves["val_acc"]
    wait_until(lambda: val_acc.xData is not None and len(val_acc.xData) >= 1, 600, "epoch 1")
    if window.runner.is_running():
        shoot("train-running", settle_s=0.2)
    wait_until(lambda: not window.runner.is_running(), 600, "the training run")
    shoot("train")

    window.show_page(RUNS_PAGE)
    window.runs_view.refresh()
    settle(0.5)
    if hasattr(window.runs_view, "select_runs"):
        runs = [r["run_dir"] for r in window.runs_view.runs()][:1]
        window.runs_view.select_runs(runs)
    shoot("runs")

    window.show_page(CLASSIFY_PAGE)
    classify = window.classify_view
    run_dirs = [r["run_dir"] for r in window.runs_view.runs()]
    if run_dirs and hasattr(classify, "start"):
        classify.set_model(run_dirs[0])
        classify.set_folder(str(dataset))
        if classify.start():
            wait_until(lambda: not classify.is_running(), 300, "classification")
    shoot("classify")

    window.show_page(DATA_PAGE)
    about = window.show_about()
    shoot("about", about)
    about.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
