"""Plan a sort: where every classified image would go, decided without touching the disk.

`plan_sort` sends each file to `DEST/<class>/<name>` (or `DEST/_unsure/` below the confidence
threshold), avoiding the names already in those folders; the GUI shows `plan.summary()` before
anything happens. core.files.sorting carries a plan out (`execute_sort`); relabelling and
adding to a dataset build their own plans of the same `SortOp`s."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from core.files.sort_names import (
    UNSURE_FOLDER,
    existing_names,
    fit_file_name,
    folder_names,
    free_name,
    name_key,
)
from core.infer.results import ClassifiedImage
from core.words import format_count

__all__ = ["SortOp", "SortPlan", "plan_sort"]


@dataclass(frozen=True)
class SortOp:
    source: str
    destination: str  # as planned; execution may add " (n)" if the name got taken meanwhile
    label: str  # the folder name under dest_root: a sanitised class name or "_unsure"


@dataclass(frozen=True)
class SortPlan:
    dest_root: str
    move: bool
    unsure_threshold: float  # below this confidence a file goes to _unsure
    ops: tuple[SortOp, ...]
    in_place: int = 0  # files already in their class folder: left where they are

    def counts(self) -> dict[str, int]:
        """Folder -> number of files; biggest first, "_unsure" last."""
        counter = Counter(op.label for op in self.ops)
        order = sorted(counter.items(), key=lambda kv: (kv[0] == UNSURE_FOLDER, -kv[1], kv[0]))
        return dict(order)

    def summary(self) -> str:
        """E.g. "Copy 120 files into /dest: cats 70, dogs 45, _unsure 5"."""
        n = len(self.ops)
        text = f"{'Move' if self.move else 'Copy'} {n} file{'' if n == 1 else 's'} into {self.dest_root}"
        parts = ", ".join(f"{folder} {count}" for folder, count in self.counts().items())
        text = f"{text}: {parts}" if parts else text
        if self.in_place:
            text += (
                f" ({format_count(self.in_place, 'file')} already in its class folder, left there)"
            )
        return text


def plan_sort(
    results: Iterable[ClassifiedImage],
    dest_root: str | os.PathLike[str],
    move: bool = False,
    unsure_threshold: float = 0.0,
) -> SortPlan:
    """Where each file would go. Reads the destination's folder listings to avoid names
    already there; writes nothing. A file listed twice is sorted once."""
    if not 0.0 <= unsure_threshold <= 1.0:
        raise ValueError(f"the unsure threshold must be between 0 and 1, got {unsure_threshold}")
    root = os.path.abspath(os.fspath(dest_root))
    unique: dict[str, tuple[str, ClassifiedImage]] = {}
    for result in results:
        source = os.path.abspath(result.path)
        unique.setdefault(os.path.normcase(source), (source, result))
    folders = folder_names(result.label for _, result in unique.values())
    taken: dict[str, set[str]] = {}
    ops: list[SortOp] = []
    in_place = 0
    for source, result in unique.values():
        # `not >=` also sends a NaN confidence to _unsure.
        unsure = not result.confidence >= unsure_threshold
        folder = UNSURE_FOLDER if unsure else folders[result.label]
        if _same_folder(os.path.dirname(source), os.path.join(root, folder)):
            in_place += 1  # sorting a sorted folder again: no "a (1).jpg" beside "a.jpg"
            continue
        if folder not in taken:
            taken[folder] = existing_names(os.path.join(root, folder))
        original = fit_file_name(os.path.basename(source) or "file")
        name = free_name(original, original, taken[folder])
        taken[folder].add(name_key(name))
        ops.append(SortOp(source, os.path.join(root, folder, name), folder))
    return SortPlan(root, move, float(unsure_threshold), tuple(ops), in_place)


def _same_folder(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # the class folder does not exist yet
        return False
