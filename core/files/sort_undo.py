"""Undo a sort from its manifest: delete the copies, move moved files back.

Only files still identical (size + sha256) to what the sort placed are touched, and nothing
is overwritten: a file the user changed since, or an original path taken again, is reported
and left alone. See core.files.sort_manifest for the manifest format.
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


@dataclass(frozen=True)
class UndoOutcome:
    restored: int
    skipped: tuple[tuple[str, str], ...]  # (path, reason)


def _matches(path: str, placed: PlacedFile) -> bool:
    """Still the very file the sort placed (same size and sha256)?"""
    if not os.path.isfile(path) or os.path.getsize(path) != placed.size:
        return False
    return file_sha256(path) == (placed.size, placed.sha256)


def _undo_copy(placed: PlacedFile) -> str | None:
    if not os.path.lexists(placed.destination):
        return "no longer in the destination folder"
    if not _matches(placed.destination, placed):
        return "changed since sort; left in place"
    os.remove(placed.destination)
    return None


def _undo_move(placed: PlacedFile) -> str | None:
    copy_ok = _matches(placed.destination, placed)
    if os.path.lexists(placed.source):
        if not _matches(placed.source, placed):
            return f"{placed.source} exists again; kept both files"
        # The original was never removed (interrupted sort, or removal failed).
        if copy_ok:
            os.remove(placed.destination)
            return None
        if os.path.lexists(placed.destination):
            return "changed since sort; left in place (the original is back too)"
        return "already restored"
    if not os.path.lexists(placed.destination):
        return "no longer in the destination folder"
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


def undo_sort(manifest_path: str) -> UndoOutcome:
    """Reverse a sort recorded in `manifest_path`, newest step first. Copies are deleted and
    moved files go back, but only files still identical to what the sort placed; nothing is
    overwritten. Empty folders the sort created are removed; the manifest is kept.
    Raises LoupeError if the manifest is missing or malformed."""
    contents = read_manifest(manifest_path)
    restored = 0
    skipped: list[tuple[str, str]] = []
    if contents.torn_last_line:
        skipped.append(
            (manifest_path, "its last record was cut off (the sort was interrupted); ignored")
        )
    for placed in reversed(contents.placed):
        try:
            undo = _undo_move if placed.action == "move" else _undo_copy
            reason = undo(placed)
        except (SourceProblem, VerificationFailed) as e:
            reason = f"could not be restored ({e})"
        except OSError as e:
            reason = f"could not be restored ({describe_os_error(e)})"
        if reason is None:
            restored += 1
        else:
            skipped.append((placed.destination, reason))
    for folder in reversed(contents.created_folders):
        with contextlib.suppress(OSError):  # not empty: the user put something there
            os.rmdir(folder)
    return UndoOutcome(restored, tuple(skipped))
