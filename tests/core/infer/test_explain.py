"""Grad-CAM for every family Loupe offers: a heat map at the input size that points at the
evidence, through Captum; and the `explain` command's files."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from core.infer.explain import Explainer
from core.models.checkpoints import ModelMeta
from tests.core.cli.cli_helpers import loupe


def _meta(arch: str, size: int) -> ModelMeta:
    names = ["a", "b", "c"]
    return ModelMeta(arch, names, size, "crop", (0.5,) * 3, (0.25,) * 3, {})


@pytest.mark.parametrize(
    ("arch", "size"),
    [
        ("loupe_net", 32),
        ("simple_cnn", 32),
        ("resnet18", 64),
        ("mobilenet_v3_small", 64),
        ("efficientnet_b0", 64),
        ("efficientnet_lite0", 64),  # Loupe's own EfficientNet-Lite0 (bundled weights)
        ("convnext_tiny", 64),
    ],
)
def test_every_family_gets_a_heat_map_at_the_input_size(arch, size):
    from core.models.registry import build_model

    torch.manual_seed(0)
    model = build_model(arch, 3).eval()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    explainer = Explainer(model, _meta(arch, size))
    e = explainer.explain(image, "b")
    assert e.heatmap.shape == (size, size)
    assert e.class_name == "b" and 0.0 < e.confidence < 1.0
    assert e.heatmap.min() >= 0.0 and e.heatmap.max() <= 1.0
    assert e.predicted == e.top_k[0][0]


def test_the_heat_map_points_at_the_shape(split_run):
    """On the trained shapes model the evidence lies on the shape, not the noisy background."""
    from core.data.imaging import load_square
    from core.models.checkpoints import load_model

    data, run, _ = split_run
    model, meta = load_model(str(run))
    explainer = Explainer(model, meta)
    inside_minus_outside = []
    for name in ("circle", "square", "triangle"):
        for i in range(3, 6):  # not the images copied into other folders
            image = load_square(str(data / "test" / name / f"{name}_{i:03d}.png"), 32)
            shape = image.astype(int).sum(2) < 3 * 180  # shapes are darker than the background
            heat = explainer.explain(image, name).heatmap
            inside_minus_outside.append(heat[shape].mean() - heat[~shape].mean())
    assert np.mean(inside_minus_outside) > 0.1


def test_explain_writes_one_overlay_per_image_and_a_csv(split_run, tmp_path):
    from PIL import Image

    data, run, _ = split_run
    out = tmp_path / "why"
    result = loupe("explain", run, data / "test" / "circle", "--out", out, "--class", "square")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(out / "explanations.csv", encoding="utf-8")))
    assert len(rows) == 6 and {r["class"] for r in rows} == {"square"}
    for row in rows:
        picture = Image.open(out / row["overlay"])
        assert picture.size == (384, 384)
        assert picture.info["loupe:class"] == "square"
        assert 0.0 <= float(row["confidence"]) <= 1.0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"circle_{i:03d}.png" for i in range(6)] + ["explanations.csv"]
    )
    again = loupe("explain", run, data / "test" / "circle" / "circle_000.png", "--out", out)
    assert again.returncode == 1 and "--force" in again.stderr
    unknown = loupe("explain", run, data / "test", "--out", tmp_path / "x", "--class", "dog")
    assert unknown.returncode == 1 and "no class 'dog'" in unknown.stderr
