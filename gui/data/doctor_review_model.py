"""The review list of a dataset check, Qt-free: which findings are still open, and the
actions on them. Every change is a file move through core.files.relabel (manifest + undo);
"keep" is remembered in DATA/.loupe/reviewed.json so a kept finding is not shown again. Kept
findings can still be listed (marked as kept) and shown again: "show again" takes them out of
reviewed.json, and Undo keeps them again.

An item is one finding: a group (exact/near duplicates, a leak) or one image (a probable
label error, an outlier). Its `paths` are relative to the dataset folder.

Exclude never guesses a label: a group whose copies carry different classes loses every
copy; a group spread over train and val/test loses its train copies, whichever row it is
excluded from. Move to class is for findings about labels (a label error, an outlier, one
picture in two classes), and asks first when it would change the class of a validation or
test image or of several copies at once.

Undo reverses this review's moves, keeps and shows again, newest first, then the relabel
changes made before this check that are still in place (their manifests lie in the dataset
folder), so closing the window does not lose them.
Moves are followed: an item is shown with its images where they are now, and goes only when
what it reports is gone. Duplicates stay duplicates when one of them changes class (only
excluding copies resolves them), "same picture, different classes" goes once the copies
share a class, a leak once no copy is left in train beside one in val/test, a label error
or an outlier once its image was moved or excluded."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.data.dataset_folders import find_split_folders
from core.files.atomic import atomic_write_json
from core.files.relabel import EXCLUDE, Relabel, apply_relabel, changes_in_place, plan_relabel
from core.files.sort_manifest import read_manifest
from core.files.sort_undo import undo_sort
from core.words import format_count
from gui.data.review_items import (
    HELD_OUT,
    ONE_IMAGE_KINDS,
    SPLIT_WORDS,
    ReviewItem,
    items_from_report,
)

REVIEWED_FILE = os.path.join(".loupe", "reviewed.json")
NAMED_MOVES = 3  # a status names this many moves, then counts the rest
_UNCHANGED = ("", "")  # an undo entry: the image had not been moved before
Where = tuple[str, str] | None  # (path now, its class), or None: excluded


@dataclass(frozen=True)
class _Step:
    """One thing Undo can reverse: a move (its manifest, and what `now` said before it for
    each image it moved), a keep (the findings it added to reviewed.json) or a "show again"
    (the kept findings it took out of reviewed.json)."""

    manifest: str = ""
    before: dict[str, Where | tuple[str, str]] = field(default_factory=dict)
    kept: tuple[ReviewItem, ...] = ()
    shown: tuple[ReviewItem, ...] = ()


class DoctorReviewModel:
    def __init__(self, data_dir: str, report: dict) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.class_names: list[str] = list(report.get("classes", []))
        self.items = items_from_report(report)
        self.reviewed: set[str] = self._read_reviewed()
        # Images this review moved: path in the report -> where it is now (None: excluded).
        self.now: dict[str, Where] = {}
        self.steps: list[_Step] = []  # this review's undo stack
        # Relabel changes made before this check and still in full in place, oldest first:
        # Undo reaches them once this review's own steps are undone.
        self.earlier: list[str] = changes_in_place(self.data_dir)
        self._moved_outside_steps = False  # an undo that moved files and left no step

    @property
    def changed(self) -> bool:
        """A relabel change is in place, or files moved since the check: a retrain would see
        other data than the last run may have."""
        moves = any(step.manifest for step in self.steps)
        return moves or bool(self.earlier) or self._moved_outside_steps

    # ---- what is shown ------------------------------------------------------------------

    def open_items(self) -> list[ReviewItem]:
        """Findings not kept and not resolved by the moves so far, with their images where
        they are now."""
        return self.listed(with_kept=False)

    def kept_items(self) -> list[ReviewItem]:
        """Findings of this check that are kept (now or in an earlier review) and not
        resolved by the moves so far, with their images where they are now. A kept finding
        is known by its images: once one of them has moved it is another finding (open, if
        what it reports is still there), and keys in reviewed.json that this check does not
        report stay there untouched (a later check may report them again)."""
        return [item for item in self.listed(with_kept=True) if self.is_kept(item)]

    def listed(self, with_kept: bool) -> list[ReviewItem]:
        """The findings to list, in the report's order: the open ones, and with `with_kept`
        the kept ones among them."""
        shown = []
        for item in self.items:
            now = self.current(item)
            if now is not None and (with_kept or not self.is_kept(now)):
                shown.append(now)
        return shown

    def is_kept(self, item: ReviewItem) -> bool:
        """`item` (as it is now, see `current`) is kept: not shown unless asked for."""
        return item.key in self.reviewed

    def kept_note(self) -> str:
        """What to say after the check when kept findings are left out of the list, without
        its full stop; "" when none are."""
        kept = len(self.kept_items())
        if not kept:
            return ""
        are = "is" if kept == 1 else "are"
        return f"{format_count(kept, 'finding')} you kept {are} listed only with Show kept"

    def current(self, item: ReviewItem) -> ReviewItem | None:
        """`item` with its images where they are now; None when what it reports is gone."""
        moved = not self.now.keys().isdisjoint(item.paths)  # asked of every finding listed
        if item.kind in ONE_IMAGE_KINDS:
            return None if moved else item
        splits = item.splits or ("",) * len(item.paths)
        paths, labels = item.paths, item.labels
        if moved:
            members = []
            for path, label, split in zip(item.paths, item.labels, splits, strict=False):
                where = self.now.get(path, (path, label))
                if where is not None:
                    members.append((*where, split))
            if len(members) < 2:
                return None
            paths, labels, splits = (tuple(column) for column in zip(*members, strict=True))
        if len(paths) < 2:
            return None
        if item.kind == "label_conflicts" and len(set(labels)) < 2:
            return None
        if item.kind == "leaks" and not ("train" in splits and set(splits) - {"train"}):
            return None
        if not moved and item.splits:
            return item  # the same object: the list sees at once that its row is unchanged
        return replace(item, paths=paths, labels=labels, splits=splits)

    def move_question(self, items: list[ReviewItem], new_label: str) -> str:
        """What to ask before moving the images of `items` to `new_label`, or "" when
        nothing needs asking: one image outside val/test, as its row suggests."""
        moving = [
            (path, label, split)
            for item in items
            for path, label, split in zip(
                item.paths, item.labels, item.splits or ("",) * len(item.paths), strict=True
            )
            if label != new_label
        ]
        held_out = [m for m in moving if m[2] in HELD_OUT]
        if not moving or (len(moving) == 1 and not held_out):
            return ""
        lines = [
            f"{path}: '{label}' → '{new_label}'"
            + (f" ({SPLIT_WORDS[s]})" if s in SPLIT_WORDS else "")
            for path, label, s in moving[:8]
        ]
        if len(moving) > 8:
            lines.append(f"… and {len(moving) - 8} more")
        text = f"Move {_images(len(moving))} to class '{new_label}'?\n\n" + "\n".join(lines)
        if held_out:
            they = "It then counts" if len(held_out) == 1 else "They then count"
            text += (
                f"\n\nHeld out for validation or test: {_images(len(held_out))}. {they} as "
                f"'{new_label}' when the model is measured."
            )
        return text

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
        self.steps.append(_Step(outcome.manifest_path, before))
        return outcome.manifest_path

    def _placed(self, manifest: str) -> list[tuple[str, str]]:
        """(source, destination) of each image a relabel moved, relative to the dataset."""

        def relative(path: str) -> str:
            return os.path.relpath(path, self.data_dir).replace(os.sep, "/")

        placed = read_manifest(manifest).placed
        return [(relative(p.source), relative(p.destination)) for p in placed]

    def moves_text(self, manifest: str) -> str:
        """What a change moved where, for a status line: "a → b; c → d and 3 more"."""
        placed = self._placed(manifest)
        named = "; ".join(f"{a} → {b}" for a, b in placed[:NAMED_MOVES])
        rest = len(placed) - NAMED_MOVES
        return named + (f" and {_images(rest)} more" if rest > 0 else "")

    def exclude(self, paths: list[str]) -> str | None:
        return self.move(paths, EXCLUDE)

    def keep(self, items: list[ReviewItem]) -> str:
        """Remember `items` as reviewed; returns the status sentence."""
        added = tuple(item for item in items if not self.is_kept(item))
        self.reviewed |= {item.key for item in added}
        self._write_reviewed()
        if added:
            self.steps.append(_Step(kept=added))
        what = added or tuple(items)
        it = _it(len(what))
        return f"Kept: {_what(what)}; not shown again (Undo, or Show kept lists {it})."

    def show_again(self, items: list[ReviewItem]) -> str:
        """Forget that `items` were kept, so they are open findings again, also in later
        checks; returns the status sentence."""
        taken = tuple(item for item in items if self.is_kept(item))
        if not taken:
            return "Nothing to show again: none of these is kept."
        self.reviewed -= {item.key for item in taken}
        self._write_reviewed()
        self.steps.append(_Step(shown=taken))
        it = _it(len(taken))
        return f"Shown again: {_what(taken)}; no longer kept (Undo keeps {it} again)."

    def can_undo(self) -> bool:
        return bool(self.steps or self.earlier)

    def next_undo(self) -> str:
        """What Undo would do, in a sentence without its full stop."""
        if self.steps:
            step = self.steps[-1]
            if step.shown:
                return f"Undo keeps {_findings(len(step.shown))} again"
            if not step.manifest:
                return f"Undo shows again {_findings(len(step.kept))} you kept"
            return "Undo reverses: " + self.moves_text(step.manifest)
        if self.earlier:
            manifest = self.earlier[-1]
            return (
                f"Undo reverses your change of {_when(manifest)}, made before this check: "
                + self.moves_text(manifest)
            )
        return "Nothing to undo"

    def undo(self) -> str:
        """Undo the last step; returns the undo's one-sentence summary."""
        if not self.steps:
            return self._undo_earlier()
        step = self.steps.pop()
        if step.shown:
            self.reviewed |= {item.key for item in step.shown}
            self._write_reviewed()
            return f"Undo: kept {_findings(len(step.shown))} again."
        if not step.manifest:
            self.reviewed -= {item.key for item in step.kept}
            self._write_reviewed()
            return f"Undo: {_findings(len(step.kept))} you kept shown again."
        outcome = undo_sort(step.manifest)
        for path, where in step.before.items():
            if where == _UNCHANGED:
                self.now.pop(path, None)
            else:
                self.now[path] = where
        self._moved_outside_steps |= bool(outcome.skipped)
        return outcome.summary()

    def _undo_earlier(self) -> str:
        """Undo the newest relabel change from before this check. The check saw its images
        where it put them: a moved image is followed back; an excluded one comes back
        unchecked."""
        manifest = self.earlier.pop()
        placed = self._placed(manifest)
        outcome = undo_sort(manifest)
        for source, destination in placed:
            if os.path.isfile(os.path.join(self.data_dir, source)):
                self.now[destination] = (source, self._class_of(source))
        self._moved_outside_steps = True
        return outcome.summary()[:-1] + (
            f" (your change of {_when(manifest)}, made before this check): check again to "
            "review these images."
        )

    def _class_of(self, path: str) -> str:
        parts = path.split("/")
        splits = {os.path.basename(p) for p in (find_split_folders(self.data_dir) or {}).values()}
        return parts[1] if parts[0] in splits and len(parts) > 2 else parts[0]

    def _read_reviewed(self) -> set[str]:
        try:
            with open(os.path.join(self.data_dir, REVIEWED_FILE), encoding="utf-8") as f:
                kept = json.load(f).get("kept", [])
        except (OSError, ValueError, AttributeError):
            return set()  # none yet, or unreadable: show everything again
        return {k for k in kept if isinstance(k, str)}

    def _write_reviewed(self) -> None:
        path = os.path.join(self.data_dir, REVIEWED_FILE)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_json(path, {"loupe_reviewed": 1, "kept": sorted(self.reviewed)})


def _images(n: int) -> str:
    return format_count(n, "image")


def _findings(n: int) -> str:
    return "the finding" if n == 1 else format_count(n, "finding")


def _it(n: int) -> str:
    return "it" if n == 1 else "them"


def _what(items: tuple[ReviewItem, ...] | list[ReviewItem]) -> str:
    """A status line's name for `items`: the finding itself, or how many."""
    return items[0].text() if len(items) == 1 else _findings(len(items))


def _when(manifest: str) -> str:
    """ "1 Dec 20:57": when a relabel change was made (its manifest's time)."""
    try:
        stamp = datetime.fromtimestamp(os.path.getmtime(manifest))
    except OSError:
        return "earlier"
    return f"{stamp.day} {stamp:%b %H:%M}"
