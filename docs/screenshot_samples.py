"""docs/screenshot-samples.png: File → "Get a sample dataset…" over the Loupe window, offline,
as a user sees it after asking for MNIST without internet (the one sentence and the file
chooser for an archive downloaded elsewhere).

Run under a display: `Xvfb :97 -screen 0 1600x1000x24 &` then
`DISPLAY=:97 .venv/bin/python docs/screenshot_samples.py`. Settings go to a temporary folder."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="loupe-shot-")
    os.environ["LOUPE_OFFLINE"] = "1"  # the offline sentence, whatever this machine can reach
    os.environ["TORCH_HOME"] = os.path.join(tmp, "torch")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_application
    from gui.data import sample_dialog
    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore

    app = QApplication(sys.argv)
    configure_application(app)
    sample_dialog.SAMPLES_FOLDER = os.path.join(os.path.expanduser("~"), "Loupe samples")
    store = SettingsStore(QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
    store.set_workspace(os.path.join(tmp, "workspace"))
    window = MainWindow(store, load_torch=False)
    window.resize(1280, 800)
    window.show()
    dialog = window.show_sample_dialog("mnist")
    dialog.start()
    deadline = time.monotonic() + 60
    while dialog.runner.is_running() or not dialog.status.text():
        app.processEvents()
        time.sleep(0.02)
        if time.monotonic() > deadline:
            raise SystemExit("the offline check did not finish in a minute")
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    path = ROOT / "docs" / "screenshot-samples.png"
    if not dialog.grab().save(str(path)):
        raise SystemExit(f"could not save {path}")
    print(path)
    dialog.done(0)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
