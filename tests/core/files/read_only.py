"""A read-only folder for tests, also where chmod does not make one (root, Windows).

Root ignores permission bits, so there the refusals the operating system would give are
raised by patching the os functions that create, rename or remove an entry in the folder."""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def chmod_is_enforced() -> bool:
    return os.name == "posix" and os.geteuid() != 0


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Within the block, nothing can be created in, renamed into or removed from `folder`."""
    folder.chmod(0o500)
    try:
        if chmod_is_enforced():
            yield
        else:
            with pytest.MonkeyPatch.context() as patch:
                _refuse_entries_in(patch, str(folder.resolve()))
                yield
    finally:
        folder.chmod(0o700)


def _refuse_entries_in(patch: pytest.MonkeyPatch, folder: str) -> None:
    def check(path) -> None:
        if isinstance(path, int):  # a file descriptor: nothing new is named
            return
        if os.path.dirname(os.path.abspath(os.fsdecode(path))) == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

    def guard(function, *positions):
        def guarded(*args, **kwargs):
            for i in positions:
                if i < len(args):
                    check(args[i])
            return function(*args, **kwargs)

        return guarded

    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wxa+"):
            check(file)
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & WRITE_FLAGS:
            check(path)
        return real_os_open(path, flags, *args, **kwargs)

    patch.setattr(builtins, "open", guarded_open)
    patch.setattr(os, "open", guarded_os_open)
    patch.setattr(os, "mkdir", guard(os.mkdir, 0))
    for name in ("link", "rename", "replace"):
        patch.setattr(os, name, guard(getattr(os, name), 0, 1))
    for name in ("remove", "unlink", "rmdir"):
        patch.setattr(os, name, guard(getattr(os, name), 0))
