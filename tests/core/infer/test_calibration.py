"""Temperature scaling: the fit finds a known miscalibration, lowers the validation NLL and
the held-out ECE, never claims certainty it has no evidence for; model files carry it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from core.infer.calibration import (
    calibrate,
    ece_at,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)


def _overconfident(n: int, seed: int, factor: float = 3.0):
    """Labels drawn from softmax(z): z is calibrated by construction, factor * z is not."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 5, generator=gen) * 1.5
    labels = torch.multinomial(torch.softmax(z, 1), 1, generator=gen)[:, 0]
    return z * factor, labels


def test_fit_recovers_the_temperature_and_helps_on_held_out_data():
    val_logits, val_labels = _overconfident(3000, seed=1)
    test_logits, test_labels = _overconfident(3000, seed=2)
    cal = calibrate(val_logits, val_labels)
    assert cal.temperature == pytest.approx(3.0, rel=0.15)
    assert cal.nll_after < cal.nll_before
    # The test split never took part in the fit, and is better calibrated for it.
    assert ece_at(test_logits, test_labels, cal.temperature) < 0.5 * ece_at(
        test_logits, test_labels, 1.0
    )


def test_an_underconfident_model_is_sharpened():
    logits, labels = _overconfident(2000, seed=3, factor=0.4)
    assert fit_temperature(logits, labels) == pytest.approx(0.4, rel=0.15)


def test_without_a_single_mistake_the_model_keeps_its_confidences():
    logits = torch.tensor([[4.0, 0.0], [0.0, 3.0], [5.0, 1.0]])
    assert fit_temperature(logits, torch.tensor([0, 1, 0])) == 1.0
    assert fit_temperature(logits[:1], torch.tensor([1])) == 1.0  # too few images


def test_ece_by_hand():
    conf = np.array([0.9, 0.9, 0.9, 0.9, 0.55, 0.55])
    correct = np.array([1, 1, 0, 0, 1, 1])
    # bin (0.8667, 0.9333]: 4 images, acc 0.5, conf 0.9; bin (0.5333, 0.6]: 2 images, acc 1.
    assert expected_calibration_error(conf, correct) == pytest.approx(4 / 6 * 0.4 + 2 / 6 * 0.45)
    bins = reliability_bins(np.array([0.0, 1.0]), np.array([0, 1]))
    assert bins[0]["count"] == 1 and bins[-1]["count"] == 1 and len(bins) == 15


def test_confidences_shown_use_the_stored_temperature(trained_run, tmp_path):
    """classify's probabilities are softmax(logits / T) with T from model.json; a model file
    written before calibration existed loads with T = 1; a broken T is refused."""
    from core.errors import ModelFileError
    from core.infer.inference import classify_paths, list_images, load_model_for_inference

    run, _ = trained_run
    meta = json.loads(open(f"{run}/model.json", encoding="utf-8").read())
    assert meta["calibration"]["nll_after"] <= meta["calibration"]["nll_before"]
    copy = tmp_path / "model"
    shutil.copytree(run, copy)
    images = list_images(json.loads(open(f"{run}/config.json").read())["data_dir"])[:4]

    def confidences(temperature) -> list[float]:
        raw = dict(meta)
        if temperature is None:
            raw.pop("calibration", None)
        else:
            raw["calibration"] = {"temperature": temperature}
        (copy / "model.json").write_text(json.dumps(raw), encoding="utf-8")
        lm = load_model_for_inference(str(copy), "cpu")
        return [r.confidence for r in classify_paths(lm, images) if hasattr(r, "confidence")]

    plain, hot = confidences(None), confidences(20.0)
    assert all(h <= p for h, p in zip(hot, plain)) and sum(hot) < sum(plain)  # less sure
    assert confidences(1.0) == pytest.approx(plain)
    with pytest.raises(ModelFileError, match="temperature"):
        confidences(-1.0)


def test_a_diverged_validation_pass_still_saves_as_json():
    """NaN logits (a diverging run) keep T = 1 and write null, not an invalid model.json."""
    logits = torch.tensor([[float("nan"), 0.0], [1.0, 0.0], [0.0, 2.0]])
    data = calibrate(logits, torch.tensor([0, 1, 1])).to_dict()
    assert data["temperature"] == 1.0 and data["nll_before"] is None
    json.dumps(data, allow_nan=False)
