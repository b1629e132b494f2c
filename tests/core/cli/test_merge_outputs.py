"""`merge` writes its --out by classify's rule: never over a part, a part's record, an image
of the folder the parts classified, or a run's or model's own file, not even with --force;
a folder is named as one. Parts made in milliseconds with an untrained model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.core.cli.cli_helpers import loupe
from tests.core.image_factory import make_shapes_dataset
from tests.core.run_factory import file_bytes, make_run_folder


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    base = tmp_path_factory.mktemp("merge")
    run = make_run_folder(base / "run")
    images = make_shapes_dataset(base / "images", per_class=2, size=32, seed=2)
    made = []
    for k in (1, 2):
        part = base / f"part-{k}.csv"
        result = loupe(
            "classify", run, images, "--out", part, "--shard", f"{k}/2", "--batch-size", "2"
        )
        assert result.returncode == 0, result.stderr
        made.append(part)
    return run, images, made


def _refused(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def _everything(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def test_merge_never_writes_over_its_own_inputs_even_with_force(parts):
    run, images, made = parts
    base = made[0].parent
    before = _everything(base)
    image = next(images.rglob("*.png"))
    cases = {
        run / "model.json": f"it is a file of the model in {run}",
        run / "config.json": f"it is a file of the model in {run}",
        image: f"it is an image in {images}, the folder the parts classified",
        Path(f"{made[0]}.shard.json"): f"it is the part record of {made[0]}",
        made[1]: "it is one of the parts being merged",
    }
    for target, words in cases.items():
        line = _refused(loupe("merge", *made, "--out", target, "--force"))
        assert line == (
            f"loupe: error: Refusing to write --out {target}: {words}. Write the results "
            "somewhere else."
        )
    assert _everything(base) == before
    # The parts still merge: their records were not replaced.
    assert loupe("merge", *made, "--out", base / "all.csv").returncode == 0
    os.remove(base / "all.csv")


def test_a_relative_images_folder_is_found_from_the_parts_folder(parts, monkeypatch, tmp_path):
    """The record names IMAGES_DIR as classify was given it; merged from elsewhere, it is
    looked for beside the parts as well."""
    run, images, made = parts
    monkeypatch.chdir(images.parent)
    part = images.parent / "rel-1.csv"
    result = loupe(
        "classify", run, images.name, "--out", part.name, "--batch-size", "2", "--shard", "1/1"
    )
    assert result.returncode == 0, result.stderr
    image = next(images.rglob("*.png"))
    data = image.read_bytes()
    monkeypatch.chdir(tmp_path)
    line = _refused(loupe("merge", part, "--out", image, "--force"))
    assert "the folder the parts classified" in line and image.read_bytes() == data
    os.remove(part)
    os.remove(f"{part}.shard.json")


def test_a_model_folders_files_are_refused(parts, tmp_path):
    run, _, made = parts
    model = tmp_path / "model"
    model.mkdir()
    for name in ("model.json", "model.safetensors"):
        (model / name).write_bytes((run / name).read_bytes())
    before = file_bytes(model)
    line = _refused(loupe("merge", *made, "--out", model / "model.safetensors", "--force"))
    assert f"it is a file of the model in {model}" in line and file_bytes(model) == before


def test_a_folder_as_out_is_named_as_one(parts):
    _, images, made = parts
    line = _refused(loupe("merge", *made, "--out", images, "--force"))
    assert line.startswith(f"loupe: error: --out {images} is a folder: name the file to write")


def test_a_record_field_of_the_wrong_kind_is_named_in_words(parts, tmp_path):
    _, _, made = parts
    odd = tmp_path / "odd.csv"
    odd.write_bytes(made[1].read_bytes())
    record = json.loads(Path(f"{made[1]}.shard.json").read_text())
    Path(f"{odd}.shard.json").write_text(json.dumps({**record, "index": "2"}))
    line = _refused(loupe("merge", made[0], odd, "--out", tmp_path / "all.csv"))
    assert line.endswith("the field 'index' is missing or not a whole number.")
