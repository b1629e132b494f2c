"""Planning and executing a sort: right folders, no overwrites, verified moves, clear errors."""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from core.errors import LoupeError
from core.files import file_transfer, sorting
from core.files.sorting import SortAborted, execute_sort, plan_sort, safe_folder_name, undo_sort
from tests.core.files.read_only import read_only_folder
from tests.core.sorting_helpers import files_under, make_file, result, sha, snapshot


@pytest.fixture
def photos(tmp_path):
    """Five sources; two share the name 'x.jpg' in different subfolders."""
    src = tmp_path / "src"
    files = {
        "a": make_file(src / "a.jpg", mtime=1_600_000_000),
        "b": make_file(src / "b.png"),
        "x1": make_file(src / "one" / "x.jpg"),
        "x2": make_file(src / "two" / "x.jpg"),
        "low": make_file(src / "low.jpg"),
    }
    results = [
        result(files["a"], "cats"),
        result(files["b"], "dogs"),
        result(files["x1"], "cats"),
        result(files["x2"], "cats"),
        result(files["low"], "dogs", confidence=0.3),
    ]
    return src, files, results


def _manifest_lines(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ---------- planning ----------


def test_plan_destinations_unsure_and_in_plan_collisions(tmp_path, photos):
    _, files, results = photos
    dest = tmp_path / "dest"
    plan = plan_sort(results, str(dest), unsure_threshold=0.5)
    assert [
        (Path(op.source).name, os.path.relpath(op.destination, dest), op.label) for op in plan.ops
    ] == [
        ("a.jpg", "cats/a.jpg", "cats"),
        ("b.png", "dogs/b.png", "dogs"),
        ("x.jpg", "cats/x.jpg", "cats"),
        ("x.jpg", f"cats{os.sep}x (1).jpg", "cats"),
        ("low.jpg", "_unsure/low.jpg", "_unsure"),
    ]
    assert plan.counts() == {"cats": 3, "dogs": 1, "_unsure": 1}
    assert plan.summary() == f"Copy 5 files into {dest}: cats 3, dogs 1, _unsure 1"
    assert not dest.exists()  # planning writes nothing


def test_plan_avoids_existing_names_case_insensitively_and_dedupes_sources(tmp_path, photos):
    _, files, results = photos
    dest = tmp_path / "dest"
    make_file(dest / "cats" / "A.JPG")
    plan = plan_sort(results + [results[0]], dest, move=True)
    assert len(plan.ops) == 5  # a.jpg listed twice, sorted once
    assert Path(plan.ops[0].destination).name == "a (1).jpg"
    assert plan.summary().startswith("Move 5 files into")


def test_plan_folder_names_are_safe_and_distinct(tmp_path):
    src = tmp_path / "src"
    labels = ["../evil", "a/b", "a_b", "CON", "Cat", "cat", "_unsure", "dots. . ", ""]
    results = [result(make_file(src / f"{i}.jpg"), label) for i, label in enumerate(labels)]
    plan = plan_sort(results, tmp_path / "dest")
    folders = {Path(op.source).stem: op.label for op in plan.ops}
    assert folders == {
        "0": "__evil",
        "1": "a_b",
        "2": "a_b (2)",
        "3": "_CON",
        "4": "Cat",
        "5": "cat (2)",
        "6": "_unsure (2)",  # a class named _unsure must not mix with unsure files
        "7": "dots",
        "8": "_",
    }
    for op in plan.ops:
        assert os.path.dirname(os.path.dirname(op.destination)) == str(tmp_path / "dest")


@pytest.mark.parametrize(
    ("label", "folder"),
    [
        ("cats", "cats"),
        ("..", "_"),
        (".hidden", "_hidden"),
        ("a\\b:c*d?", "a_b_c_d_"),
        ("nul.txt", "_nul.txt"),
        ("COM1", "_COM1"),
        ("tab\there", "tab_here"),
        ("x" * 300, "x" * 100),
        ("chat noir ", "chat noir"),
    ],
)
def test_safe_folder_name(label, folder):
    assert safe_folder_name(label) == folder


def test_plan_rejects_bad_threshold_and_nan_goes_unsure(tmp_path):
    f = make_file(tmp_path / "a.jpg")
    with pytest.raises(ValueError):
        plan_sort([result(f, "cats")], tmp_path / "d", unsure_threshold=1.5)
    plan = plan_sort([result(f, "cats", float("nan"))], tmp_path / "d", unsure_threshold=0.1)
    assert plan.ops[0].label == "_unsure"
    assert plan_sort([], tmp_path / "d").summary() == f"Copy 0 files into {tmp_path / 'd'}"


# ---------- copying ----------


def test_copy_places_every_file_exactly_once(tmp_path, photos):
    src, files, results = photos
    before = snapshot(src)
    dest = tmp_path / "dest"
    make_file(dest / "cats" / "a.jpg", b"already here")  # an existing file must survive
    plan = plan_sort(results, dest, unsure_threshold=0.5)
    outcome = execute_sort(plan)

    assert outcome.done == 5 and outcome.failed == () and not outcome.stopped
    assert snapshot(src) == before  # sources untouched
    assert (dest / "cats" / "a.jpg").read_bytes() == b"already here"
    assert files_under(dest) == sorted(
        os.path.join(*p)
        for p in [
            ("_unsure", "low.jpg"),
            ("cats", "a (1).jpg"),
            ("cats", "a.jpg"),
            ("cats", "x (1).jpg"),
            ("cats", "x.jpg"),
            ("dogs", "b.png"),
        ]
    )
    copied = Counter(sha(dest / p) for p in files_under(dest))
    for f in files.values():
        assert copied[sha(f)] == 1
    assert os.stat(dest / "cats" / "a (1).jpg").st_mtime == 1_600_000_000  # copy2 semantics
    assert Path(outcome.manifest_path).parent == dest
    assert Path(outcome.manifest_path).name.startswith("loupe-sort-manifest-")


def test_collision_is_decided_at_execution_time(tmp_path, photos):
    _, files, results = photos
    dest = tmp_path / "dest"
    plan = plan_sort(results[:1], dest)
    make_file(dest / "cats" / "A.jpg", b"appeared after planning")
    execute_sort(plan)
    assert (dest / "cats" / "A.jpg").read_bytes() == b"appeared after planning"
    assert sha(dest / "cats" / "a (1).jpg") == sha(files["a"])


@pytest.mark.parametrize("move", [False, True])
def test_exclusive_creation_protects_files_the_listing_missed(tmp_path, photos, monkeypatch, move):
    """A file created between listing the folder and writing must still not be overwritten."""
    _, files, results = photos
    dest = tmp_path / "dest"
    plan = plan_sort(results[:1], dest, move=move)
    make_file(dest / "cats" / "a.jpg", b"raced in")
    make_file(dest / "cats" / "a (1).jpg", b"raced in too")
    monkeypatch.setattr(sorting, "existing_names", lambda folder: set())  # listing is stale
    expected = sha(files["a"])
    assert execute_sort(plan).done == 1
    assert (dest / "cats" / "a.jpg").read_bytes() == b"raced in"
    assert (dest / "cats" / "a (1).jpg").read_bytes() == b"raced in too"
    assert sha(dest / "cats" / "a (2).jpg") == expected


def test_manifest_is_written_incrementally(tmp_path, photos):
    _, _, results = photos
    dest = tmp_path / "dest"
    manifest = str(tmp_path / "sort.jsonl")
    seen: list[tuple[int, int, int]] = []

    def progress(done, total):
        ops = [r for r in _manifest_lines(manifest) if r.get("op") in ("copy", "move")]
        seen.append((done, total, len(ops)))

    execute_sort(plan_sort(results, dest), manifest_path=manifest, progress=progress)
    assert seen == [(i, 5, i) for i in range(1, 6)]
    lines = _manifest_lines(manifest)
    assert lines[0]["loupe_sort_manifest"] == 1 and lines[0]["move"] is False
    assert lines[0]["dest_root"] == str(dest)
    assert sorted(r["path"] for r in lines if r.get("op") == "mkdir") == [
        str(dest / "cats"),
        str(dest / "dogs"),
    ]
    record = next(r for r in lines if r.get("op") == "copy")
    assert record["sha256"] == sha(record["source"]) == sha(record["destination"])
    assert record["size"] == os.path.getsize(record["source"])


def test_vanished_source_is_reported_not_fatal(tmp_path, photos):
    _, files, results = photos
    plan = plan_sort(results, tmp_path / "dest")
    files["b"].unlink()
    outcome = execute_sort(plan)
    assert outcome.done == 4
    assert outcome.failed == ((str(files["b"]), "file no longer exists"),)


def test_should_stop_and_empty_plan(tmp_path, photos):
    _, _, results = photos
    calls = iter([False, False, True])
    outcome = execute_sort(plan_sort(results, tmp_path / "dest"), should_stop=lambda: next(calls))
    assert outcome.stopped and outcome.done == 2
    assert len(files_under(tmp_path / "dest")) == 2

    empty = execute_sort(plan_sort([], tmp_path / "nothing"))
    assert empty.done == 0 and empty.manifest_path is None
    assert not (tmp_path / "nothing").exists()


# ---------- moving ----------


def _disable_hard_links(monkeypatch) -> None:
    """As on another disk or FAT: moves must copy, verify, then delete."""

    def no_link(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(file_transfer.os, "link", no_link)


@pytest.fixture(params=["hard link", "copy"])
def link_mode(request, monkeypatch):
    """Moves hard-link within a disk and copy across disks: test both paths."""
    if request.param == "copy":
        _disable_hard_links(monkeypatch)
    return request.param


def test_move_deletes_sources_after_recording_a_verified_copy(
    tmp_path, photos, link_mode, monkeypatch
):
    src, files, results = photos
    checksums = {sha(f): f for f in files.values()}
    dest = tmp_path / "dest"
    real_record = sorting.ManifestWriter.file_placed

    def record(self, placed):
        assert os.path.exists(placed.source), "source deleted before the copy was recorded"
        assert sha(placed.destination) == placed.sha256 == sha(placed.source)
        real_record(self, placed)

    monkeypatch.setattr(sorting.ManifestWriter, "file_placed", record)
    outcome = execute_sort(plan_sort(results, dest, move=True))

    assert outcome.done == 5 and outcome.failed == ()
    assert files_under(src) == []
    assert sorted(sha(dest / p) for p in files_under(dest)) == sorted(checksums)
    assert os.stat(dest / "cats" / "a.jpg").st_mtime == 1_600_000_000
    assert {r.get("op") for r in _manifest_lines(outcome.manifest_path)[1:]} == {"mkdir", "move"}


def test_failed_verification_keeps_source_and_removes_copy(tmp_path, photos, monkeypatch):
    _, files, results = photos
    _disable_hard_links(monkeypatch)
    real_copy = file_transfer.copy_and_hash

    def corrupting_copy(source, destination, source_path):
        size, digest = real_copy(source, destination, source_path)
        if source_path.endswith("b.png"):
            destination.write(b"garbage")  # a bad write the disk did not report
        return size, digest

    monkeypatch.setattr(file_transfer, "copy_and_hash", corrupting_copy)
    before = sha(files["b"])
    outcome = execute_sort(plan_sort(results, tmp_path / "dest", move=True))

    assert outcome.done == 4
    [(path, reason)] = outcome.failed
    assert path == str(files["b"]) and "does not match" in reason
    assert sha(files["b"]) == before
    assert not (tmp_path / "dest" / "dogs" / "b.png").exists()


def test_source_that_cannot_be_removed_is_reported_and_undo_keeps_it(tmp_path, photos, monkeypatch):
    _, files, results = photos
    real_remove = os.remove

    def remove(path, *args, **kwargs):
        if path == str(files["a"]):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_remove(path, *args, **kwargs)

    monkeypatch.setattr(sorting.os, "remove", remove)
    outcome = execute_sort(plan_sort(results, tmp_path / "dest", move=True))
    monkeypatch.undo()
    assert outcome.done == 4
    assert "original could not be removed" in outcome.failed[0][1]
    assert files["a"].exists() and (tmp_path / "dest" / "cats" / "a.jpg").exists()

    undone = undo_sort(outcome.manifest_path)
    assert undone.undone == 5 and undone.skipped == ()
    assert files["a"].exists() and not (tmp_path / "dest" / "cats").exists()


# ---------- destination errors ----------


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
    _disable_hard_links(monkeypatch)


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


def test_every_name_fits_the_file_systems_byte_limit():
    from core.files.sort_names import fit_file_name, numbered

    assert len(safe_folder_name("🐈" * 100).encode()) <= 100
    assert safe_folder_name("🐈" * 100) == "🐈" * 25  # cut at a character boundary
    long = "é" * 126 + ".jpeg"  # 252 + 5 bytes
    assert fit_file_name(long).endswith(".jpeg") and len(fit_file_name(long).encode()) <= 255
    assert numbered("a" * 251 + ".png", 12).endswith("a (12).png")
    assert len(numbered("a" * 251 + ".png", 12).encode()) == 255
