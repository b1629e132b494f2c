"""Sort classified images into class folders, safely, with an undo.

`core.files.sort_plan.plan_sort` decides where every file goes (`DEST/<class>/<name>`, or
`DEST/_unsure/` below the confidence threshold) without touching the disk; the GUI shows
`plan.summary()`. `execute_sort` carries the plan out:
- every destination folder must lie inside the destination once symbolic links are resolved,
  the rule its undo applies (`check_sort_folders`), or nothing is sorted at all;
- nothing is overwritten: names are claimed with exclusive creation, a taken name (compared
  case-insensitively, as Windows and macOS do) gets " (1)", " (2)", ... before the extension;
- every copy is checked (size + sha256) before a move deletes its source; a moved symbolic
  link leaves the file it points to alone (its bytes are copied) and the manifest records the
  link, so undo puts the very link back;
- a JSON-lines manifest records each step as it happens, so `undo_sort` works even after a
  crash;
- when the destination cannot be written (read-only, disk full) the sort stops with a
  `SortAborted` naming the path; the file in hand is untouched and its partial copy removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from core.errors import LoupeError
from core.files.file_transfer import (
    SourceProblem,
    VerificationFailed,
    describe_os_error,
    file_sha256,
    place_file,
)
from core.files.sort_manifest import MANIFEST_PREFIX, ManifestWriter, PlacedFile, really_inside
from core.files.sort_names import (
    UNSURE_FOLDER,
    existing_names,
    fit_file_name,
    free_name,
    name_key,
    safe_folder_name,
)
from core.files.sort_plan import SortOp, SortPlan
from core.files.sort_undo import UndoOutcome, undo_sort
from core.words import format_count

__all__ = [
    "UNSURE_FOLDER",
    "SortAborted",
    "SortInterrupted",
    "SortOutcome",
    "UndoOutcome",
    "check_sort_folders",
    "execute_sort",
    "safe_folder_name",
    "undo_sort",
]

MAX_NAME_ATTEMPTS = 10_000  # "name (1)" ... before giving up on one file
# Errors about the destination as a whole: retrying with the next file cannot help.
_FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass(frozen=True)
class SortOutcome:
    done: int  # files placed (and, for a move, removed from their source)
    failed: tuple[tuple[str, str], ...]  # (source path, reason)
    manifest_path: str | None  # None when the plan was empty and nothing was written
    stopped: bool  # should_stop() ended the sort early


class SortAborted(LoupeError):
    """The destination cannot be written. `outcome` says what was done before that."""

    def __init__(self, message: str, outcome: SortOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class SortInterrupted(KeyboardInterrupt):
    """Ctrl+C during a sort. Every file is in exactly one place; `outcome` says how far the
    sort got and where its manifest (for undo) is."""

    def __init__(self, outcome: SortOutcome) -> None:
        super().__init__("sort interrupted")
        self.outcome = outcome


def check_sort_folders(
    dest_root: str, folders: Iterable[str], manifest_folder: str | None = None
) -> None:
    """Refuse a sort into any of `folders` that leads outside `dest_root` through a symbolic
    link: its undo touches only what lies inside the folder its manifest is in, links
    resolved (sort_manifest.really_inside), so files sorted there could never be undone.
    Raises SortAborted naming the link; reads the disk, writes nothing."""
    root = os.path.abspath(dest_root)
    trusted = os.path.realpath(manifest_folder or root)
    for folder in folders:
        folder = os.path.abspath(folder)
        # The check undo makes on each file placed in the folder.
        if really_inside(os.path.join(folder, "file"), trusted):
            continue
        link = folder
        while link.startswith(root + os.sep) and not os.path.islink(link):
            link = os.path.dirname(link)
        what = (
            f"{link} is a symbolic link to {os.path.realpath(link)}"
            if os.path.islink(link)
            else f"{folder} is really {os.path.realpath(folder)}"
        )
        raise SortAborted(
            f"Cannot sort into {root}: {what}, outside {root}, so the sort could not be "
            "undone; nothing was changed.",
            SortOutcome(0, (), None, False),
        )


def default_manifest_path(dest_root: str, prefix: str = MANIFEST_PREFIX) -> str:
    """A new manifest name in `dest_root`: prefix + timestamp (+ -N for two in one second).
    Relabelling and adding to a dataset pass a hidden prefix, so the scan skips the file."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(dest_root, f"{prefix}{stamp}.jsonl")
    n = 2
    while os.path.lexists(path):
        path = os.path.join(dest_root, f"{prefix}{stamp}-{n}.jsonl")
        n += 1
    return path


