"""macOS hands a folder dropped on the Dock icon (or opened with "Open With ▸ Loupe") to the
running app as a file-open event: it opens on the Data page like a folder dropped on the
window; a file, or a folder that is gone, changes nothing."""

from __future__ import annotations

from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from gui.folder_open import FolderOpenEvents
from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import make_window


def test_a_folder_opened_from_the_desktop_shows_on_the_data_page(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    data = make_shapes_dataset(tmp_path / "shapes", per_class=3, size=16, seed=1)
    opener = FolderOpenEvents(window.load_dataset, window)
    app = QApplication.instance()
    app.installEventFilter(opener)
    try:
        assert app.sendEvent(app, QFileOpenEvent(str(data)))
        qtbot.waitUntil(lambda: window.dataset_view.current_path() == str(data), timeout=10_000)
        qtbot.waitUntil(lambda: window.dataset_view.chart.class_names() != [], timeout=10_000)

        for not_a_folder in (data / "circle" / "circle_000.png", tmp_path / "gone"):
            assert not app.sendEvent(app, QFileOpenEvent(str(not_a_folder)))
        assert window.dataset_view.current_path() == str(data)
    finally:
        app.removeEventFilter(opener)
