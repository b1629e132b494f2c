"""The Classify page's state and rules, without Qt: which model is chosen and whether the
user chose it (a freshly trained model is offered only when they did not), what is missing
before Classify can run, how a result is named on its tile, what the export and close
questions say, and the sorts that can still be undone (remembered across sessions; one
from an earlier session is undone only after a question that says what and where).
gui.classify.classify_view renders it; tests drive it directly."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.files.add_to_dataset import MANIFEST_STEM as ADD_MANIFEST_STEM
from core.words import format_count

MAX_SORTS = 5  # sorts offered by "Undo sort", newest first
MAX_NAMED_FILES = 5  # files an undo question names, then a count


@dataclass(frozen=True)
class SortRecord:
    """A finished sort, as "Undo sort" offers it."""

    manifest: str
    move: bool
    dest_root: str
    files: int
    when: float  # time.time() at the end of the sort

    @property
    def added_to_dataset(self) -> bool:
        """Images copied into a dataset from the results ("Add to dataset as")."""
        return os.path.basename(self.manifest).startswith(ADD_MANIFEST_STEM)

    def text(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))
        files = format_count(self.files, "file")
        if self.added_to_dataset:
            return f"{files} added to the dataset {self.dest_root} ({stamp})"
        verb = "moved" if self.move else "copied"
        return f"{files} {verb} into {self.dest_root} ({stamp})"

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
        self._this_session: set[str] = set()  # manifests of the sorts made since start-up

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
        self._this_session.add(record.manifest)
        self.sorts = [record, *[s for s in self.sorts if s.manifest != record.manifest]]
        self.sorts = self.sorts[:MAX_SORTS]

    def undone(self, manifest: str) -> None:
        self.sorts = [s for s in self.sorts if s.manifest != manifest]

    def undo_candidates(self) -> list[SortRecord]:
        """The sorts whose manifest still exists, newest first."""
        return [s for s in self.sorts if os.path.isfile(s.manifest)]

    def asks_before_undo(self, record: SortRecord) -> bool:
        """A sort of an earlier session (perhaps days ago, perhaps into the training data) is
        undone only after a question; the one just made is undone with a click."""
        return record.manifest not in self._this_session

    @staticmethod
    def undo_question(record: SortRecord, placed: Sequence[tuple[str, str]]) -> str:
        """What undoing `record` will do, file by file, where. `placed`: (source, destination)
        of each file the sort placed, from its manifest."""
        n = len(placed) or record.files
        names = [os.path.relpath(d, record.dest_root) for _s, d in placed[:MAX_NAMED_FILES]]
        listed = "".join(f"\n• {name}" for name in names)
        if len(placed) > MAX_NAMED_FILES:
            listed += f"\n… and {len(placed) - MAX_NAMED_FILES:,} more"
        if record.move:
            sources = {os.path.dirname(s) for s, _d in placed}
            back = next(iter(sources)) if len(sources) == 1 else "the folders they came from"
            effect = (
                f"{format_count(n, 'file')} will be moved from {record.dest_root} back to {back}"
            )
        else:
            copies = "copy" if n == 1 else f"{n:,} copies"
            each = "" if n == 1 else "each "
            effect = (
                f"The {copies} in {record.dest_root} will be deleted ({each}only while its "
                "original is still there, unchanged)"
            )
        return f"From an earlier session: {record.text()}.\n\n{effect}:{listed}\n\nUndo it?"

    def restore_sorts(self, saved: Any) -> None:
        records = [SortRecord.from_dict(d) for d in saved] if isinstance(saved, list) else []
        self.sorts = [r for r in records if r is not None][:MAX_SORTS]

    def saved_sorts(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.sorts]
