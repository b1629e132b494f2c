"""Relabel or exclude dataset images by moving files between class folders, with the sort's
manifest and undo (core.files.sorting): nothing is overwritten (a taken name gets " (1)"),
every move is verified and journalled, `python main.py undo MANIFEST` puts everything back.

A change names an image (relative to the dataset folder, or absolute inside it) and its new
class; the class `_exclude` moves the image into DATA/_excluded/<class>/ (for a dataset with
train/val/test folders: DATA/_excluded/<split>/<class>/), which training ignores."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.data.dataset_folders import EXCLUDED_FOLDER, find_split_folders
from core.data.imaging import is_image_name
from core.errors import LoupeError
from core.files.sort_manifest import read_manifest
from core.files.sort_plan import SortOp, SortPlan
from core.files.sorting import (
    SortOutcome,
    default_manifest_path,
    execute_sort,
    safe_folder_name,
)

# Inside the dataset folder (undo only touches what lies below its manifest's folder), hidden
# so that the dataset scan does not count it as a stray file.
MANIFEST_PREFIX = ".loupe-relabel-"

EXCLUDE = "_exclude"
# MANIFEST_PREFIX + "20261201-205720" (+ "-2" for a second one in that second) + ".jsonl"
_MANIFEST_NAME = re.compile(re.escape(MANIFEST_PREFIX) + r"(\d{8}-\d{6})(?:-(\d+))?\.jsonl")


@dataclass(frozen=True)
class Relabel:
    path: str  # relative to the dataset folder or absolute
    new_label: str  # a class folder name, or EXCLUDE


def read_changes(csv_path: str) -> list[Relabel]:
    """Rows `path,new_label` (a header row with these names is optional)."""
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise LoupeError(f"Changes file not found: {csv_path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoupeError(f"Cannot read the changes file {csv_path}: {exc}") from None
    changes = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["path", "new_label"]:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise LoupeError(f"{csv_path}, line {number}: expected 'path,new_label'.")
        changes.append(Relabel(cells[0], cells[1]))
    return changes


def plan_relabel(data_dir: str, changes: Iterable[Relabel]) -> SortPlan:
    """Checks every change before anything moves; raises LoupeError naming the first bad one.
    A change to the class the image already has is left out."""
    root = os.path.normpath(os.path.abspath(data_dir))
    if not os.path.isdir(root):
        raise LoupeError(f"Dataset folder not found: {data_dir}")
    split_names = {os.path.basename(p) for p in (find_split_folders(root) or {}).values()}
    ops: list[SortOp] = []
    seen: set[str] = set()
    for change in changes:
        source = os.path.normpath(os.path.join(root, change.path))
        relative = os.path.relpath(source, root)
        parts = relative.split(os.sep)
        if relative.startswith("..") or os.path.isabs(relative):
            raise LoupeError(f"{change.path}: not inside the dataset folder {root}.")
        if not os.path.isfile(source) or not is_image_name(source):
            raise LoupeError(f"{change.path}: no such image in {root}.")
        if parts[0] == EXCLUDED_FOLDER:
            raise LoupeError(f"{change.path}: already excluded (undo its change to bring it back).")
        prefix = parts[:1] if parts[0] in split_names else []
        if len(parts) < len(prefix) + 2:
            raise LoupeError(f"{change.path}: not inside a class folder.")
        current = parts[len(prefix)]
        if change.new_label == EXCLUDE:
            folder = os.path.join(root, EXCLUDED_FOLDER, *prefix, current)
            label = EXCLUDED_FOLDER
        else:
            if safe_folder_name(change.new_label) != change.new_label or change.new_label in (
                EXCLUDED_FOLDER,
                EXCLUDE,
            ):
                raise LoupeError(f"{change.path}: '{change.new_label}' cannot be a class folder.")
            if change.new_label == current:
                continue
            folder = os.path.join(root, *prefix, change.new_label)
            label = change.new_label
        key = os.path.normcase(source)
        if key in seen:
            raise LoupeError(f"{change.path}: listed twice.")
        seen.add(key)
        ops.append(SortOp(source, os.path.join(folder, os.path.basename(source)), label))
    return SortPlan(root, True, 0.0, tuple(ops))


def apply_relabel(
    plan: SortPlan,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SortOutcome:
    """Move the files; the outcome names the manifest for undo (None when nothing moved)."""
    return execute_sort(
        plan, default_manifest_path(plan.dest_root, MANIFEST_PREFIX), progress, should_stop
    )


def changes_in_place(data_dir: str) -> list[str]:
    """The relabel manifests in the dataset folder whose every moved file is still where the
    change put it (and not back where it came from), oldest first: the changes an undo could
    still reverse in full. A manifest that cannot be read, or that was undone or overtaken in
    part, is left out (`python main.py undo MANIFEST` still takes it)."""
    root = os.path.abspath(data_dir)
    try:
        names = os.listdir(root)
    except OSError:
        return []
    found = []
    for name in names:
        match = _MANIFEST_NAME.fullmatch(name)
        if match:
            found.append(((match[1], int(match[2] or 1)), os.path.join(root, name)))
    return [path for _, path in sorted(found) if _all_in_place(path)]


def _all_in_place(manifest: str) -> bool:
    try:
        placed = read_manifest(manifest).placed
    except LoupeError:
        return False
    return bool(placed) and all(
        p.action == "move"
        and os.path.isfile(p.destination)
        and not os.path.lexists(p.source)
        and os.path.getsize(p.destination) == p.size
        for p in placed
    )
