"""The window's size: the first window fits the screen (on a 1280x720 laptop the status bar
and the right-hand buttons were off screen when it opened at 1440x900), and it cannot get
smaller than every page needs (at 800x500 controls were cut on every page, at 500x350 the
window was unusable)."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)

from gui.app import style_sheet
from gui.window_size import (
    MIN_WINDOW_HEIGHT,
    content_minimum,
    default_window_size,
    minimum_window_size,
)
from tests.gui.helpers import make_window, shapes_dataset
from tests.gui.runs.runs_helpers import write_run

LARGE_SCREEN = QSize(1920, 1050)  # the offscreen test screen is 800x800


def test_the_first_window_fits_a_small_screen():
    assert default_window_size(QSize(1280, 690)) == QSize(1280, 690)


def test_the_first_window_keeps_its_size_on_a_large_screen():
    assert default_window_size(QSize(2560, 1400)) == QSize(1440, 900)


def test_the_minimum_is_what_the_pages_need_tall_enough_and_never_beyond_the_screen():
    assert MIN_WINDOW_HEIGHT == 600
    assert minimum_window_size(QSize(1124, 549), QSize(1280, 690)) == QSize(1124, 600)
    assert minimum_window_size(QSize(1300, 700), LARGE_SCREEN) == QSize(1300, 700)
    assert minimum_window_size(QSize(1124, 549), QSize(1024, 580)) == QSize(1024, 580)


def _squeezed(page: QWidget) -> list[str]:
    """Controls on `page` narrower than their own minimum: their text is cut."""
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit)
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, kinds) or not widget.isVisible():
            continue
        if isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
            continue  # the editor inside a spin box or combo box
        need = max(widget.minimumSizeHint().width(), widget.minimumWidth())
        if widget.width() < need:
            found.append(
                f"{type(widget).__name__} {widget.objectName()!r}: {widget.width()} < {need}"
            )
    return found


def test_at_its_minimum_size_every_page_is_whole(qtbot, qapp, tmp_path, shapes_dataset):
    qapp.setStyleSheet(style_sheet())  # Loupe's padding and fonts, as the window has them
    try:
        run = write_run(tmp_path / "workspace", "20261201-205931-demo_doc-loupe_net")
        window = make_window(qtbot, tmp_path)
        assert window.minimumSize() == window.minimum_size()  # set, not only hinted
        assert window.minimumSize().height() >= MIN_WINDOW_HEIGHT
        window.runs_view.select_runs([str(run)])
        # A dataset on the Data page: its wrapped summary once made every page scroll.
        with qtbot.waitSignal(window.dataset_view.datasetLoaded, timeout=20_000):
            window.load_dataset(str(shapes_dataset))
        smallest = minimum_window_size(
            content_minimum(window, window.nav, window.pages), LARGE_SCREEN
        )
        assert smallest.width() <= 1280 and smallest.height() <= 690  # a 1280x720 laptop
        window.setMinimumSize(smallest)
        window.resize(smallest)
        for index in range(window.pages.count()):
            window.show_page(index)
            page = window.pages.widget(index)
            qtbot.waitUntil(lambda page=page: page.isVisible())
            qapp.processEvents()
            assert page.width() >= page.minimumSizeHint().width(), index
            assert page.height() >= page.minimumSizeHint().height(), index
            assert window.page_scroll.horizontalScrollBar().maximum() == 0, index
            assert window.page_scroll.verticalScrollBar().maximum() == 0, index
            assert _squeezed(page) == [], index
        window.close()
    finally:
        qapp.setStyleSheet("")


def test_below_the_minimum_the_pages_scroll_instead_of_being_cut(qtbot, tmp_path):
    """A screen smaller than the minimum, or a window manager that ignores it."""
    window = make_window(qtbot, tmp_path)
    window.setMinimumSize(0, 0)
    window.resize(800, 500)
    window.show_page(3)
    qtbot.waitUntil(lambda: window.width() == 800)
    pages = window.pages
    assert pages.width() >= pages.minimumSizeHint().width()
    assert window.page_scroll.horizontalScrollBar().maximum() > 0
    assert _squeezed(window.classify_view) == []
    window.close()
