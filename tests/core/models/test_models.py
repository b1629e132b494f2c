"""Model registry, heads, local weights files, offline pretrained weights, safe loading."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from core.errors import ModelFileError, WeightsUnavailableError
from core.models import registry as models


def test_registry_offers_the_required_architectures_with_counts():
    names = models.architecture_names()
    for required in (
        "resnet18",
        "resnet34",
        "resnet50",
        "mobilenet_v3_small",
        "mobilenet_v3_large",
        "efficientnet_b0",
        "efficientnet_b2",
        "convnext_tiny",
        "regnet_y_400mf",
        "vit_b_16",
        "simple_cnn",
        "loupe_net",
    ):
        assert required in names
    assert models.parameter_count("resnet18", 1000) == 11_689_512  # torchvision's own figure
    assert models.parameter_count("resnet18", 3) < models.parameter_count("resnet18", 1000)
    everything = models.architecture_names(include_all=True)
    assert (
        len(everything) > 40 and "googlenet" not in everything and "squeezenet1_0" not in everything
    )


@pytest.mark.parametrize(
    "arch", ["loupe_net", "simple_cnn", "mobilenet_v3_small", "regnet_y_400mf"]
)
def test_heads_match_the_class_count_at_small_sizes(arch):
    model = models.build_model(arch, 7).eval()
    size = max(32, models.arch_info(arch).min_image_size)
    with torch.no_grad():
        assert model(torch.zeros(2, 3, size, size)).shape == (2, 7)


def test_local_weights_file_is_loaded_and_head_replaced(tmp_path):
    source = models.build_model("resnet18", 1000)
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    model = models.build_model("resnet18", 4, weights_file=str(path), freeze_backbone=True)
    assert torch.equal(model.conv1.weight, source.conv1.weight)
    assert model.fc.out_features == 4
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]


def test_safetensors_weights_file(tmp_path):
    from safetensors.torch import save_file

    source = models.build_model("loupe_net", 5)
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    model = models.build_model("loupe_net", 5, weights_file=str(path))
    assert torch.equal(model.fc.weight, source.fc.weight)


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {_Payload.marker}",))


def test_pickle_payload_in_a_weights_file_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    _Payload.marker = str(marker)
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"conv1.weight": _Payload()}, f)
    with pytest.raises(ModelFileError, match="evil.pth"):
        models.build_model("resnet18", 3, weights_file=str(path))
    assert not marker.exists()


def test_wrong_architecture_weights_are_explained(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(models.build_model("simple_cnn", 10).state_dict(), path)
    with pytest.raises(ModelFileError, match="match"):
        models.build_model("resnet18", 3, weights_file=str(path))


def test_offline_pretrained_request_gives_a_fix_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("LOUPE_OFFLINE", "1")
    models._online.cache_clear()
    assert models.weights_status("resnet18") == "unavailable"
    with pytest.raises(WeightsUnavailableError) as info:
        models.build_model("resnet18", 3, pretrained=True)
    message = str(info.value)
    assert "--weights" in message and "offline" in message and "resnet18" in message


def test_offline_pretrained_is_refused_with_the_file_to_copy_and_where(tmp_path, monkeypatch):
    """README: offline and not cached, --pretrained "refuses to start and says how to fix it:
    copy the file into that cache, or pass --weights FILE". The refusal train and the window
    show (core.train.validation) named neither the file nor the cache folder."""
    from core.train.config import TrainConfig
    from core.train.validation import config_problems

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("LOUPE_OFFLINE", "1")
    models._online.cache_clear()
    config = TrainConfig(str(tmp_path), str(tmp_path / "run"), arch="resnet18", pretrained=True)
    problems = config_problems(config, models.arch_facts("resnet18"))
    path = models.weights_cache_path("resnet18")
    folder, name = os.path.split(path)
    refusal = [p for p in problems if "offline" in p]
    assert len(refusal) == 1 and f"copy {name} into {folder}" in refusal[0], problems
    assert "--weights" in refusal[0] and "--pretrained" in refusal[0]


def test_cached_pretrained_weights_are_used_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("LOUPE_OFFLINE", "1")
    models._online.cache_clear()
    path = models.weights_cache_path("mobilenet_v3_small")
    os.makedirs(os.path.dirname(path))
    reference = models.build_model("mobilenet_v3_small", 1000)
    torch.save(reference.state_dict(), path)
    assert models.weights_status("mobilenet_v3_small") == "cached"
    model = models.build_model("mobilenet_v3_small", 2, pretrained=True)
    first = next(iter(reference.state_dict()))
    assert torch.equal(model.state_dict()[first], reference.state_dict()[first])


def test_building_loupes_own_networks_does_not_import_torchvision():
    """torchvision's import costs 2-3 s, half of a small-image run's start-up: the registry
    loads it only for torchvision's architectures."""
    import subprocess
    import sys
    from pathlib import Path

    check = (
        "import sys\n"
        "from core.models.registry import arch_info, build_model, weights_status\n"
        "for arch in ('loupe_net', 'simple_cnn'):\n"
        "    arch_info(arch), weights_status(arch), build_model(arch, 3)\n"
        "print('torchvision' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
    assert "resnet18" in models.architecture_names()  # and still lists torchvision's
