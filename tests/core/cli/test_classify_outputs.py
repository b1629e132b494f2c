"""`classify` never replaces a file by surprise: an existing --out/--json needs --force, and
a run's or model's own files, the images being classified and --out = --json are refused
even with it, all before the model is loaded. Flags that would be ignored are refused, and
--top-k above the class count writes the columns the model can fill."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tests.core.cli.cli_helpers import cli, one_line_error
from tests.core.image_factory import make_image, make_shapes_dataset
from tests.core.run_factory import file_bytes, make_run_folder


@pytest.fixture
def photos(tmp_path) -> Path:
    return make_shapes_dataset(tmp_path / "photos", per_class=1, size=32, seed=5)


@pytest.fixture
def run(tmp_path) -> Path:
    return make_run_folder(tmp_path / "run")


@pytest.fixture
def no_model(monkeypatch):
    """Fails the test if the model is loaded: the refusal must come first."""
    import core.infer.inference

    def never(*_args, **_kwargs):
        raise AssertionError("the model was loaded before the outputs were checked")

    monkeypatch.setattr(core.infer.inference, "load_model_for_inference", never)


@pytest.mark.parametrize("flag", ["--out", "--json"])
def test_an_existing_output_is_kept_without_force(capsys, tmp_path, photos, no_model, flag):
    mine = tmp_path / "budget.csv"
    mine.write_text("my spreadsheet")
    outputs = ["--out", mine] if flag == "--out" else ["--out", tmp_path / "r.csv", flag, mine]
    code, _, err = cli(capsys, "classify", tmp_path / "run", photos, *outputs)
    assert code == 1
    assert one_line_error(err) == (
        f"loupe: error: {flag} {mine} already exists: choose another name, or add --force "
        "to replace it."
    )
    assert mine.read_text() == "my spreadsheet"
    assert not (tmp_path / "r.csv").exists()


def test_force_replaces_an_earlier_results_file(capsys, tmp_path, run, photos):
    out, json_out = tmp_path / "r.csv", tmp_path / "r.json"
    out.write_text("old results")
    json_out.write_text("old json")
    code, _, err = cli(capsys, "classify", run, photos, "--out", out, "--json", json_out, "--force")
    assert code == 0, err
    assert out.read_text().startswith("path,label,confidence\n")
    assert json_out.read_text().startswith('{\n"model"')


@pytest.mark.parametrize("name", ["model.json", "model.safetensors", "run.json", "metrics.csv"])
@pytest.mark.parametrize("flag", ["--out", "--json"])
def test_a_runs_own_files_are_refused_even_with_force(capsys, tmp_path, run, photos, name, flag):
    before = file_bytes(run)
    target = run / name
    outputs = ["--out", target] if flag == "--out" else ["--out", tmp_path / "r.csv", flag, target]
    code, _, err = cli(capsys, "classify", run, photos, *outputs, "--force")
    assert code == 1
    assert one_line_error(err) == (
        f"loupe: error: Refusing to write {flag} {target}: it is a file of the model in {run}. "
        "Write the results somewhere else."
    )
    assert file_bytes(run) == before and not (tmp_path / "r.csv").exists()


def test_a_model_folders_files_and_the_model_file_given_are_refused(capsys, tmp_path, run, photos):
    model = tmp_path / "model"  # a plain model folder: only the two model files
    model.mkdir()
    for name in ("model.json", "model.safetensors"):
        shutil.copy(run / name, model / name)
    mine = tmp_path / "mine.safetensors"  # a model file under its own name, given directly
    shutil.copy(run / "model.safetensors", mine)
    shutil.copy(run / "model.json", tmp_path / "model.json")
    for model_arg, target in ((model, model / "model.json"), (mine, mine)):
        data = target.read_bytes()
        code, _, err = cli(capsys, "classify", model_arg, photos, "--out", target, "--force")
        assert code == 1 and "it is a file of the model in" in one_line_error(err)
        assert target.read_bytes() == data


def test_an_image_being_classified_is_never_an_output(capsys, tmp_path, run, photos):
    image = next(photos.rglob("*.png"))
    data = image.read_bytes()
    code, _, err = cli(capsys, "classify", run, photos, "--out", image, "--force")
    assert code == 1
    assert one_line_error(err) == (
        f"loupe: error: Refusing to write --out {image}: it is an image in {photos}, the "
        "folder being classified. Write the results somewhere else."
    )
    assert image.read_bytes() == data
    # A new results file inside the folder is fine: it is not an image, nor read back.
    code, _, err = cli(capsys, "classify", run, photos, "--out", photos / "results.csv")
    assert code == 0, err


def test_out_and_json_naming_one_file_is_refused(capsys, tmp_path, photos, no_model):
    (tmp_path / "sub").mkdir()
    same = tmp_path / "sub" / ".." / "r.csv"  # the same file, spelt another way
    code, _, err = cli(
        capsys, "classify", tmp_path / "run", photos, "--out", tmp_path / "r.csv", "--json", same
    )
    assert code == 1
    assert one_line_error(err) == (
        f"loupe: error: --out and --json both name {same}: one would replace the other; "
        "give each its own file."
    )


@pytest.mark.parametrize("force", [False, True])
def test_json_naming_the_part_record_is_refused(capsys, tmp_path, photos, no_model, force):
    """--shard writes OUT.shard.json after --json: the JSON results were silently replaced."""
    out = tmp_path / "r.csv"
    record = tmp_path / "r.csv.shard.json"
    flags = ["--force"] if force else []
    code, _, err = cli(
        capsys, "classify", tmp_path / "run", photos, "--out", out, "--json", record,
        "--shard", "1/3", *flags,
    )  # fmt: skip
    assert code == 1
    assert one_line_error(err) == (
        f"loupe: error: --json {record} is the part record that --shard writes next to "
        f"--out {out}: one would replace the other; give --json another name."
    )
    assert not out.exists() and not record.exists()


def test_a_file_that_appears_while_classifying_is_kept(capsys, monkeypatch, tmp_path, run, photos):
    import core.infer.inference

    out = tmp_path / "r.csv"
    real = core.infer.inference.classify_paths

    def classify_while_someone_saves(*args, **kwargs):
        out.write_text("saved meanwhile")
        yield from real(*args, **kwargs)

    monkeypatch.setattr(core.infer.inference, "classify_paths", classify_while_someone_saves)
    code, _, err = cli(capsys, "classify", run, photos, "--out", out)
    assert code == 1
    assert one_line_error(err.splitlines()[-1]) == (
        f"loupe: error: --out {out} appeared while classifying and was left as it is: "
        "classify again with another name, or add --force to replace it."
    )
    assert out.read_text() == "saved meanwhile"


def test_top_k_above_the_class_count_writes_the_columns_the_model_has(capsys, tmp_path, run):
    images = tmp_path / "images"
    make_image(images / "a.png", size=(32, 32))
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "classify", run, images, "--out", out, "--top-k", 5)
    assert code == 0, err
    assert "--top-k 5: the model knows 3 classes; writing the top 3." in err
    [row] = list(csv.DictReader(out.open()))
    assert list(row) == ["path", "label", "confidence"] + [
        f"top{i}_{what}" for i in (1, 2, 3) for what in ("label", "confidence")
    ]
    assert all(row.values())  # no empty cells
    assert "Classified 1 image into" in err  # one image, not "1 images"


def test_unsure_threshold_without_sort_into_is_an_error(capsys, tmp_path, photos, no_model):
    out = tmp_path / "r.csv"
    code, _, err = cli(
        capsys, "classify", tmp_path / "run", photos, "--out", out, "--unsure-threshold", 0.5
    )
    assert code == 1
    assert one_line_error(err) == (
        "loupe: error: --unsure-threshold only works with --sort-into DEST: it says which "
        "images go to DEST/_unsure/."
    )
    assert not out.exists()


@pytest.mark.skipif(not hasattr(Path, "symlink_to"), reason="needs symbolic links")
def test_a_class_folder_linked_outside_the_destination_is_refused_before_classifying(
    capsys, monkeypatch, tmp_path, run, photos
):
    import core.infer.inference

    def never(*_args, **_kwargs):
        raise AssertionError("images were classified before the destination was checked")

    monkeypatch.setattr(core.infer.inference, "classify_paths", never)
    dest, elsewhere = tmp_path / "sorted", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    (dest / "square").symlink_to(elsewhere)
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "classify", run, photos, "--out", out, "--sort-into", dest, "--move")
    assert code == 1
    assert one_line_error(err.splitlines()[-1]) == (
        f"loupe: error: Cannot sort into {dest}: {dest / 'square'} is a symbolic link to "
        f"{elsewhere}, outside {dest}, so the sort could not be undone; nothing was changed."
    )
    assert not out.exists() and len(list(photos.rglob("*.png"))) == 3


def test_a_one_file_sort_speaks_of_one_file(capsys, tmp_path, run):
    images = tmp_path / "images"
    make_image(images / "a.png", size=(32, 32))
    dest = tmp_path / "sorted"
    code, _, err = cli(
        capsys, "classify", run, images, "--out", tmp_path / "r.csv", "--sort-into", dest
    )
    assert code == 0, err
    assert "Sorted 1 of 1 file. Undo with:" in err
