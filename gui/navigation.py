"""The main window's left column: one entry per page, with an icon and its shortcut."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QWidget

from gui.widgets.accessible import describe

PAGES = ("Data", "Train", "Runs", "Classify")
DATA_PAGE, TRAIN_PAGE, RUNS_PAGE, CLASSIFY_PAGE = range(4)
PAGE_ICONS = (
    QStyle.StandardPixmap.SP_DirOpenIcon,
    QStyle.StandardPixmap.SP_MediaPlay,
    QStyle.StandardPixmap.SP_FileDialogDetailedView,
    QStyle.StandardPixmap.SP_FileDialogContentsView,
)


class PageNavigation(QListWidget):
    """objectName "navList"; `currentRowChanged(int)` is the page to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navList")
        describe(self, "Pages", "Up and Down, or Ctrl+1 to Ctrl+4, switch the page")
        self.setIconSize(QSize(24, 24))
        self.setSpacing(2)
        style = self.style()
        for index, (name, icon) in enumerate(zip(PAGES, PAGE_ICONS, strict=True)):
            item = QListWidgetItem(style.standardIcon(icon), name)
            item.setToolTip(f"{name} (Ctrl+{index + 1})")
            item.setSizeHint(QSize(112, 44))
            self.addItem(item)
        self.setFixedWidth(124)
        self.setFrameShape(QListWidget.Shape.NoFrame)
