"""Undoing a sort restores the tree exactly, never destroys a changed file, and refuses a
malformed manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.errors import LoupeError
from core.files.sort_plan import plan_sort
from core.files.sorting import execute_sort, undo_sort
from tests.core.sorting_helpers import files_under, make_file, result, sha, snapshot


@pytest.fixture
def tree(tmp_path):
    """Sources in subfolders plus a destination that already holds a file and a folder."""
    src = tmp_path / "src"
    dest = tmp_path / "dest"
    results = [
        result(make_file(src / "a.jpg", mtime=1_500_000_000), "cats"),
        result(make_file(src / "one" / "x.jpg"), "cats"),
        result(make_file(src / "two" / "x.jpg"), "cats"),
        result(make_file(src / "b.png"), "dogs"),
        result(make_file(src / "c.gif"), "dogs", confidence=0.2),
    ]
    make_file(dest / "cats" / "x.jpg", b"user's own file")
    return tmp_path, src, dest, results


@pytest.mark.parametrize("move", [False, True])
def test_undo_restores_the_original_tree(tree, move):
    root, src, dest, results = tree
    before = snapshot(root)
    mtime_before = os.stat(src / "a.jpg").st_mtime
    outcome = execute_sort(plan_sort(results, dest, move=move, unsure_threshold=0.5))
    assert outcome.done == 5
    assert snapshot(root) != before

    undone = undo_sort(outcome.manifest_path)

    assert undone.undone == 5 and undone.skipped == ()
    assert snapshot(root) == before  # every file, checksum and folder (dogs/_unsure gone)
    assert os.stat(src / "a.jpg").st_mtime == mtime_before
    assert os.path.exists(outcome.manifest_path)  # the record is kept


@pytest.mark.parametrize("move", [False, True])
def test_undo_twice_says_the_sort_is_already_undone(tree, move):
    root, src, dest, results = tree
    outcome = execute_sort(plan_sort(results, dest, move=move))
    undo_sort(outcome.manifest_path)
    after_first = snapshot(root)
    again = undo_sort(outcome.manifest_path)
    assert (again.undone, again.skipped, again.already_undone) == (0, (), 5)
    assert again.summary() == (
        "Undo: nothing to do, this sort is already undone: every file is as it was before the sort."
    )
    assert snapshot(root) == after_first


def test_undo_copy_keeps_a_copy_changed_since(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results[:2], dest))
    changed = dest / "cats" / "a.jpg"
    changed.write_bytes(b"edited by the user")
    (dest / "cats" / "x (1).jpg").unlink()

    undone = undo_sort(outcome.manifest_path)
    assert undone.undone == 0
    assert dict(undone.skipped) == {str(changed): "changed since sort; left in place"}
    assert undone.already_undone == 1  # the deleted copy: as before the sort
    assert undone.summary() == (
        "Undo: nothing was changed; 1 file already as before the sort; 1 file left as it is."
    )
    assert changed.read_bytes() == b"edited by the user"


def test_undo_move_never_overwrites_a_new_file_at_the_source(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results[:1], dest, move=True))
    make_file(src / "a.jpg", b"a new file with the old name")

    undone = undo_sort(outcome.manifest_path)
    assert undone.undone == 0
    [(path, reason)] = undone.skipped
    assert path == str(dest / "cats" / "a.jpg") and "kept both" in reason
    assert (src / "a.jpg").read_bytes() == b"a new file with the old name"
    assert (dest / "cats" / "a.jpg").exists()


def test_undo_move_recreates_a_deleted_source_folder(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results[1:2], dest, move=True))
    (src / "one").rmdir()
    assert undo_sort(outcome.manifest_path).undone == 1
    assert (src / "one" / "x.jpg").exists()


def test_undo_keeps_class_folders_holding_other_files(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results, dest))
    make_file(dest / "dogs" / "note.txt", b"mine")
    undo_sort(outcome.manifest_path)
    assert files_under(dest) == [os.path.join("cats", "x.jpg"), os.path.join("dogs", "note.txt")]


def test_interrupted_sort_with_torn_last_line_is_undone(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results[:2], dest, move=True))
    with open(outcome.manifest_path, "a", encoding="utf-8") as f:
        f.write('{"op": "move", "source": "/x", "dest')  # killed mid-write

    undone = undo_sort(outcome.manifest_path)
    assert undone.undone == 2
    assert undone.skipped == (
        (outcome.manifest_path, "its last record was cut off (the sort was interrupted); ignored"),
    )
    assert sorted(files_under(src)) == sorted(
        ["a.jpg", os.path.join("one", "x.jpg"), os.path.join("two", "x.jpg"), "b.png", "c.gif"]
    )


def _write(path: Path, lines: list) -> str:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return str(path)


@pytest.mark.parametrize(
    ("lines", "detail"),
    [
        ([], "empty"),
        (["not json"], "line 1"),
        ([{"something": "else"}], "line 1"),
        ([{"loupe_sort_manifest": 99, "dest_root": "/d", "move": False}], "version"),
        ([{"loupe_sort_manifest": 1, "move": False}], "dest_root"),
        (["HEADER", "garbage", {"op": "mkdir", "path": "/d/a"}], "line 2"),
        (["HEADER", {"op": "delete", "path": "/d/a"}], "unknown op"),
        (["HEADER", {"op": "mkdir", "path": "/etc"}], "outside"),
        (["HEADER", {"op": "copy", "source": "/s/a"}], "line 2"),
        (
            [
                "HEADER",
                {
                    "op": "copy",
                    "source": "/s/a",
                    "destination": "/d/../etc/passwd",
                    "size": 1,
                    "sha256": "0" * 64,
                },
            ],
            "unsafe",
        ),
    ],
)
def test_malformed_manifest_raises_loupe_error_naming_the_file(tmp_path, lines, detail):
    header = json.dumps({"loupe_sort_manifest": 1, "dest_root": "/d", "move": False})
    path = _write(tmp_path / "bad-manifest.jsonl", [header if x == "HEADER" else x for x in lines])
    with pytest.raises(LoupeError, match="bad-manifest.jsonl") as caught:
        undo_sort(path)
    assert detail in str(caught.value)


def test_missing_manifest_raises_loupe_error(tmp_path):
    with pytest.raises(LoupeError, match="not found"):
        undo_sort(str(tmp_path / "nope.jsonl"))


# -- Undo only restores (issue 8, item 1) ---------------------------------------------------


def test_undo_keeps_copies_whose_originals_are_gone(tree):
    _, src, dest, results = tree
    outcome = execute_sort(plan_sort(results[:2], dest))
    copies = {p: p.read_bytes() for p in (dest / "cats").iterdir() if p.name != "x.jpg"}
    (src / "a.jpg").unlink()  # the user deleted the originals after sorting a copy
    (src / "one" / "x.jpg").write_bytes(b"edited original")

    undone = undo_sort(outcome.manifest_path)

    assert undone.undone == 0
    assert {p: p.read_bytes() for p in copies} == copies  # the only copies survive
    reasons = dict(undone.skipped)
    assert "is gone; kept this copy" in reasons[str(dest / "cats" / "a.jpg")]
    assert "changed since the sort; kept this copy" in reasons[str(dest / "cats" / "x (1).jpg")]
    assert "restored" not in undone.summary().lower()


def test_undo_summary_says_copies_were_removed_not_restored(tree):
    _, _, dest, results = tree
    copied = undo_sort(execute_sort(plan_sort(results[:2], dest)).manifest_path)
    assert copied.copies_removed == 2 and copied.moved_back == 0
    assert copied.summary() == ("Undo: removed 2 copies (the originals are unchanged).")
    moved = undo_sort(execute_sort(plan_sort(results[:1], dest, move=True)).manifest_path)
    assert moved.summary() == "Undo: moved 1 file back to where it was."


# -- A manifest cannot aim undo elsewhere (issue 8, item 2) ---------------------------------


def _crafted(manifest: Path, victim: Path, dest_root: str) -> str:
    size = victim.stat().st_size
    header = {"loupe_sort_manifest": 1, "dest_root": dest_root, "move": False}
    record = {
        "op": "copy",
        "source": str(victim) + ".orig",
        "destination": str(victim),
        "size": size,
        "sha256": sha(victim),
    }
    return _write(manifest, [header, record])


def test_crafted_dest_root_cannot_delete_files_elsewhere(tmp_path):
    victim = make_file(tmp_path / "precious" / "thesis.pdf", b"years of work")
    make_file(tmp_path / "precious" / "thesis.pdf.orig", b"years of work")  # looks "restorable"
    (tmp_path / "sorted").mkdir()
    manifest = _crafted(tmp_path / "sorted" / "m.jsonl", victim, dest_root="/")

    with pytest.raises(LoupeError, match="not inside the folder the manifest is in") as caught:
        undo_sort(manifest)
    assert str(victim) in str(caught.value)
    assert victim.read_bytes() == b"years of work"


def test_symlinked_class_folder_cannot_lead_undo_outside(tmp_path):
    outside = tmp_path / "outside"
    victim = make_file(outside / "a.jpg", b"not the sort's")
    make_file(outside / "a.jpg.orig", b"not the sort's")
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "cats")  # dest/cats -> outside
    manifest = _crafted(dest / "m.jsonl", victim, dest_root=str(dest))
    text = Path(manifest).read_text().replace(str(victim), str(dest / "cats" / "a.jpg"))
    Path(manifest).write_text(text)

    with pytest.raises(LoupeError, match="not inside"):
        undo_sort(manifest)
    assert victim.read_bytes() == b"not the sort's"
