"""docs/screenshot-doctor.png: the Check dataset window's review list on Fashion-MNIST images
(Debian's idx files) with planted problems (benchmarks/doctor_planted.py: duplicates, resized
copies, leaks from test into train, flipped labels), after the check, first finding selected.

Run under a display: `Xvfb :97 -screen 0 1600x1000x24 &` then
`DISPLAY=:97 .venv/bin/python docs/doctor_screenshot.py`. The dataset goes to a temporary folder."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
OUT = ROOT / "docs" / "screenshot-doctor.png"


def main() -> int:
    from doctor_planted import build
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_application
    from gui.data.doctor_review import DoctorDialog
    from gui.jobs import JobEnded

    data = str(Path(tempfile.mkdtemp(prefix="loupe-doctor-shot-")) / "fashion")
    build(data, per_class=120, test_per_class=20, planted=3, flip=0.04, seed=0)
    app = QApplication(sys.argv)
    configure_application(app)
    dialog = DoctorDialog(data, 0.2, 0)
    dialog.resize(900, 640)
    dialog.show()

    def on_event(event: object) -> None:
        if isinstance(event, JobEnded):
            dialog.list.setCurrentRow(0)
            QTimer.singleShot(800, save)

    def save() -> None:
        dialog.grab().save(str(OUT))
        print(f"saved {OUT}")
        dialog.close()
        app.quit()

    dialog.runner.event.connect(on_event)
    QTimer.singleShot(200, dialog.start)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
