"""Undo a sort from its manifest: moved files go back, copies are removed only where the
original is still there.

Undo only ever restores. A copy is deleted only when its original is present and identical
(size + sha256): if the original was deleted or changed since, the copy may be the only one
left, so it is kept and reported. Only files still identical to what the sort placed are
touched, and nothing is overwritten. The manifest cannot point undo elsewhere: what it names
must lie inside the folder the manifest file is really in (core.files.sort_manifest).

A file already as it was before the sort (its copy gone, its original in place) counts as
already undone, not as a problem: undoing a sort twice says so and changes nothing.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from core.files.file_transfer import (
    SourceProblem,
    VerificationFailed,
    describe_os_error,
    file_sha256,
    place_file,
)
from core.files.sort_manifest import PlacedFile, read_manifest
from core.words import format_count

_ALREADY_UNDONE = "already undone"  # a file as it was before the sort: nothing to do


@dataclass(frozen=True)
class UndoOutcome:
    moved_back: int  # files a move sort took away, now at their original path again
    copies_removed: int  # copies deleted because their identical original is still there
    skipped: tuple[tuple[str, str], ...]  # (path, reason): left exactly as found
    already_undone: int = 0  # files already as before the sort (an earlier undo)

    @property
    def undone(self) -> int:
        return self.moved_back + self.copies_removed

    def summary(self) -> str:
        """One sentence that says what happened, e.g. "Undo: moved 3 files back to where
        they were; 2 files left as they are." Deleting copies is never called restoring."""
        if self.already_undone and not (self.undone or self.skipped):
            return (
                "Undo: nothing to do, this sort is already undone: "
                + ("its file is" if self.already_undone == 1 else "every file is")
                + " as it was before the sort."
            )
        parts = []
        if self.moved_back:
            where = "where it was" if self.moved_back == 1 else "where they were"
            parts.append(f"moved {_files(self.moved_back)} back to {where}")
        if self.copies_removed:
            copies = format_count(self.copies_removed, "copy", "copies")
            parts.append(f"removed {copies} (the originals are unchanged)")
        if not parts:
            parts.append("nothing was changed")
        if self.already_undone:
            parts.append(f"{_files(self.already_undone)} already as before the sort")
        text = "Undo: " + "; ".join(parts)
        if self.skipped:
            n = len(self.skipped)
            text += f"; {_files(n)} left as {'it is' if n == 1 else 'they are'}"
        return text + "."


def _files(n: int) -> str:
    return format_count(n, "file")


def _matches(path: str, placed: PlacedFile) -> bool:
    """Still the very file the sort placed (same size and sha256)?"""
    if not os.path.isfile(path) or os.path.getsize(path) != placed.size:
        return False
    return file_sha256(path) == (placed.size, placed.sha256)


def _undo_copy(placed: PlacedFile) -> str | None:
    if not os.path.lexists(placed.destination):
        if os.path.lexists(placed.source):
            return _ALREADY_UNDONE
        return "no longer in the destination folder"
    if not _matches(placed.destination, placed):
        return "changed since sort; left in place"
    # Deleting a copy is only undoing when the original still exists: otherwise the copy
    # may be the last one of the file.
    if not os.path.lexists(placed.source):
        return f"its original {placed.source} is gone; kept this copy (it may be the only one)"
    if not _matches(placed.source, placed):
        return f"its original {placed.source} changed since the sort; kept this copy"
    os.remove(placed.destination)
    return None


def _undo_move(placed: PlacedFile) -> str | None:
    if not os.path.lexists(placed.destination):
        if os.path.lexists(placed.source):
            return _ALREADY_UNDONE
        return "no longer in the destination folder"
    copy_ok = _matches(placed.destination, placed)
    if placed.link is not None:
        return _undo_link_move(placed, copy_ok)
    if os.path.lexists(placed.source):
        if not _matches(placed.source, placed):
            return f"{placed.source} exists again; kept both files"
        # The original was never removed (interrupted sort, or removal failed).
        if copy_ok:
            os.remove(placed.destination)
            return None
        return "changed since sort; left in place (the original is back too)"
    if not copy_ok:
        return "changed since sort; left in place"
    os.makedirs(os.path.dirname(placed.source), exist_ok=True)
    try:
        restored = place_file(placed.destination, placed.source, move=True)
    except FileExistsError:
        return f"{placed.source} exists again; kept both files"
    if restored != (placed.size, placed.sha256):  # changed between the check and the copy
        os.remove(placed.source)
        return "changed since sort; left in place"
    os.remove(placed.destination)
    return None


def _undo_link_move(placed: PlacedFile, copy_ok: bool) -> str | None:
    """A moved symbolic link: the link goes back, and the copy of its target's bytes is
    removed only while the target is still there and identical (it may be the last one)."""
    if os.path.lexists(placed.source):
        if not (os.path.islink(placed.source) and os.readlink(placed.source) == placed.link):
            return f"{placed.source} exists again; kept both files"
        # The link was never removed (interrupted sort, or removal failed).
    elif not copy_ok:
        return "changed since sort; left in place"
    else:
        os.makedirs(os.path.dirname(placed.source), exist_ok=True)
        try:
            os.symlink(placed.link, placed.source)
        except FileExistsError:
            return f"{placed.source} exists again; kept both files"
    if not copy_ok:
        return "changed since sort; left in place (the link is back too)"
    if not _matches(placed.source, placed):
        return (
            f"put the symbolic link {placed.source} back, but the file it points to is gone "
            "or changed; kept this copy (it may be the only one)"
        )
    os.remove(placed.destination)
    return None


def undo_sort(manifest_path: str) -> UndoOutcome:
    """Reverse a sort recorded in `manifest_path`, newest step first. Moved files go back;
    a copy is removed only while its original is present and identical. Only files still
    identical to what the sort placed are touched; nothing is overwritten. Empty folders the
    sort created are removed; the manifest is kept. Raises LoupeError if the manifest is
    missing, malformed, or names paths outside the folder it is in."""
    contents = read_manifest(manifest_path)
    moved_back = copies_removed = already_undone = 0
    skipped: list[tuple[str, str]] = []
    if contents.torn_last_line:
        skipped.append(
            (manifest_path, "its last record was cut off (the sort was interrupted); ignored")
        )
    for placed in reversed(contents.placed):
        try:
            if os.path.islink(placed.destination):  # the sort never makes links
                reason: str | None = "is a symbolic link, not what the sort placed; left alone"
            elif placed.action == "move":
                reason = _undo_move(placed)
            else:
                reason = _undo_copy(placed)
        except (SourceProblem, VerificationFailed) as e:
            reason = f"could not be restored ({e})"
        except OSError as e:
            reason = f"could not be restored ({describe_os_error(e)})"
        if reason == _ALREADY_UNDONE:
            already_undone += 1
        elif reason is not None:
            skipped.append((placed.destination, reason))
        elif placed.action == "move":
            moved_back += 1
        else:
            copies_removed += 1
    for folder in reversed(contents.created_folders):
        with contextlib.suppress(OSError):  # not empty: the user put something there
            os.rmdir(folder)
    return UndoOutcome(moved_back, copies_removed, tuple(skipped), already_undone)