class _SortRun:
    """State of one execute_sort call."""

    def __init__(self, plan: SortPlan, manifest: ManifestWriter) -> None:
        self.plan = plan
        self.manifest = manifest
        self.done = 0
        self.failed: list[tuple[str, str]] = []
        self.names_in: dict[str, set[str]] = {}  # folder -> name keys taken, as found + placed
        self.recorded: PlacedFile | None = None  # the last file written into the manifest

    def outcome(self, stopped: bool = False) -> SortOutcome:
        return SortOutcome(self.done, tuple(self.failed), self.manifest.path, stopped)

    def abort(self, op: SortOp, path: str, error: OSError) -> SortAborted:
        done = (
            f" The {format_count(self.done, 'file')} sorted before "
            f"{'is' if self.done == 1 else 'are'} listed in {self.manifest.path}"
            " and can be undone."
            if self.done
            else ""
        )
        return SortAborted(
            f"Sorting stopped: cannot write to {path} ({describe_os_error(error)}). "
            f"Nothing was lost: {op.source} is untouched.{done}",
            self.outcome(),
        )

    def _ensure_folder(self, op: SortOp, folder: str) -> None:
        if folder in self.names_in:
            return
        parent = os.path.dirname(folder)
        # e.g. DATA/_excluded/<class>: each missing level below dest_root is created and
        # recorded, so undo removes it again.
        below_root = parent.startswith(self.plan.dest_root + os.sep)
        if below_root and not os.path.isdir(parent):
            self._ensure_folder(op, parent)
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        else:
            try:
                self.manifest.folder_created(folder)
            except OSError as e:
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
                raise self.abort(op, self.manifest.path, e) from e
        self.names_in[folder] = existing_names(folder)

    def _place(self, op: SortOp) -> PlacedFile:
        """Claim a free name and put a verified copy there; record it in the manifest."""
        folder, planned = os.path.split(op.destination)
        link = None
        if self.plan.move and os.path.islink(op.source):
            try:
                link = os.readlink(op.source)
            except OSError as e:
                raise SourceProblem(op.source, f"could not be read ({describe_os_error(e)})") from e
        self._ensure_folder(op, folder)
        taken = self.names_in[folder]
        original = fit_file_name(os.path.basename(op.source))
        for _ in range(MAX_NAME_ATTEMPTS):
            name = free_name(planned, original, taken)
            destination = os.path.join(folder, name)
            taken.add(name_key(name))
            try:
                size, sha = place_file(op.source, destination, self.plan.move)
                break
            except FileExistsError:
                continue  # appeared since we listed the folder: try the next number
            except KeyboardInterrupt:
                # Ctrl+C just after the copy was made: an unrecorded copy cannot be undone.
                _remove_if_ours(destination, op.source)
                raise
        else:  # a file system that answers "exists" to every name: give up on this file
            raise FileExistsError(errno.EEXIST, "no free file name", destination)
        placed = PlacedFile(
            "move" if self.plan.move else "copy", op.source, destination, size, sha, op.label, link
        )
        try:
            self.manifest.file_placed(placed)
        except (OSError, KeyboardInterrupt) as e:
            # An unrecorded file could not be undone: take it back while the source is intact.
            with contextlib.suppress(OSError):
                os.remove(destination)
            if isinstance(e, KeyboardInterrupt):
                raise
            raise self.abort(op, self.manifest.path, e) from e
        self.recorded = placed
        return placed

    def finish_interrupted(self, op: SortOp) -> None:
        """Ctrl+C in the middle of `op`: a recorded move whose original is still there is
        completed, so that no file is left in both places."""
        placed = self.recorded
        if placed is None or placed.source != op.source:
            return  # nothing of this file was recorded: it is untouched
        if self.plan.move and os.path.lexists(placed.source):
            try:
                if os.path.getsize(placed.destination) == placed.size:
                    os.remove(placed.source)
            except OSError:
                return  # both copies stay; undo recognises the identical original
        self.done += 1

    def run_op(self, op: SortOp) -> None:
        try:
            placed = self._place(op)
        except SourceProblem as e:
            self.failed.append((op.source, e.reason))
            return
        except VerificationFailed as e:
            self.failed.append((op.source, str(e)))
            return
        except OSError as e:
            path = e.filename or os.path.dirname(op.destination)
            if e.errno in _FATAL_ERRNOS:
                raise self.abort(op, path, e) from e
            self.failed.append((op.source, f"cannot write {path} ({describe_os_error(e)})"))
            return
        if self.plan.move:
            try:
                os.remove(op.source)
            except FileNotFoundError:
                pass  # gone already; its verified copy is in place
            except OSError as e:
                # Both copies exist; undo recognises an identical original and keeps it.
                self.failed.append(
                    (
                        op.source,
                        f"copied to {placed.destination}, but the original could not be "
                        f"removed ({describe_os_error(e)})",
                    )
                )
                return
        self.done += 1
        self.recorded = None


