"""A sort that meets a full disk, a read-only or impossible destination, a failed record
or Ctrl+C stops with a clear sentence and loses nothing: every file is in exactly one place."""

from __future__ import annotations

import errno
import os

import pytest

from core.errors import LoupeError
from core.files import file_transfer, sorting
from core.files.sort_plan import plan_sort
from core.files.sorting import SortAborted, execute_sort, undo_sort
from tests.core.files.read_only import read_only_folder
from tests.core.sorting_helpers import disable_hard_links, files_under, make_file, sha, snapshot


def _fill_disk_on_third_copy(monkeypatch):
    real_copy = file_transfer.copy_and_hash
    calls = {"n": 0}

    def copy(source, destination, source_path):
        calls["n"] += 1
        if calls["n"] == 3:
            destination.write(source.read(10))  # a partial file, as a real full disk leaves
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(source, destination, source_path)

    monkeypatch.setattr(file_transfer, "copy_and_hash", copy)
    disable_hard_links(monkeypatch)


@pytest.mark.parametrize("move", [False, True])
def test_disk_full_stops_with_clear_message_and_loses_nothing(tmp_path, photos, monkeypatch, move):
    src, files, results = photos
    all_checksums = sorted(sha(f) for f in files.values())
    dest = tmp_path / "dest"
    _fill_disk_on_third_copy(monkeypatch)

    with pytest.raises(SortAborted) as caught:
        execute_sort(plan_sort(results, dest, move=move))
    error = caught.value
    assert isinstance(error, LoupeError)
    third = str(files["x1"])
    assert str(dest / "cats" / "x.jpg") in str(error) and "disk is full" in str(error)
    assert f"Nothing was lost: {third} is untouched" in str(error)
    assert error.outcome.done == 2 and error.outcome.manifest_path in str(error)

    assert not (dest / "cats" / "x.jpg").exists()  # partial copy removed
    assert os.path.exists(third)
    remaining = [sha(src / p) for p in files_under(src)]
    placed = [sha(dest / p) for p in files_under(dest)]
    assert sorted(remaining + placed) == sorted(all_checksums + ([] if move else placed))

    undone = undo_sort(error.outcome.manifest_path)
    assert undone.undone == 2
    assert sorted(sha(src / p) for p in files_under(src)) == all_checksums
    assert files_under(dest) == []


def test_manifest_write_failure_takes_back_the_unrecorded_file(tmp_path, photos, monkeypatch):
    _, files, results = photos

    def full(self, placed):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sorting.ManifestWriter, "file_placed", full)
    with pytest.raises(SortAborted, match="disk is full"):
        execute_sort(plan_sort(results, tmp_path / "dest", move=True))
    assert all(f.exists() for f in files.values())
    assert files_under(tmp_path / "dest") == []


def test_read_only_destination_gives_clear_error(tmp_path, photos):
    src, _, results = photos
    before = snapshot(src)
    dest = tmp_path / "dest"
    dest.mkdir()
    with read_only_folder(dest), pytest.raises(SortAborted, match="permission denied") as caught:
        execute_sort(plan_sort(results, dest, move=True))
    assert str(dest) in str(caught.value)
    assert snapshot(src) == before
    assert os.listdir(dest) == []

    # Writable root, read-only class folder, manifest elsewhere: stops at the first file.
    (dest / "cats").mkdir()
    with (
        read_only_folder(dest / "cats"),
        pytest.raises(SortAborted, match="permission denied") as caught,
    ):
        execute_sort(plan_sort(results, dest, move=True), str(tmp_path / "m.jsonl"))
    assert str(dest / "cats" / "a.jpg") in str(caught.value)
    assert snapshot(src) == before
    assert files_under(dest) == []


def test_destination_that_is_a_file_gives_clear_error(tmp_path, photos):
    src, _, results = photos
    blocker = make_file(tmp_path / "dest", b"not a folder")
    with pytest.raises(SortAborted, match="is not a folder"):
        execute_sort(plan_sort(results, blocker))
    with pytest.raises(SortAborted, match="already exists"):
        execute_sort(plan_sort(results, tmp_path / "d2"), manifest_path=str(blocker))
    assert blocker.read_bytes() == b"not a folder"


# -- Ctrl+C never leaves a file in both places (issue 8, item 9) ----------------------------


def test_ctrl_c_between_recording_a_move_and_removing_its_source(tmp_path, photos, monkeypatch):
    src, files, results = photos
    before = snapshot(src)
    real_remove = os.remove
    second = str(files["b"])

    def interrupted_remove(path, *args, **kwargs):
        if path == second and not interrupted_remove.fired:
            interrupted_remove.fired = True
            raise KeyboardInterrupt  # Ctrl+C lands just before the original is deleted
        return real_remove(path, *args, **kwargs)

    interrupted_remove.fired = False
    monkeypatch.setattr(os, "remove", interrupted_remove)
    dest = tmp_path / "dest"
    with pytest.raises(sorting.SortInterrupted) as caught:
        execute_sort(plan_sort(results, dest, move=True))
    monkeypatch.undo()

    outcome = caught.value.outcome
    assert outcome.done == 2 and outcome.stopped and outcome.manifest_path
    assert not files["b"].exists()  # the move was completed, not left half done
    placed = [sha(p) for p in dest.rglob("*") if p.is_file() and p.suffix != ".jsonl"]
    for name, digest in before.items():  # every file is in exactly one place
        if digest != "<dir>":
            assert (src / name).exists() + placed.count(digest) == 1, name
    undo_sort(outcome.manifest_path)
    assert snapshot(src) == before
