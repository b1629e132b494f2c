"""Screenshots of evaluation, explanations and the test split, for the docs (issue 10).

Run under a display (`Xvfb :83 -screen 0 1600x1000x24 &`, then
`DISPLAY=:83 .venv/bin/python docs/trust_screenshots.py`). In a temporary folder it draws a
train/val/test dataset of noisy shapes (docs/take_screenshots.py's drawings), trains
loupe_net on it (the test split is evaluated at the end), and saves into docs/:

  screenshot-test-view.png   the Runs page, Test tab: matrix, per-class table, mistakes
  screenshot-why.png         a mistake in the image detail dialog with "Why?" on
  screenshot-report.png      report.html rendered by headless Chromium (skipped without it)

About 2 minutes on 2 CPU cores."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHAPES = ("circle", "square", "diamond", "triangle", "star")
SPLITS = {"train": 70, "val": 20, "test": 20}


def _drawings():
    spec = importlib.util.spec_from_file_location("shots", ROOT / "docs" / "take_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_split_dataset(root: Path) -> Path:
    shots = _drawings()
    rng = np.random.default_rng(11)
    for split, count in SPLITS.items():
        for shape in SHAPES:
            folder = root / split / shape
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                shots.shape_image([shape], rng, noise=28).save(folder / f"{shape}_{i:03d}.png")
    return root


def wait(app, condition, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    import torch

    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication

    from core.train.config import TrainConfig
    from core.train.loop import fit
    from gui.app import configure_application
    from gui.runs.runs_view import RunsView

    scratch = Path(tempfile.mkdtemp(prefix="loupe-trust-"))
    data = make_split_dataset(scratch / "shapes")
    run = scratch / "runs" / "shapes-loupe_net"
    cfg = TrainConfig(
        data_dir=str(data),
        out_dir=str(run),
        arch="loupe_net",
        epochs=5,
        batch_size=32,
        image_size=64,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    finished = list(fit(cfg))[-1]
    print(finished.reason, flush=True)
    out = ROOT / "docs"

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    view = RunsView()
    view.resize(1500, 900)
    view.show()
    view.set_workspace(str(scratch / "runs"))
    view.select_runs([str(run)])
    view.detail.tabs.setCurrentWidget(view.detail.test_view)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # thumbnails decode in the background
        app.processEvents()
        time.sleep(0.05)
    view.grab().save(str(out / "screenshot-test-view.png"))
    print("saved screenshot-test-view.png", flush=True)

    report = view.detail.test_view.report
    mistakes = report["misclassified"] if report else []
    if mistakes:
        dialog = view.detail.test_view.show_mistake(mistakes[0])
        shown = []
        dialog.why.overlayShown.connect(shown.append)
        dialog.why.button.click()
        wait(app, lambda: bool(shown), 120)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.05)
        dialog.grab().save(str(out / "screenshot-why.png"))
        print("saved screenshot-why.png", flush=True)
        dialog.close()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out / 'screenshot-report.png'}",
                "--window-size=1200,1700",
                (run / "test_report" / "report.html").as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        print("saved screenshot-report.png", flush=True)
    else:
        print("no chromium: screenshot-report.png skipped", flush=True)
    view.shutdown()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
