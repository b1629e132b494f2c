"""Atomic writers: the target holds the old content or the complete new content, and no
temporary file survives a failure."""

from __future__ import annotations

import gc
import json
import os
import stat

import pytest

from core.files import atomic
from core.files.atomic import (
    AtomicFile,
    atomic_open,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)


def _names(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_write_helpers_create_files(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    atomic_write_text(tmp_path / "b.txt", "héllo\n", newline="\n")
    atomic_write_json(tmp_path / "c.json", {"x": [1, 2], "name": "é"})

    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_bytes() == "héllo\n".encode()
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == {
        "x": [1, 2],
        "name": "é",
    }
    assert _names(tmp_path) == ["a.bin", "b.txt", "c.json"]


def test_exception_inside_block_keeps_old_content_and_no_temp(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("old\n")

    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write("new partial")
        raise RuntimeError("crash mid-write")

    assert target.read_text() == "old\n"
    assert _names(tmp_path) == ["results.csv"]


def test_exception_without_existing_target_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_open(tmp_path / "new.txt", "wb") as f:
        f.write(b"abc")
        raise KeyboardInterrupt
    assert _names(tmp_path) == []


def test_unserialisable_json_changes_nothing(tmp_path):
    target = tmp_path / "c.json"
    atomic_write_json(target, {"ok": 1})
    with pytest.raises(TypeError):
        atomic_write_json(target, {"bad": object()})
    with pytest.raises(ValueError):
        atomic_write_json(target, {"bad": float("nan")})
    assert json.loads(target.read_text()) == {"ok": 1}
    assert _names(tmp_path) == ["c.json"]


def test_fsync_happens_before_replace(tmp_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append("fsync")
        return real_fsync(fd)

    def replace(src, dst):
        calls.append("replace")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic_write_text(tmp_path / "x.txt", "x")
    assert calls.index("fsync") < calls.index("replace")


def test_failed_replace_removes_temp_and_keeps_target(tmp_path, monkeypatch):
    target = tmp_path / "x.txt"
    target.write_text("old")

    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["x.txt"]


def test_replacing_keeps_permissions_and_new_file_follows_umask(tmp_path):
    existing = tmp_path / "shared.txt"
    existing.write_text("old")
    os.chmod(existing, 0o640)
    atomic_write_text(existing, "new")
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o640

    old_umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "fresh.txt", "x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(tmp_path / "fresh.txt").st_mode) == 0o644


def test_atomic_file_commit_abort_and_garbage_collection(tmp_path):
    committed = AtomicFile(tmp_path / "a.txt")
    committed.file.write("a")
    assert _names(tmp_path)[0].startswith(".a.txt.")  # only the hidden temp so far
    assert not (tmp_path / "a.txt").exists()
    committed.commit()
    assert (tmp_path / "a.txt").read_text() == "a"
    with pytest.raises(ValueError):
        committed.commit()

    aborted = AtomicFile(tmp_path / "b.txt")
    aborted.file.write("b")
    aborted.abort()
    aborted.abort()  # harmless twice

    dropped = AtomicFile(tmp_path / "c.txt")
    dropped.file.write("c")
    del dropped
    gc.collect()

    assert _names(tmp_path) == ["a.txt"]


def test_atomic_file_as_context_manager(tmp_path):
    with AtomicFile(tmp_path / "ok.txt") as af:
        af.file.write("ok")
    with pytest.raises(OSError), AtomicFile(tmp_path / "bad.txt") as af:
        af.file.write("bad")
        raise OSError(28, "No space left on device")
    assert _names(tmp_path) == ["ok.txt"]


def test_read_modes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        AtomicFile(tmp_path / "x", "r")
    with pytest.raises(ValueError):
        AtomicFile(tmp_path / "x", "a")
    assert _names(tmp_path) == []


def test_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "no" / "such" / "x.txt", "x")
    assert _names(tmp_path) == []


def test_write_without_overwrite_never_replaces_and_leaves_no_temp(tmp_path):
    from core.files.atomic import atomic_write_bytes

    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"new", overwrite=False)
    assert target.read_bytes() == b"new"
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"other", overwrite=False)
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_text_that_cannot_be_encoded_leaves_the_old_file(tmp_path):
    # A file name from a foreign disk arrives with surrogate escapes (os.listdir on Linux):
    # writing it as UTF-8 fails half-way; the previous results must survive intact.
    target = tmp_path / "results.json"
    atomic_write_text(target, "old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "new " * 5000 + "IMG_\udcff.jpg\n")
    assert target.read_text() == "old\n"
    assert _names(tmp_path) == ["results.json"]
