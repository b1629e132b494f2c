"""The Classify page's state and rules, without Qt: which model is chosen and whether the
user chose it (a freshly trained model is offered only when they did not), what is missing
before Classify can run, how a result is named on its tile, what the export and close
questions say, and the sorts that can still be undone (remembered across sessions).
gui.classify.classify_view renders it; tests drive it directly."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

MAX_SORTS = 5  # sorts offered by "Undo sort", newest first


@dataclass(frozen=True)
class SortRecord:
    """A finished sort, as "Undo sort" offers it."""

    manifest: str
    move: bool
    dest_root: str
    files: int
    when: float  # time.time() at the end of the sort

    def text(self) -> str:
        verb = "moved" if self.move else "copied"
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))
        return f"{self.files:,} files {verb} into {self.dest_root} ({stamp})"

    @staticmethod
    def from_dict(data: Any) -> SortRecord | None:
        try:
            return SortRecord(
                str(data["manifest"]),
                bool(data["move"]),
                str(data["dest_root"]),
                int(data["files"]),
                float(data["when"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # a hand-edited or older settings file: skip the entry


def display_name(path: str, root: str) -> str:
    """A tile's name: the path below the classified folder ("2019/IMG_1000.jpg"), so files
    of one name in different subfolders can be told apart; the file name elsewhere."""
    if root:
        try:
            relative = os.path.relpath(path, root)
        except ValueError:  # another drive on Windows
            relative = ""
        if relative and not relative.startswith(os.pardir):
            return relative.replace(os.sep, "/")
    return os.path.basename(path)


class ClassifyPageModel:
    def __init__(self) -> None:
        self.model_path = ""
        self.model_readable = False  # its model.json could be read
        self.user_chose_model = False
        self.folder = ""
        self.sorts: list[SortRecord] = []

    # -- the model ----------------------------------------------------------------------

    def choose_model(self, path: str, readable: bool, by_user: bool) -> None:
        self.model_path, self.model_readable = path, readable
        if by_user:
            self.user_chose_model = bool(path)

    def should_offer(self, trained_run: str) -> bool:
        """Preselect a model that was just trained? Yes, unless the user chose another."""
        return bool(trained_run) and (not self.user_chose_model or not self.model_path)

    # -- starting -------------------------------------------------------------------------

    def problem(self) -> str:
        """What is missing before Classify can run ('' when nothing is)."""
        if not self.model_path:
            return "Choose a model."
        if not self.model_readable:
            return "The chosen model cannot be read."
        if not self.folder:
            return "Choose a folder of images."
        if not os.path.isdir(self.folder):
            return f"{self.folder} is not a folder."
        return ""

    # -- words ----------------------------------------------------------------------------

    @staticmethod
    def export_title(kind: str, shown: int, total: int) -> str:
        """The save dialog's title says, before anything is written, that the filter applies."""
        if shown != total:
            return f"Export the {shown:,} images shown (of {total:,}: the filter applies) as {kind}"
        return f"Export all {total:,} results as {kind}"

    @staticmethod
    def export_tooltip(kind: str, shown: int, total: int) -> str:
        what = "the images shown" if shown == total else f"the {shown:,} images the filter shows"
        return f"Save {what} as {kind}" + (
            f" (not all {total:,}: clear the filters for all)" if shown != total else ""
        )

    @staticmethod
    def close_question(classified: int) -> str:
        return (
            f"A classification is in progress ({classified:,} images so far). Stop it and close "
            "Loupe?\n\nIts results are lost unless you export them first."
        )

    # -- sorts that can be undone ---------------------------------------------------------

    def sorted_files(self, record: SortRecord) -> None:
        self.sorts = [record, *[s for s in self.sorts if s.manifest != record.manifest]]
        self.sorts = self.sorts[:MAX_SORTS]

    def undone(self, manifest: str) -> None:
        self.sorts = [s for s in self.sorts if s.manifest != manifest]

    def undo_candidates(self) -> list[SortRecord]:
        """The sorts whose manifest still exists, newest first."""
        return [s for s in self.sorts if os.path.isfile(s.manifest)]

    def restore_sorts(self, saved: Any) -> None:
        records = [SortRecord.from_dict(d) for d in saved] if isinstance(saved, list) else []
        self.sorts = [r for r in records if r is not None][:MAX_SORTS]

    def saved_sorts(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.sorts]