def _remove_if_ours(destination: str, source: str) -> None:
    """Remove a copy interrupted before it was recorded, if it is the copy of `source`."""
    with contextlib.suppress(OSError):
        if os.path.isfile(destination) and file_sha256(destination) == file_sha256(source):
            os.remove(destination)


def execute_sort(
    plan: SortPlan,
    manifest_path: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SortOutcome:
    """Carry out `plan`. Files that vanished or cannot be read are reported in
    `outcome.failed`; an unwritable destination raises SortAborted. `progress(done, total)`
    is called after every file; `should_stop()` is checked before every file."""
    if not plan.ops:
        return SortOutcome(0, (), None, False)
    root = plan.dest_root
    folders = dict.fromkeys(os.path.dirname(op.destination) for op in plan.ops)
    manifest_folder = os.path.dirname(os.path.abspath(manifest_path)) if manifest_path else None
    check_sort_folders(root, folders, manifest_folder)
    try:
        os.makedirs(root, exist_ok=True)
        path = manifest_path or default_manifest_path(root)
        manifest = ManifestWriter(path, root, plan.move, plan.unsure_threshold)
    except FileExistsError as e:
        what = "already exists" if os.path.isdir(root) else "exists and is not a folder"
        raise SortAborted(
            f"Cannot sort into {root}: {e.filename or root} {what}. Nothing was changed.",
            SortOutcome(0, (), None, False),
        ) from e
    except OSError as e:
        raise SortAborted(
            f"Cannot sort into {root}: cannot write to {e.filename or root} "
            f"({describe_os_error(e)}). Nothing was changed.",
            SortOutcome(0, (), None, False),
        ) from e
    run = _SortRun(plan, manifest)
    try:
        total = len(plan.ops)
        for index, op in enumerate(plan.ops):
            if should_stop is not None and should_stop():
                return run.outcome(stopped=True)
            try:
                run.run_op(op)
            except KeyboardInterrupt:
                run.finish_interrupted(op)
                raise SortInterrupted(run.outcome(stopped=True)) from None
            if progress is not None:
                progress(index + 1, total)
        return run.outcome()
    finally:
        manifest.close()
