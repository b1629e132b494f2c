"""Symbolic links in a sort: a class folder linked outside the destination is refused before
anything moves (its undo could not reach it), and a moved symlinked image comes back from
undo as the very link it was, never as a plain file."""

from __future__ import annotations

import os

import pytest

from core.files.sort_plan import plan_sort
from core.files.sorting import SortAborted, execute_sort, undo_sort
from tests.core.sorting_helpers import make_file, result, sha, snapshot

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")


@pytest.mark.parametrize("move", [False, True])
def test_a_class_folder_linked_outside_the_destination_is_refused_before_anything(tmp_path, move):
    src, dest, elsewhere = tmp_path / "src", tmp_path / "dest", tmp_path / "elsewhere"
    results = [result(make_file(src / "a.jpg"), "cats"), result(make_file(src / "b.jpg"), "dogs")]
    elsewhere.mkdir()
    dest.mkdir()
    (dest / "dogs").symlink_to(elsewhere)
    before = snapshot(tmp_path)

    with pytest.raises(SortAborted) as caught:
        execute_sort(plan_sort(results, dest, move=move))

    assert str(caught.value) == (
        f"Cannot sort into {dest}: {dest / 'dogs'} is a symbolic link to {elsewhere}, "
        f"outside {dest}, so the sort could not be undone; nothing was changed."
    )
    assert snapshot(tmp_path) == before  # not one file moved, no folder, no manifest
    assert not list(dest.glob("loupe-sort-manifest-*"))


def test_a_class_folder_linked_inside_the_destination_sorts_and_undoes(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    results = [result(make_file(src / "a.jpg"), "cats")]
    (dest / "felines").mkdir(parents=True)
    (dest / "cats").symlink_to(dest / "felines")
    before = snapshot(src)

    outcome = execute_sort(plan_sort(results, dest, move=True))
    assert outcome.done == 1 and (dest / "felines" / "a.jpg").exists()
    undone = undo_sort(outcome.manifest_path)
    assert (undone.moved_back, undone.skipped) == (1, ())
    assert snapshot(src) == before


def _linked_image(tmp_path, relative: bool):
    target = make_file(tmp_path / "library" / "real.jpg")
    link = tmp_path / "src" / "link.jpg"
    link.parent.mkdir(parents=True)
    text = os.path.relpath(target, link.parent) if relative else str(target)
    link.symlink_to(text)
    return target, link, text


@pytest.mark.parametrize("relative", [False, True])
def test_undo_of_a_moved_symlink_puts_the_link_back(tmp_path, relative):
    target, link, text = _linked_image(tmp_path, relative)
    target_sha = sha(target)
    dest = tmp_path / "dest"

    outcome = execute_sort(plan_sort([result(link, "cats")], dest, move=True))
    assert outcome.done == 1 and not os.path.lexists(link)
    placed = dest / "cats" / "link.jpg"
    assert not placed.is_symlink() and sha(placed) == target_sha  # the image's bytes
    assert sha(target) == target_sha  # the file it pointed to is left alone

    undone = undo_sort(outcome.manifest_path)

    assert (undone.moved_back, undone.skipped) == (1, ())
    assert link.is_symlink() and os.readlink(link) == text  # the very link, not a copy
    assert sha(target) == target_sha and not placed.exists()


def test_undo_keeps_the_copy_when_the_links_target_is_gone(tmp_path):
    target, link, text = _linked_image(tmp_path, relative=False)
    dest = tmp_path / "dest"
    outcome = execute_sort(plan_sort([result(link, "cats")], dest, move=True))
    placed = dest / "cats" / "link.jpg"
    content = placed.read_bytes()
    target.unlink()  # the library was cleaned up: the sorted copy is the last one

    undone = undo_sort(outcome.manifest_path)

    assert undone.undone == 0
    [(path, reason)] = undone.skipped
    assert path == str(placed) and "kept this copy" in reason
    assert placed.read_bytes() == content
    assert link.is_symlink() and os.readlink(link) == text


def test_a_copy_sort_of_a_symlink_copies_its_image_and_undo_keeps_the_link(tmp_path):
    target, link, text = _linked_image(tmp_path, relative=True)
    dest = tmp_path / "dest"
    outcome = execute_sort(plan_sort([result(link, "cats")], dest))
    assert sha(dest / "cats" / "link.jpg") == sha(target) and link.is_symlink()

    undone = undo_sort(outcome.manifest_path)
    assert (undone.copies_removed, undone.skipped) == (1, ())
    assert link.is_symlink() and os.readlink(link) == text and target.exists()
