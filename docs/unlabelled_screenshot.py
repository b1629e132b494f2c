"""docs/screenshot-unlabelled.png: the Train page after a run that also learnt from unlabelled
images, its "Also learn from unlabelled images" section open and the notice saying whether they
helped. Uses docs/take_screenshots.py's shapes (a labelled set, and another draw of it as the
unlabelled folder) in a temporary folder; about 2-4 minutes on 2 CPU cores.

    Xvfb :97 -screen 0 1600x1000x24 &
    DISPLAY=:97 .venv/bin/python docs/unlabelled_screenshot.py [--size 1280x720]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

import take_screenshots  # noqa: E402
from take_screenshots import make_dataset, settle, train, wait_until  # noqa: E402

LABELLED_PER_CLASS = 30  # few labelled images, many unlabelled: where the option is meant to help


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot-unlabelled.png"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", default="1500x920")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="loupe-shots-"))
    os.environ["LOUPE_SETTINGS_DIR"] = str(scratch / "settings")
    from PySide6.QtWidgets import QApplication, QLineEdit, QScrollArea, QSpinBox

    from gui.app import configure_application
    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    pool = make_dataset(scratch / "unlabelled photos", seed=8)
    counts = take_screenshots.IMAGES_PER_CLASS
    take_screenshots.IMAGES_PER_CLASS = (LABELLED_PER_CLASS,) * len(counts)
    dataset = make_dataset(scratch / "shapes")
    store = SettingsStore()
    store.set_workspace(str(scratch / "runs"))
    window = MainWindow(store)
    window.confirm_close = lambda: True
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    wait_until(lambda: window.torch_info is not None, 120, "PyTorch to load")
    window.load_dataset(str(dataset))
    wait_until(lambda: window.dataset_view.current_path() != "", 60, "the dataset scan")

    panel = window.train_page.settings_panel
    section = panel.sections["unlabelled"]
    section.set_expanded(True)
    panel.findChild(QLineEdit, "unlabelledFolderEdit").setText(str(pool))
    panel.findChild(QSpinBox, "imageSizeSpin").setValue(48)
    print("training ...", flush=True)
    train(window, args.epochs, 0.003)
    settle(0.5)
    scroll = panel.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    if scroll is not None:
        scroll.ensureWidgetVisible(section, 0, 0)
    settle(0.8)
    if not window.grab().save(args.out):
        raise SystemExit(f"could not write {args.out}")
    print("saved", args.out, window.train_page.dashboard.run_notice.text(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
