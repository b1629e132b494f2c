"""The review list of a dataset check, Qt-free: which findings are still open, and the
actions on them. Every change is a file move through core.files.relabel (manifest + undo);
"keep" is remembered in DATA/.loupe/reviewed.json so a kept finding is not shown again.

An item is one finding: a group (exact/near duplicates, a leak) or one image (a probable
label error, an outlier). Its `paths` are relative to the dataset folder.

Moves are followed: an item is shown with its images where they are now, and goes only when
what it reports is gone. Duplicates stay duplicates when one of them changes class (only
excluding copies resolves them), "same picture, different classes" goes once the copies
share a class, a leak once no copy is left in train beside one in val/test, a label error
or an outlier once its image was moved or excluded."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace

from core.files.atomic import atomic_write_json
from core.files.relabel import EXCLUDE, Relabel, apply_relabel, plan_relabel
from core.files.sort_manifest import read_manifest
from core.files.sort_undo import undo_sort

REVIEWED_FILE = os.path.join(".loupe", "reviewed.json")
KIND_WORDS = {
    "leaks": "Leak across splits",
    "label_conflicts": "Same picture, different classes",
    "exact_duplicates": "Exact duplicates",
    "near_duplicates": "Near duplicates",
    "label_issues": "Probable label error",
    "outliers": "Outlier",
}
ONE_IMAGE_KINDS = ("label_issues", "outliers")  # resolved by any move of their image
_UNCHANGED = ("", "")  # an undo entry: the image had not been moved before

Where = tuple[str, str] | None  # (path now, its class), or None: excluded


@dataclass(frozen=True)
class ReviewItem:
    kind: str  # a key of KIND_WORDS
    paths: tuple[str, ...]
    labels: tuple[str, ...]  # the class of each path
    splits: tuple[str, ...] = ()  # the split of each path: train, val or test
    suggested: str = ""  # label issues: the class the out-of-sample model prefers
    score: float = 0.0

    @property
    def key(self) -> str:
        """Stable name of the finding for reviewed.json."""
        return f"{self.kind}:" + "|".join(sorted(self.paths))

    def extra_copies(self) -> list[str]:
        """What "exclude" takes out of a group: for a leak its train copies (val/test keep
        measuring honestly), for duplicates all but the first."""
        if self.kind == "leaks" and self.splits:
            return [p for p, s in zip(self.paths, self.splits) if s == "train"]
        return list(self.paths[1:]) if len(self.paths) > 1 else list(self.paths)

    def text(self) -> str:
        if self.suggested:
            return (
                f"{KIND_WORDS[self.kind]}: {self.paths[0]} is '{self.labels[0]}', "
                f"looks like '{self.suggested}' ({self.score:.2f})"
            )
        return f"{KIND_WORDS[self.kind]}: " + ", ".join(self.paths)


def items_from_report(report: dict) -> list[ReviewItem]:
    files = report.get("files", {})

    def label(path: str) -> str:
        return files.get(path, {}).get("label", "")

    def split(path: str) -> str:
        return files.get(path, {}).get("split", "")

    items: list[ReviewItem] = []
    for kind in ("leaks", "label_conflicts", "exact_duplicates", "near_duplicates"):
        for group in report.get(kind, []):
            items.append(
                ReviewItem(
                    kind,
                    tuple(group),
                    tuple(label(p) for p in group),
                    tuple(split(p) for p in group),
                )
            )
    for kind in ("label_issues", "outliers"):
        for entry in report.get(kind, []):
            items.append(
                ReviewItem(
                    kind,
                    (entry["path"],),
                    (entry["label"],),
                    (split(entry["path"]),),
                    entry.get("suggested", ""),
                    float(entry["score"]),
                )
            )
    return items


class DoctorReviewModel:
    def __init__(self, data_dir: str, report: dict) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.class_names: list[str] = list(report.get("classes", []))
        self.items = items_from_report(report)
        self.reviewed: set[str] = self._read_reviewed()
        # Images this review moved: path in the report -> where it is now (None: excluded).
        self.now: dict[str, Where] = {}
        # Undo stack: manifest, and what `now` said before it for each image it moved.
        self.manifests: list[tuple[str, dict[str, Where | tuple[str, str]]]] = []
        self._undo_left_changes = False  # an undo left files moved (changed since)

    @property
    def changed(self) -> bool:
        """Files moved since the check and not put back: a retrain would see new data."""
        return bool(self.manifests) or self._undo_left_changes

    # ---- what is shown ------------------------------------------------------------------

    def open_items(self) -> list[ReviewItem]:
        """Findings not kept and not resolved by the moves so far, with their images where
        they are now."""
        shown = []
        for item in self.items:
            now = self.current(item)
            if now is not None and now.key not in self.reviewed:
                shown.append(now)
        return shown

    def current(self, item: ReviewItem) -> ReviewItem | None:
        """`item` with its images where they are now; None when what it reports is gone."""
        splits = item.splits or ("",) * len(item.paths)
        if item.kind in ONE_IMAGE_KINDS:
            return None if item.paths[0] in self.now else item
        members = []
        for path, label, split in zip(item.paths, item.labels, splits, strict=False):
            where = self.now.get(path, (path, label))
            if where is not None:
                members.append((*where, split))
        if len(members) < 2:
            return None
        paths, labels, splits = (tuple(column) for column in zip(*members, strict=True))
        if item.kind == "label_conflicts" and len(set(labels)) < 2:
            return None
        if item.kind == "leaks" and not ("train" in splits and set(splits) - {"train"}):
            return None
        return replace(item, paths=paths, labels=labels, splits=splits)

    # ---- actions ------------------------------------------------------------------------

    def move(self, paths: list[str], new_label: str) -> str | None:
        """Move images (paths as shown now) to class `new_label` (or EXCLUDE); returns the
        manifest path."""
        changes = [Relabel(p, new_label) for p in dict.fromkeys(paths)]
        plan = plan_relabel(self.data_dir, changes)
        if not plan.ops:
            return None
        outcome = apply_relabel(plan)
        if not outcome.manifest_path:
            return None
        origin = {where[0]: path for path, where in self.now.items() if where is not None}
        before: dict[str, Where | tuple[str, str]] = {}
        for source, destination in self._placed(outcome.manifest_path):
            path = origin.get(source, source)
            before[path] = self.now.get(path, _UNCHANGED)
            self.now[path] = None if new_label == EXCLUDE else (destination, new_label)
        self.manifests.append((outcome.manifest_path, before))
        return outcome.manifest_path

    def _placed(self, manifest: str) -> list[tuple[str, str]]:
        """(source, destination) of each image a relabel moved, relative to the dataset."""

        def relative(path: str) -> str:
            return os.path.relpath(path, self.data_dir).replace(os.sep, "/")

        placed = read_manifest(manifest).placed
        return [(relative(p.source), relative(p.destination)) for p in placed]

    def exclude(self, paths: list[str]) -> str | None:
        return self.move(paths, EXCLUDE)

    def keep(self, items: list[ReviewItem]) -> None:
        self.reviewed |= {item.key for item in items}
        path = os.path.join(self.data_dir, REVIEWED_FILE)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_json(path, {"loupe_reviewed": 1, "kept": sorted(self.reviewed)})

    def can_undo(self) -> bool:
        return bool(self.manifests)

    def undo(self) -> str:
        """Undo the last move; returns the undo's one-sentence summary."""
        manifest, before = self.manifests.pop()
        outcome = undo_sort(manifest)
        for path, where in before.items():
            if where == _UNCHANGED:
                self.now.pop(path, None)
            else:
                self.now[path] = where
        self._undo_left_changes |= bool(outcome.skipped)
        return outcome.summary()

    def _read_reviewed(self) -> set[str]:
        try:
            with open(os.path.join(self.data_dir, REVIEWED_FILE), encoding="utf-8") as f:
                kept = json.load(f).get("kept", [])
        except (OSError, ValueError, AttributeError):
            return set()  # none yet, or unreadable: show everything again
        return {k for k in kept if isinstance(k, str)}
