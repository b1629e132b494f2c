"""`undo` in words: a sort undone twice says it is already undone and exits 0, and a
folder or a file that is not a manifest gets one plain sentence, never an OS error."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli.commands import run_cli
from tests.core.sorting_helpers import make_file


def cli(capsys, *args) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sorted_copy(tmp_path) -> Path:
    """A copy sort of two images (done through the engine: no model needed)."""
    from core.files.sort_plan import plan_sort
    from core.files.sorting import execute_sort
    from tests.core.sorting_helpers import result

    src = tmp_path / "src"
    results = [result(make_file(src / "a.jpg"), "cats"), result(make_file(src / "b.jpg"), "dogs")]
    return Path(execute_sort(plan_sort(results, tmp_path / "dest")).manifest_path)


def test_undo_twice_says_it_is_already_undone(capsys, sorted_copy):
    code, out, err = cli(capsys, "undo", sorted_copy)
    assert (code, err) == (0, "")
    assert out.strip() == "Undo: removed 2 copies (the originals are unchanged)."

    code, out, err = cli(capsys, "undo", sorted_copy)
    assert (code, err) == (0, "")
    assert out.strip() == (
        "Undo: nothing to do, this sort is already undone: every file is as it was before the sort."
    )


def test_one_file_left_is_one_file(capsys, sorted_copy):
    (sorted_copy.parent / "cats" / "a.jpg").write_bytes(b"edited")
    code, out, err = cli(capsys, "undo", sorted_copy)
    assert code == 1 and "changed since sort" in err
    assert out.strip() == (
        "Undo: removed 1 copy (the originals are unchanged); 1 file left as it is."
    )


def test_undo_of_a_folder_says_it_is_a_folder(capsys, sorted_copy):
    folder = sorted_copy.parent
    code, out, err = cli(capsys, "undo", folder)
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"loupe: error: {folder} is a folder, not a sort manifest: name the "
        "loupe-sort-manifest-….jsonl file the sort wrote in it."
    )


def test_undo_of_a_binary_file_says_it_is_not_a_manifest(capsys, tmp_path):
    photo = make_file(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x80\x00binary")
    code, out, err = cli(capsys, "undo", photo)
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"loupe: error: {photo} is not a sort manifest (it is not a text file); nothing was undone."
    )
