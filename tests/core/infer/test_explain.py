"""Grad-CAM for every family Loupe offers: a heat map at the input size that points at the
evidence, through Captum; and the `explain` command's files."""

from __future__ import annotations

import csv
import shutil

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


def _images_with_a_shared_stem(folder, data):
    """x.jpg and x.png (two different pictures) in `folder`: their overlays share a stem."""
    from PIL import Image

    folder.mkdir()
    Image.open(data / "test" / "circle" / "circle_000.png").save(folder / "x.jpg")
    shutil.copy(data / "test" / "square" / "square_000.png", folder / "x.png")
    return (folder / "x.png").read_bytes()


def test_explain_never_writes_into_the_folder_it_explains(split_run, tmp_path):
    """--out IMAGES --force once replaced IMAGES/x.png with the heat map of IMAGES/x.jpg."""
    data, run, _ = split_run
    images = tmp_path / "images"
    original = _images_with_a_shared_stem(images, data)
    for out in (images, images / "why"):
        result = loupe("explain", run, images, "--out", out, "--force")
        assert result.returncode == 1 and "the folder being explained" in result.stderr
    assert sorted(p.name for p in images.iterdir()) == ["x.jpg", "x.png"]
    assert (images / "x.png").read_bytes() == original


def test_explain_force_replaces_only_the_overlays_it_wrote(split_run, tmp_path):
    data, run, _ = split_run
    images, out = tmp_path / "images", tmp_path / "why"
    _images_with_a_shared_stem(images, data)
    first = loupe("explain", run, images, "--out", out)
    assert first.returncode == 0, first.stderr
    # One numbering rule with the sort: "x (1)", never "x (2)" first.
    assert sorted(p.name for p in out.iterdir()) == ["explanations.csv", "x (1).png", "x.png"]
    mine = out / "mine.png"  # the user's own file, in the way of the next overlay
    shutil.copy(images / "x.png", mine)
    kept = mine.read_bytes()
    single = loupe("explain", run, data / "test" / "circle" / "circle_001.png", "--out", out)
    assert single.returncode == 1 and "--force" in single.stderr  # no force: nothing replaced
    # The input itself lies in --out: its overlay gets a free name, never the input's.
    again = loupe("explain", run, mine, "--out", out, "--force")
    assert again.returncode == 0, again.stderr
    assert mine.read_bytes() == kept
    rows = list(csv.DictReader(open(out / "explanations.csv", encoding="utf-8")))
    assert [r["overlay"] for r in rows] == ["mine (1).png", "x.png", "x (1).png"]
    before = (out / "x.png").read_bytes()
    (out / "x.png").write_bytes(b"stale")  # an earlier overlay: --force may replace it
    third = loupe("explain", run, images / "x.jpg", "--out", out, "--force")
    assert third.returncode == 0, third.stderr
    assert (out / "x.png").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["explanations.csv", "mine.png", "mine (1).png", "x.png", "x (1).png"]
    )


def test_explain_force_refuses_an_explanations_csv_it_did_not_write(split_run, tmp_path):
    data, run, _ = split_run
    out = tmp_path / "why"
    out.mkdir()
    (out / "explanations.csv").write_text("my,own,notes\n", encoding="utf-8")
    result = loupe("explain", run, data / "test" / "circle", "--out", out, "--force")
    assert result.returncode == 1 and "not written by Loupe" in result.stderr
    assert (out / "explanations.csv").read_text(encoding="utf-8") == "my,own,notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["explanations.csv"]
