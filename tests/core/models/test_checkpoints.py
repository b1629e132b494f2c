"""Model files are written atomically and describe themselves."""

from __future__ import annotations

import json
import os

import pytest
import torch

from core.errors import ModelFileError
from core.models.checkpoints import load_model, read_model_meta, save_model
from core.models.registry import build_model

META = dict(
    arch="loupe_net",
    num_classes=3,
    class_names=["a", "b", "c"],
    image_size=32,
    normalization=dict(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25]),
)


def test_save_and_load_round_trip(tmp_path):
    model = build_model("loupe_net", 3).eval()
    save_model(model, str(tmp_path), META)
    loaded, meta = load_model(str(tmp_path))
    assert meta.class_names == ["a", "b", "c"] and meta.mean == (0.5, 0.5, 0.5)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(x), loaded(x))
    assert read_model_meta(str(tmp_path / "model.json")).raw["format_version"] == 2


def test_a_failed_write_leaves_the_previous_model_intact(tmp_path, monkeypatch):
    first = build_model("loupe_net", 3).eval()
    save_model(first, str(tmp_path), META)
    before = (tmp_path / "model.safetensors").read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    second = build_model("loupe_net", 3)
    with pytest.raises(OSError):
        save_model(second, str(tmp_path), {**META, "image_size": 64})
    monkeypatch.undo()
    assert (tmp_path / "model.safetensors").read_bytes() == before
    assert read_model_meta(str(tmp_path / "model.json")).image_size == 32
    assert sorted(os.listdir(tmp_path)) == ["model.json", "model.safetensors"]
    load_model(str(tmp_path))  # still a consistent pair


def test_one_reader_describes_a_model_from_any_of_its_paths(tmp_path):
    """The window's model description and the engine read model.json the same way."""
    save_model(
        build_model("loupe_net", 3).eval(), str(tmp_path), {**META, "best": {"val_acc": 0.75}}
    )
    for path in (tmp_path, tmp_path / "model.json", tmp_path / "model.safetensors"):
        assert read_model_meta(str(path)).summary() == {
            "arch": "loupe_net",
            "class_names": ["a", "b", "c"],
            "image_size": 32,
            "val_acc": 0.75,
        }


def test_a_folder_without_a_model_is_named_in_the_error(tmp_path):
    from core.errors import ModelFileError

    with pytest.raises(ModelFileError, match="no model.json"):
        read_model_meta(str(tmp_path))


# -- model.json and weights are untrusted input (issue 8, items 5 and 10) --------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"image_size": 100_000}, "'image_size'"),  # was an OOM kill at the first image
        ({"image_size": 0}, "'image_size'"),
        ({"image_size": -5}, "'image_size'"),
        ({"image_size": 1e12}, "'image_size'"),
        ({"format_version": "abc"}, "'format_version'"),
        ({"resize_mode": "stretch-ish"}, "'resize_mode'"),
        ({"normalization": [0.5, 0.5, 0.5]}, "'normalization'"),
        ({"normalization": {"mean": [0.5], "std": [0.2, 0.2, 0.2]}}, "'normalization.mean'"),
        ({"normalization": {"mean": [0.5] * 3, "std": [0.2, 0.0, 0.2]}}, "'normalization.std'"),
        ({"class_names": ["a", "a", "b"]}, "'class_names'"),
        ({"arch": ""}, "'arch'"),
    ],
)
def test_hostile_model_json_is_refused_naming_file_and_field(tmp_path, change, field):
    save_model(build_model("loupe_net", 3).eval(), str(tmp_path), META)
    meta_path = tmp_path / "model.json"
    meta = json.loads(meta_path.read_text())
    meta.update(change)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError) as caught:
        load_model(str(tmp_path))
    message = str(caught.value)
    assert message.startswith(f"{meta_path}: {field}") and "\n" not in message


def test_weights_with_nan_are_refused_on_load(tmp_path):
    model = build_model("loupe_net", 3).eval()
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] = float("nan")
    save_model(model, str(tmp_path), META)
    with pytest.raises(ModelFileError, match="holds NaN or infinite values"):
        load_model(str(tmp_path))


def test_a_format_1_simple_cnn_file_answers_as_it_was_trained(tmp_path):
    """Format 1 padded simple_cnn's first convolution; today's network has the same tensors, so
    loading the old file into it would succeed and answer wrongly. It loads as trained."""
    from core.models.small_cnns import SimpleCNN

    old = SimpleCNN(3, first_padding=2).eval()
    save_model(old, str(tmp_path), {**META, "arch": "simple_cnn"})
    meta_path = tmp_path / "model.json"
    raw = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**raw, "format_version": 1}), encoding="utf-8")
    loaded, _ = load_model(str(tmp_path))
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(old(x), loaded(x))
    meta_path.write_text(json.dumps(raw), encoding="utf-8")  # format 2: the tutorial's net
    with torch.no_grad():
        assert not torch.allclose(old(x), load_model(str(tmp_path))[0](x))


def test_resuming_a_format_1_simple_cnn_run_is_refused(tmp_path):
    """Its last.ckpt fits today's simple_cnn tensor for tensor, so only the refusal keeps a
    resumed run from silently training another network."""
    from core.errors import LoupeError
    from core.train.config import TrainConfig
    from core.train.resume import compatible_config

    (tmp_path / "model.json").write_text(json.dumps({"format_version": 1}), encoding="utf-8")
    cfg = TrainConfig(data_dir=str(tmp_path), out_dir=str(tmp_path), arch="simple_cnn")
    with pytest.raises(LoupeError, match="earlier simple_cnn"):
        compatible_config({"config": {"arch": "simple_cnn"}}, cfg, str(tmp_path))
    (tmp_path / "model.json").write_text(json.dumps({"format_version": 2}), encoding="utf-8")
    assert (
        compatible_config({"config": {"arch": "simple_cnn"}}, cfg, str(tmp_path)).arch
        == "simple_cnn"
    )


def test_a_loupe_net_file_keeps_its_width_beside_the_slim_variant(tmp_path):
    """auto now trains loupe_net_slim on small sets of tiny images; a loupe_net file written
    before (model.json names "loupe_net") must still build the 32-channel first stage it was
    trained with, and a slim file its 16 channels: each answers as it did when saved."""
    for arch, first_width in (("loupe_net", 32), ("loupe_net_slim", 16)):
        folder = tmp_path / arch
        folder.mkdir()
        model = build_model(arch, 3).eval()
        save_model(model, str(folder), {**META, "arch": arch})
        loaded, meta = load_model(str(folder))
        assert meta.arch == arch
        assert loaded.stem[0].out_channels == first_width
        x = torch.rand(2, 3, 28, 28)
        with torch.no_grad():
            assert torch.equal(model(x), loaded.eval()(x))
