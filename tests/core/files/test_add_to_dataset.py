"""Adding classified images to a dataset copies them into DATA/<class>/ without overwriting,
with a manifest; undo leaves the dataset byte for byte as before."""

from __future__ import annotations

import json
import os

import pytest

from core.cli.commands import run_cli
from core.errors import LoupeError
from core.files.add_to_dataset import add_to_dataset, plan_add_to_dataset, training_data_dir
from tests.core.image_factory import make_shapes_dataset


def _snapshot(root) -> dict[str, bytes]:
    """Every file and folder below root except the hidden manifests."""
    found: dict[str, bytes] = {}
    for current, dirs, files in os.walk(root):
        for d in dirs:
            found[os.path.relpath(os.path.join(current, d), root) + "/"] = b""
        for name in files:
            if not name.startswith(".loupe-add-"):
                path = os.path.join(current, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, root)] = f.read()
    return found


def test_add_copies_without_overwriting_and_undo_restores_every_byte(tmp_path, capsys):
    data = make_shapes_dataset(tmp_path / "data", per_class=3)
    new = make_shapes_dataset(tmp_path / "new", per_class=2, seed=9)
    before, new_before = _snapshot(data), _snapshot(new)
    # new/circle/circle_000.png has the name of a dataset image: it must get " (1)".
    images = [new / "circle" / "circle_000.png", new / "square" / "square_001.png"]
    plan = plan_add_to_dataset(str(data), [str(p) for p in images + images[:1]], "circle")
    assert plan.summary() == f"Copy 2 files into {data}: circle 2"
    outcome = add_to_dataset(plan)
    assert outcome.done == 2 and not outcome.failed
    assert (data / "circle" / "circle_000 (1).png").read_bytes() == images[0].read_bytes()
    assert (data / "circle" / "square_001.png").read_bytes() == images[1].read_bytes()
    assert _snapshot(new) == new_before  # the classified originals stay where they are
    assert _snapshot(data) != before

    assert run_cli(["undo", outcome.manifest_path]) == 0
    assert _snapshot(data) == before
    assert "2" in capsys.readouterr().out


def test_a_new_class_folder_goes_into_the_train_split_and_undo_removes_it(tmp_path):
    data = tmp_path / "data"
    make_shapes_dataset(data / "train", per_class=2)
    make_shapes_dataset(data / "val", per_class=2)
    image = make_shapes_dataset(tmp_path / "new", per_class=1) / "circle" / "circle_000.png"
    before = _snapshot(data)
    outcome = add_to_dataset(plan_add_to_dataset(str(data), [str(image)], "star"))
    assert (data / "train" / "star" / "circle_000.png").is_file()
    run_cli(["undo", outcome.manifest_path])
    assert _snapshot(data) == before  # the folder it created is gone again


@pytest.mark.parametrize(
    ("label", "words"), [("_excluded", "cannot be a class"), ("a/b", "cannot be a class")]
)
def test_bad_class_names_are_refused_before_anything_is_copied(tmp_path, label, words):
    data = make_shapes_dataset(tmp_path / "data", per_class=1)
    image = make_shapes_dataset(tmp_path / "new", per_class=1) / "circle" / "circle_000.png"
    before = _snapshot(data)
    with pytest.raises(LoupeError, match=words):
        plan_add_to_dataset(str(data), [str(image)], label)
    with pytest.raises(LoupeError, match="no such image"):
        plan_add_to_dataset(str(data), [str(tmp_path / "gone.png")], "circle")
    assert _snapshot(data) == before


def test_training_data_dir_comes_from_the_run_config(tmp_path):
    data = make_shapes_dataset(tmp_path / "data", per_class=1)
    run = tmp_path / "run"
    run.mkdir()
    assert training_data_dir(str(run)) == ""  # no config.json: the user has to choose
    (run / "config.json").write_text(json.dumps({"data_dir": str(data)}), encoding="utf-8")
    assert training_data_dir(str(run)) == str(data)
    assert training_data_dir(str(run / "model.safetensors")) == str(data)
    (run / "config.json").write_text(json.dumps({"data_dir": str(tmp_path / "gone")}))
    assert training_data_dir(str(run)) == ""  # moved or deleted since training
