"""relabel moves images between class folders with a manifest; undo restores every byte."""

from __future__ import annotations

import os

import pytest

from core.cli.commands import run_cli
from core.errors import LoupeError
from core.files.relabel import EXCLUDE, Relabel, apply_relabel, changes_in_place, plan_relabel
from core.files.sort_undo import undo_sort
from tests.core.image_factory import make_shapes_dataset


def _snapshot(root) -> dict[str, bytes]:
    """Every file and folder below root except the hidden manifests."""
    found: dict[str, bytes] = {}
    for current, dirs, files in os.walk(root):
        for d in dirs:
            found[os.path.relpath(os.path.join(current, d), root) + "/"] = b""
        for name in files:
            if not name.startswith(".loupe-relabel-"):
                path = os.path.join(current, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, root)] = f.read()
    return found


def test_relabel_then_undo_leaves_the_dataset_byte_for_byte(tmp_path, capsys):
    root = make_shapes_dataset(tmp_path / "data", per_class=4)
    # A name already taken in the target class: the move must not overwrite it.
    (root / "square" / "circle_001.png").write_bytes(
        (root / "square" / "square_000.png").read_bytes()
    )
    before = _snapshot(root)
    changes = tmp_path / "changes.csv"
    changes.write_text(
        "path,new_label\ncircle/circle_001.png,square\ncircle/circle_002.png,_exclude\n"
        f"{root / 'triangle' / 'triangle_000.png'},circle\n",
        encoding="utf-8",
    )
    assert run_cli(["relabel", str(root), str(changes)]) == 0
    manifest = capsys.readouterr().out.strip().splitlines()[-1]
    assert os.path.isfile(manifest)
    assert (root / "square" / "circle_001 (1).png").is_file()  # a suffix, never overwritten
    assert (root / "_excluded" / "circle" / "circle_002.png").is_file()
    assert (root / "circle" / "triangle_000.png").is_file()
    assert not (root / "circle" / "circle_001.png").exists()
    assert _snapshot(root) != before

    assert run_cli(["undo", manifest]) == 0
    assert _snapshot(root) == before


def test_split_dataset_moves_within_its_split(tmp_path):
    root = make_shapes_dataset(tmp_path / "data", per_class=3, split=True, val_per_class=1)
    plan = plan_relabel(
        str(root),
        [
            Relabel("val/circle/circle_000.png", "square"),
            Relabel("train/square/square_000.png", "_exclude"),
        ],
    )
    outcome = apply_relabel(plan)
    assert outcome.done == 2
    assert (root / "val" / "square" / "circle_000.png").is_file()
    assert (root / "_excluded" / "train" / "square" / "square_000.png").is_file()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (Relabel("circle/nope.png", "square"), "no such image"),
        (Relabel("../outside.png", "square"), "not inside"),
        (Relabel("circle/circle_000.png", "../up"), "cannot be a class folder"),
    ],
)
def test_bad_changes_are_refused_before_anything_moves(tmp_path, change, words):
    root = make_shapes_dataset(tmp_path / "data", per_class=2)
    before = _snapshot(root)
    with pytest.raises(LoupeError, match=words):
        plan_relabel(str(root), [Relabel("circle/circle_001.png", "square"), change])
    assert _snapshot(root) == before


def test_changes_in_place_lists_the_full_changes_oldest_first(tmp_path):
    # The review window offers Undo for these after it was closed and opened again.
    root = make_shapes_dataset(tmp_path / "data", per_class=3)
    first = apply_relabel(plan_relabel(str(root), [Relabel("circle/circle_000.png", "square")]))
    older = root / ".loupe-relabel-20260101-120000.jsonl"
    os.replace(first.manifest_path, older)
    second = apply_relabel(plan_relabel(str(root), [Relabel("circle/circle_001.png", EXCLUDE)]))
    newer = root / ".loupe-relabel-20260101-120000-2.jsonl"  # same second, made later
    os.replace(second.manifest_path, newer)
    third = apply_relabel(plan_relabel(str(root), [Relabel("square/square_000.png", "circle")]))
    (root / ".loupe-relabel-broken.jsonl").write_text("not a manifest", encoding="utf-8")
    assert changes_in_place(str(root)) == [str(older), str(newer), third.manifest_path]

    undo_sort(third.manifest_path)  # undone: no longer offered
    os.replace(root / "square" / "circle_000.png", root / "square" / "moved_by_hand.png")
    assert changes_in_place(str(root)) == [str(newer)]  # the older one is no longer whole
