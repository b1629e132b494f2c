"""Model export writes exactly its own output: never over an existing file without force,
never into a training run's own files, and nothing at all when it fails (issue 8, item 3)."""

from __future__ import annotations

import errno
import json
import os

import pytest

from core.errors import LoupeError
from core.infer import model_export
from core.infer.model_export import export_model
from tests.core.run_factory import file_bytes, make_run_folder


@pytest.fixture
def run(tmp_path):
    return make_run_folder(tmp_path / "run")


@pytest.mark.parametrize("force", [False, True])
def test_folder_export_into_a_run_folder_is_refused_even_with_force(tmp_path, run, force):
    other = make_run_folder(tmp_path / "other", seed=1)
    before = file_bytes(other)
    with pytest.raises(LoupeError, match="file of the training run"):
        export_model(str(run), str(other), "folder", force=force)
    assert file_bytes(other) == before


@pytest.mark.parametrize("name", ["model.pt", "config.pt"])
def test_torchscript_beside_a_run_never_replaces_its_files(run, name):
    before = file_bytes(run)
    written = export_model(str(run), str(run / name), "torchscript")
    assert written == str(run / name)
    after = file_bytes(run)
    assert {k: after[k] for k in before} == before  # model.json / config.json untouched
    assert sorted(set(after) - set(before)) == sorted([name, name + ".json"])
    # The sidecar is the model's description, plus how to feed the exported file.
    sidecar, described = json.loads(after[name + ".json"]), json.loads(before["model.json"])
    assert {k: sidecar[k] for k in described} == described and "export" in sidecar


def test_export_never_overwrites_without_force(tmp_path, run):
    target = tmp_path / "model.pt"
    target.write_bytes(b"someone else's file")
    with pytest.raises(LoupeError, match="already exists.*--force"):
        export_model(str(run), str(target), "torchscript")
    assert target.read_bytes() == b"someone else's file"
    assert sorted(os.listdir(tmp_path)) == ["model.pt", "run"]

    sidecar_only = tmp_path / "b.pt.json"
    sidecar_only.write_text("mine")
    with pytest.raises(LoupeError, match="b.pt.json already exists"):
        export_model(str(run), str(tmp_path / "b.pt"), "torchscript")
    assert not (tmp_path / "b.pt").exists() and sidecar_only.read_text() == "mine"

    export_model(str(run), str(target), "torchscript", force=True)
    assert target.read_bytes() != b"someone else's file"


def test_folder_export_writes_exactly_the_model_files(tmp_path, run):
    out = tmp_path / "shared"
    export_model(str(run), str(out), "folder")
    assert sorted(os.listdir(out)) == ["model.json", "model.safetensors"]
    with pytest.raises(LoupeError, match="already exists"):
        export_model(str(run), str(out), "folder")


def test_a_failed_write_leaves_nothing_behind_and_names_the_file(tmp_path, run, monkeypatch):
    real = model_export.atomic_write_bytes
    calls = []

    def second_write_fails(path, data, overwrite=True):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.EROFS, "Read-only file system")
        real(path, data, overwrite)

    monkeypatch.setattr(model_export, "atomic_write_bytes", second_write_fails)
    with pytest.raises(LoupeError) as caught:
        export_model(str(run), str(tmp_path / "m.pt"), "torchscript")
    assert str(tmp_path / "m.pt.json") in str(caught.value) and "read-only" in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["run"]  # the first file was taken back


@pytest.mark.parametrize(
    ("out", "words"),
    [("missing/m.pt", "does not exist"), ("run", "it is a folder")],
)
def test_unusable_targets_are_refused_before_anything_is_written(tmp_path, run, out, words):
    with pytest.raises(LoupeError, match=words):
        export_model(str(run), str(tmp_path / out), "torchscript")
    assert sorted(os.listdir(tmp_path)) == ["run"]


@pytest.mark.parametrize(("name", "fmt"), [("m.onnx", "onnx"), ("m.pt", "torchscript")])
def test_without_a_format_the_extension_names_it(tmp_path, run, name, fmt):
    """`export RUN --out x.onnx` once wrote a TorchScript file named x.onnx."""
    result = model_export.export_verified(str(run), str(tmp_path / name))
    assert result.format == fmt
    assert json.loads((tmp_path / f"{name}.json").read_text())["export"]["format"] == fmt
    if fmt == "onnx":
        import onnx

        onnx.checker.check_model(onnx.load(str(tmp_path / name)))


@pytest.mark.parametrize(
    ("name", "fmt", "words"),
    [
        ("m.pt", "onnx", "Cannot export ONNX to .*m.pt: its extension names a TorchScript"),
        ("m.onnx", "torchscript", "its extension names an ONNX file"),
        ("m.onnx", "folder", "Cannot export a model folder"),
        ("m.bin", None, "Cannot tell the export format from .*m.bin"),
    ],
)
def test_a_format_the_name_contradicts_is_refused(tmp_path, run, name, fmt, words):
    with pytest.raises(LoupeError, match=words):
        export_model(str(run), str(tmp_path / name), fmt)
    assert sorted(os.listdir(tmp_path)) == ["run"]
