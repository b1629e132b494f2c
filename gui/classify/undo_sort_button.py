"""The Classify page's "Undo sort" button: it offers the last sort (its tooltip says which)
and, when earlier sessions left sorts too, a menu of them, newest first. A sort of an earlier
session is undone only after a question that names its files and folders."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from core.files.sort_manifest import read_manifest
from gui.classify.classify_page_model import ClassifyPageModel, SortRecord
from gui.classify.results_actions import ResultsActions
from gui.widgets.questions import ask_yes_no


def placed_files(manifest: str) -> list[tuple[str, str]]:
    """(source, destination) of every file a sort placed; [] when its manifest is unreadable
    (the undo then reports that itself)."""
    try:
        return [(p.source, p.destination) for p in read_manifest(manifest).placed]
    except Exception:
        return []


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
        if not candidates:
            return
        if len(candidates) == 1:
            self.undo(candidates[0])
            return
        menu = QMenu(self)  # the sorts of earlier sessions too, newest first
        for record in candidates:
            menu.addAction(f"Undo: {record.text()}", lambda r=record: self.undo(r))
        menu.exec(self.mapToGlobal(self.rect().bottomLeft()))

    def undo(self, record: SortRecord) -> bool:
        """Undo `record`, after asking when it is from an earlier session; False when not."""
        if self.page.asks_before_undo(record):
            question = self.page.undo_question(record, placed_files(record.manifest))
            if not self.confirm("Undo a sort of an earlier session", question):
                return False
        return self.actions.undo_sort(record) is not None

    def confirm(self, title: str, text: str) -> bool:
        """Yes/No, No by default (tests replace this method)."""
        return ask_yes_no(self, title, text)
