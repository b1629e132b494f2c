"""The review list of a dataset check, Qt-free: which findings are still open, and the
actions on them. Every change is a file move through core.files.relabel (manifest + undo);
"keep" is remembered in DATA/.loupe/reviewed.json so a kept finding is not shown again.

An item is one finding: a group (exact/near duplicates, a leak) or one image (a probable
label error, an outlier). Its `paths` are relative to the dataset folder."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from core.files.atomic import atomic_write_json
from core.files.relabel import EXCLUDE, Relabel, apply_relabel, plan_relabel
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
        self.moved: set[str] = set()  # paths (relative) moved away by this review
        self.manifests: list[tuple[str, set[str]]] = []  # undo stack: manifest, moved paths
        self.changed = False  # files moved since the check: a retrain would see new data

    # ---- what is shown ------------------------------------------------------------------

    def open_items(self) -> list[ReviewItem]:
        """Findings not kept and not resolved by a move (every group member still there)."""
        return [
            item
            for item in self.items
            if item.key not in self.reviewed and not (set(item.paths) & self.moved)
        ]

    # ---- actions ------------------------------------------------------------------------

    def move(self, paths: list[str], new_label: str) -> str | None:
        """Move images to class `new_label` (or EXCLUDE); returns the manifest path."""
        changes = [Relabel(p, new_label) for p in dict.fromkeys(paths)]
        plan = plan_relabel(self.data_dir, changes)
        if not plan.ops:
            return None
        outcome = apply_relabel(plan)
        moved = {os.path.relpath(op.source, self.data_dir).replace(os.sep, "/") for op in plan.ops}
        failed = {os.path.relpath(p, self.data_dir).replace(os.sep, "/") for p, _ in outcome.failed}
        done = moved - failed
        self.moved |= done
        if outcome.manifest_path:
            self.manifests.append((outcome.manifest_path, done))
            self.changed = True
        return outcome.manifest_path

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
        manifest, paths = self.manifests.pop()
        outcome = undo_sort(manifest)
        self.moved -= paths
        return outcome.summary()

    def _read_reviewed(self) -> set[str]:
        try:
            with open(os.path.join(self.data_dir, REVIEWED_FILE), encoding="utf-8") as f:
                kept = json.load(f).get("kept", [])
        except (OSError, ValueError, AttributeError):
            return set()  # none yet, or unreadable: show everything again
        return {k for k in kept if isinstance(k, str)}
