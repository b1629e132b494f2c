"""Place one file at a new path without ever overwriting anything, and prove it arrived.

Used by the sorter and by its undo. The destination is created exclusively (`open(..., "xb")`
or `os.link`, both fail if the name exists), so a file that appears between choosing a name
and writing it is never clobbered: the caller gets FileExistsError and picks another name.

Errors are split by side, because the caller treats them differently:
- `SourceProblem`: the source could not be read (vanished, unreadable, changed while copied).
  Nothing was written.
- `VerificationFailed`: the copy differs from the source. The copy was removed.
- any other `OSError`: writing the destination failed (disk full, read-only, ...). Any partial
  destination file was removed.
The source is never modified here; deleting it after a move is the caller's decision.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from typing import BinaryIO

from core.files.atomic import fsync_directory

CHUNK_BYTES = 1024 * 1024  # large enough for full disk speed, small enough for constant memory

# os.link failures that mean "no hard links here, copy instead" rather than a real problem.
_NO_LINK_ERRNOS = {
    errno.EXDEV,  # another file system
    errno.EPERM,  # FAT/exFAT, some network shares, Linux protected_hardlinks
    errno.EMLINK,
    errno.ENOTSUP,
    errno.EOPNOTSUPP,
    errno.EACCES,
    errno.ENOSYS,
}


class SourceProblem(Exception):
    """The source file could not be read; `reason` is short and user-readable."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class VerificationFailed(Exception):
    """The written copy does not match the source; the copy has been removed."""


def describe_os_error(error: OSError) -> str:
    """Short reason for a file error, e.g. 'disk is full'."""
    special = {
        errno.ENOSPC: "disk is full",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "the disk is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "file not found",
        errno.ENAMETOOLONG: "file name too long",
    }
    return special.get(error.errno or 0, error.strerror or str(error))


def file_sha256(path: str) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def copy_and_hash(source: BinaryIO, destination: BinaryIO, source_path: str) -> tuple[int, str]:
    """Copy all bytes; returns (size, sha256 of what was read). Module-level so tests can
    replace it to simulate a disk filling up mid-copy."""
    digest = hashlib.sha256()
    size = 0
    while True:
        try:
            chunk = source.read(CHUNK_BYTES)
        except OSError as e:
            raise SourceProblem(source_path, f"could not be read ({describe_os_error(e)})") from e
        if not chunk:
            return size, digest.hexdigest()
        destination.write(chunk)
        digest.update(chunk)
        size += len(chunk)


def _open_source(path: str) -> tuple[BinaryIO, os.stat_result]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError as e:
        raise SourceProblem(path, "file no longer exists") from e
    except IsADirectoryError as e:
        raise SourceProblem(path, "is a folder, not a file") from e
    except OSError as e:
        raise SourceProblem(path, f"could not be opened ({describe_os_error(e)})") from e
    return f, os.fstat(f.fileno())


def _copy_metadata(source: str, destination: str, stat: os.stat_result) -> None:
    """shutil.copy2 semantics: times, mode, flags. Some file systems (FAT, SMB) refuse
    permission bits; the times are what users sort by, so at least keep those."""
    try:
        shutil.copystat(source, destination)
    except OSError:
        with contextlib.suppress(OSError):
            os.utime(destination, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def copy_exclusive(source: str, destination: str, durable: bool = False) -> tuple[int, str]:
    """Copy `source` to a new file at `destination` and verify size + sha256.

    Returns (size, sha256). `durable=True` fsyncs the copy and its folder first: needed
    before the caller deletes the source, so a power cut cannot lose both.
    """
    src, before = _open_source(source)
    with src:
        dst = open(destination, "xb")  # noqa: SIM115 - FileExistsError: caller picks a new name
        try:
            with dst:
                size, sha = copy_and_hash(src, dst, source)
                if durable:
                    dst.flush()
                    os.fsync(dst.fileno())
            _copy_metadata(source, destination, before)
            if durable:
                fsync_directory(os.path.dirname(destination))
            _verify(source, destination, before, size, sha)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.remove(destination)
            if isinstance(e, OSError) and e.filename is None:
                e.filename = destination  # a failed write() names no file; the user needs it
            raise
    return size, sha


def _verify(source: str, destination: str, before: os.stat_result, size: int, sha: str) -> None:
    try:
        after = os.stat(source)
    except OSError as e:
        raise SourceProblem(source, "disappeared while it was being copied") from e
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise SourceProblem(source, "changed while it was being copied")
    if size != before.st_size:
        raise SourceProblem(source, "changed size while it was being copied")
    copied = file_sha256(destination)
    if copied != (size, sha):
        raise VerificationFailed(
            f"{destination}: the copy does not match {source} "
            f"({copied[0]} bytes, expected {size}); the copy was removed"
        )


def link_exclusive(source: str, destination: str) -> bool:
    """Hard-link `source` at `destination`: a move within one disk that copies no data and
    needs no free space. False where hard links are unavailable (the caller copies instead);
    FileExistsError if the name is taken."""
    try:
        os.link(source, destination, follow_symlinks=False)
    except FileExistsError:
        raise
    except FileNotFoundError as e:
        if not os.path.lexists(source):
            raise SourceProblem(source, "file no longer exists") from e
        raise  # the destination folder is missing: a destination problem
    except (OSError, NotImplementedError) as e:
        if isinstance(e, OSError) and e.errno not in _NO_LINK_ERRNOS:
            raise
        return False
    return True


def place_file(source: str, destination: str, move: bool) -> tuple[int, str]:
    """Put a verified copy of `source` at the new path `destination`; returns (size, sha256).

    For a move the data is made durable (or shared through a hard link) so the caller may
    then delete the source. The source itself is left in place.
    """
    if os.path.isdir(source):
        raise SourceProblem(source, "is a folder, not a file")
    if move and os.path.isfile(source) and not os.path.islink(source):
        linked = link_exclusive(source, destination)
        if linked:
            try:
                # Same inode, so this is also the hash of the source.
                return file_sha256(destination)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(destination)
                raise
    return copy_exclusive(source, destination, durable=move)
