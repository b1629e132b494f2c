"""Planning and executing a sort: right folders, no overwrites, verified moves, clear errors."""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from core.files import file_transfer, sorting
from core.files.sort_plan import plan_sort
from core.files.sorting import execute_sort, safe_folder_name, undo_sort
from tests.core.sorting_helpers import (
    disable_hard_links,
    files_under,
    make_file,
    result,
    sha,
    snapshot,
)


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


@pytest.fixture(params=["hard link", "copy"])
def link_mode(request, monkeypatch):
    """Moves hard-link within a disk and copy across disks: test both paths."""
    if request.param == "copy":
        disable_hard_links(monkeypatch)
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
    disable_hard_links(monkeypatch)
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


# ---------- names ----------


def test_every_name_fits_the_file_systems_byte_limit():
    from core.files.sort_names import fit_file_name, numbered

    assert len(safe_folder_name("🐈" * 100).encode()) <= 100
    assert safe_folder_name("🐈" * 100) == "🐈" * 25  # cut at a character boundary
    long = "é" * 126 + ".jpeg"  # 252 + 5 bytes
    assert fit_file_name(long).endswith(".jpeg") and len(fit_file_name(long).encode()) <= 255
    assert numbered("a" * 251 + ".png", 12).endswith("a (12).png")
    assert len(numbered("a" * 251 + ".png", 12).encode()) == 255


@pytest.mark.parametrize("move", [False, True])
def test_a_file_already_in_its_class_folder_stays_as_it_is(tmp_path, move):
    # Sorting a folder into itself renamed bricks/s1.jpg to bricks/s1 (1).jpg (audit, session 7).
    src = tmp_path / "photos"
    placed = make_file(src / "cats" / "a.jpg")
    loose = make_file(src / "b.jpg")
    plan = plan_sort([result(placed, "cats"), result(loose, "cats")], src, move=move)
    assert [os.path.basename(op.destination) for op in plan.ops] == ["b.jpg"]
    assert "1 file already in its class folder, left there" in plan.summary()
    outcome = execute_sort(plan)
    assert outcome.done == 1 and placed.exists()
    assert sorted(os.listdir(src / "cats")) == ["a.jpg", "b.jpg"]
