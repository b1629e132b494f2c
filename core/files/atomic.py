"""Atomic file writes: readers see the old file or the complete new one, never a torn one.

Every writer here writes a hidden temporary file next to the target (same folder, so the
same file system), flushes and fsyncs it, then `os.replace`s it over the target. On any
exception the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import sys
import time
import weakref
from collections.abc import Iterator
from typing import IO, Any

_TEXT_MODES = {"w", "wt", "w+", "wt+", "w+t"}
_BINARY_MODES = {"wb", "wb+", "w+b"}


def fsync_directory(folder: str) -> None:
    """Make a rename or a new file in `folder` durable. Best effort: Windows cannot open
    folders, and some file systems refuse; the data itself is already fsynced then."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _close_and_remove(file: IO[Any], path: str) -> None:
    """Finalizer for a writer nobody committed or aborted: discard its temporary file."""
    with contextlib.suppress(OSError):
        file.close()
    with contextlib.suppress(OSError):
        os.remove(path)


def _replace(source: str, target: str) -> None:
    """os.replace, retried briefly on Windows, where a reader holding the target open (the
    window reading run.json, an antivirus or sync client) makes it fail for a moment."""
    attempts = 10 if sys.platform == "win32" else 1
    for attempt in range(attempts):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _naming(error: OSError, path: str) -> OSError:
    """The same error, naming the file the user asked for rather than the hidden temporary
    one (or none at all: a failed write() names no file)."""
    return type(error)(error.errno, error.strerror or str(error), path)


def _publish_new(source: str, target: str) -> None:
    """Rename `source` to `target` only if `target` does not exist. A hard link claims the
    name atomically; where links are unavailable (FAT, some shares) the check and the
    rename are two steps."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "file exists", target) from None
        os.replace(source, target)
        return
    os.remove(source)


class AtomicFile:
    """A file that appears at `path` only when `commit()` is called.

    For writers that stay open across calls (a streaming CSV); `atomic_open` wraps it for
    `with` blocks. If the object is dropped without `commit()`/`abort()` (an exception
    unwound past its owner), its temporary file is removed when it is garbage collected.
    """

    def __init__(
        self, path: str | os.PathLike[str], mode: str = "w", newline: str | None = None
    ) -> None:
        if mode not in _TEXT_MODES | _BINARY_MODES:
            raise ValueError(f"atomic writes need a write mode ('w', 'wb', ...), got {mode!r}")
        self.path = os.path.abspath(os.fspath(path))
        folder, name = os.path.split(self.path)
        # Hidden and unmistakable, so a leftover after a power cut is easy to recognise.
        self.temp_path = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        # 0o666 through the umask, like a file made by open(): mkstemp would give 0o600.
        try:
            fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as e:
            raise _naming(e, self.path) from None
        try:
            with contextlib.suppress(FileNotFoundError):
                # Replacing a file keeps its permissions: a shared results file stays shared.
                os.chmod(self.temp_path, os.stat(self.path).st_mode & 0o7777)
            if mode in _BINARY_MODES:
                self.file: IO[Any] = os.fdopen(fd, mode)
            else:
                self.file = os.fdopen(fd, mode, encoding="utf-8", newline=newline)
        except BaseException:
            os.close(fd)
            _remove_quietly(self.temp_path)
            raise
        self._finalizer = weakref.finalize(self, _close_and_remove, self.file, self.temp_path)

    @property
    def closed(self) -> bool:
        """True once committed or aborted."""
        return not self._finalizer.alive

    def commit(self, overwrite: bool = True, durable: bool = True) -> None:
        """Flush, fsync and move the finished file into place. With `overwrite=False` an
        existing file at the path is never replaced: FileExistsError, and nothing changes.
        `durable=False` skips the fsyncs, for many small files that can be made again (a
        sample dataset's 70,000 images): a crash or kill still leaves no torn file under
        the name, a power cut may."""
        if self.closed:
            raise ValueError(f"{self.path}: atomic file already committed or aborted")
        try:
            self.file.flush()
            if durable:
                os.fsync(self.file.fileno())
            self.file.close()
            if overwrite:
                _replace(self.temp_path, self.path)
            else:
                _publish_new(self.temp_path, self.path)
        except BaseException as e:
            self.abort()
            if isinstance(e, OSError) and not isinstance(e, FileExistsError):
                raise _naming(e, self.path) from None
            raise
        self._finalizer.detach()
        if durable:
            fsync_directory(os.path.dirname(self.path))

    def abort(self) -> None:
        """Discard everything written; the target is untouched. Safe to call twice."""
        self._finalizer()  # runs at most once: closes the file and removes the temp file

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", newline: str | None = None
) -> Iterator[IO[Any]]:
    """`with atomic_open(p) as f: f.write(...)`: `p` changes only if the block completes.
    Text modes use UTF-8."""
    atomic = AtomicFile(path, mode, newline)
    try:
        yield atomic.file
    except OSError as e:
        atomic.abort()
        if e.filename is None:  # a write to the temporary file: disk full, quota, ...
            raise _naming(e, atomic.path) from None
        raise
    except BaseException:
        atomic.abort()
        raise
    atomic.commit()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, overwrite: bool = True) -> None:
    """With `overwrite=False`, FileExistsError if `path` exists (and nothing is written)."""
    atomic = AtomicFile(path, "wb")
    try:
        atomic.file.write(data)
    except OSError as e:
        atomic.abort()
        raise _naming(e, atomic.path) from None
    except BaseException:
        atomic.abort()
        raise
    atomic.commit(overwrite)


def atomic_write_text(path: str | os.PathLike[str], text: str, newline: str | None = None) -> None:
    """UTF-8. `newline=None` translates "\\n" to the platform's line ending, like open()."""
    with atomic_open(path, "w", newline=newline) as f:
        f.write(text)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, indent: int | None = 2) -> None:
    """Serialised fully before the file is touched, so an unserialisable object changes
    nothing. NaN/infinity are refused: they are not JSON and other readers choke on them."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
    atomic_write_text(path, text + "\n", newline="\n")
