"""The Classify page's "Undo sort" button: it offers the last sort (its tooltip says which)
and, when earlier sessions left sorts too, a menu of them, newest first."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from gui.classify.classify_page_model import ClassifyPageModel
from gui.classify.results_actions import ResultsActions


class UndoSortButton(QPushButton):
    def __init__(self, page: ClassifyPageModel, actions: ResultsActions, parent: QWidget) -> None:
        super().__init__("Undo sort", parent)
        self.setObjectName("undoSortButton")
        self.page, self.actions = page, actions
        self.clicked.connect(self._on_clicked)
        self.refresh(busy=False)

    def refresh(self, busy: bool) -> None:
        """Enabled when a sort can be undone and nothing else is running (`busy`)."""
        candidates = self.page.undo_candidates()
        self.setEnabled(bool(candidates) and not busy)
        self.setToolTip(
            f"Reverse the sort of {candidates[0].text()} (only files still unchanged are "
            "touched)"
            + (f"; {len(candidates) - 1} earlier sort(s) too" if len(candidates) > 1 else "")
            if candidates
            else "Reverse a sort into folders (none to undo)"
        )

    def _on_clicked(self) -> None:
        candidates = self.page.undo_candidates()
        if len(candidates) <= 1:
            self.actions.undo_last_sort()
            return
        menu = QMenu(self)  # the sorts of earlier sessions too, newest first
        for record in candidates:
            menu.addAction(f"Undo: {record.text()}", lambda r=record: self.actions.undo_sort(r))
        menu.exec(self.mapToGlobal(self.rect().bottomLeft()))
