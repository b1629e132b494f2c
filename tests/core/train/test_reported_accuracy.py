"""The validation figures a run reports are what its saved model really gets.

The user picks a run by its accuracy (the Runs page, model.json); classifying the same
validation images with the saved model through the classify path must give the same accuracy
and loss, and its confidences must be probabilities. A validation that augments its images,
a best model saved from other weights, or scores that are not softmaxed would not."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core.data.datasets import scan_dataset
from core.infer.inference import classify_paths, load_model_for_inference
from core.infer.results import ClassifiedImage


@pytest.fixture(scope="module")
def validation_classified(trained_run):
    run, _ = trained_run
    config = json.loads((Path(run) / "config.json").read_text())
    scan = scan_dataset(config["data_dir"], config["val_split"], config["seed"])
    names = scan.report.class_names
    truth = {s.path: names[s.label] for s in scan.val}
    model = load_model_for_inference(run, "cpu")
    results = [
        r
        for r in classify_paths(model, sorted(truth), top_k=len(names))
        if isinstance(r, ClassifiedImage)
    ]
    assert len(results) == len(truth) > 0
    best = json.loads((Path(run) / "model.json").read_text())["best"]
    return results, truth, best


def test_the_saved_models_validation_accuracy_and_loss_are_the_reported_ones(
    validation_classified,
):
    results, truth, best = validation_classified
    accuracy = sum(r.label == truth[r.path] for r in results) / len(results)
    assert accuracy == best["val_acc"]
    loss = -sum(math.log(dict(r.top_k)[truth[r.path]]) for r in results) / len(results)
    assert loss == pytest.approx(best["val_loss"], rel=1e-4)


def test_confidences_are_probabilities(validation_classified):
    results, _, _ = validation_classified
    for r in results:
        assert r.confidence == r.top_k[0][1]
        assert all(0.0 <= p <= 1.0 for _, p in r.top_k), r
        assert sum(p for _, p in r.top_k) == pytest.approx(1.0, abs=1e-5), r
