"""A run says which path it takes and why, and a model that only guesses is flagged."""

from __future__ import annotations

import json

import pytest

from core.control import RunControl
from core.events import EpochEnded, LogMessage, RunFinished, RunStarted
from core.train.config import TrainConfig
from core.train.loop import fit
from core.train.verdict import chance_accuracy, guessing_verdict, is_guessing
from tests.core.image_factory import make_image


@pytest.fixture(scope="module")
def indistinguishable(tmp_path_factory):
    """Three classes of the very same grey picture: no model can beat chance."""
    root = tmp_path_factory.mktemp("same") / "data"
    for cls in ("a", "b", "c"):
        for i in range(10):
            make_image(root / cls / f"{i}.png", (32, 32), (128, 128, 128))
    return str(root)


def test_a_guessing_run_is_flagged_in_plain_words_with_advice(indistinguishable, tmp_path):
    cfg = TrainConfig(
        data_dir=indistinguishable,
        out_dir=str(tmp_path / "run"),
        arch="mobilenet_v3_small",
        epochs=1,
        batch_size=8,
        image_size=32,
        device="cpu",
    )
    events = list(fit(cfg))
    started = next(e for e in events if isinstance(e, RunStarted))
    # The user's own choice of a big network from scratch on 24 images is called out up front.
    assert started.plan.startswith("Training mobilenet_v3_small from scratch because you chose")
    assert "only guess" in started.plan and "efficientnet_lite0" in started.plan
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed"
    assert finished.verdict.startswith("This model is guessing:")
    assert "start from ImageNet weights" in finished.verdict
    warnings = [e.text for e in events if isinstance(e, LogMessage) and e.level == "warning"]
    assert finished.verdict in warnings
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["verdict"] == finished.verdict and summary["plan"] == started.plan


def test_a_run_that_learned_has_no_verdict(trained_run):
    out, events = trained_run
    assert events[-1].verdict == ""
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.plan  # auto says why it picked the small CNN
    assert json.loads(open(f"{out}/run.json").read())["verdict"] == ""


def test_chance_is_the_most_common_class_and_guessing_is_near_it():
    assert chance_accuracy([0, 0, 0, 1]) == 0.75
    assert is_guessing(0.2, 0.2) and is_guessing(0.3, 0.2)
    assert not is_guessing(0.6, 0.2)  # the 61.7 % run learned something
    assert not is_guessing(None, 0.2)
    advice = guessing_verdict(0.21, 0.2, "loupe_net", False, 240, 40, lr_chosen=True)
    assert "train longer" in advice and "learning rate" in advice and "21%" in advice
    assert guessing_verdict(0.9, 0.2, "loupe_net", False, 240, 40, lr_chosen=False) == ""


def test_the_advice_fits_the_run_and_never_asks_for_what_is_set():
    """The review's case: Epochs on auto, efficientnet_lite0 without its weights, Stop pressed
    after 122 steps. Not "train longer (Epochs 'auto')", not "or efficientnet_lite0"."""
    stopped = guessing_verdict(
        0.2, 0.2, "efficientnet_lite0", False, 240, 122, lr_chosen=True,
        status="stopped", epochs_auto=True, planned_steps=1037,
    )  # fmt: skip
    assert "let it finish (it was stopped after 122 of up to 1,037 steps)" in stopped
    assert "Epochs 'auto'" not in stopped and "or 'auto'" not in stopped
    assert "tick 'Start from ImageNet weights' (efficientnet_lite0's are bundled)" in stopped
    assert "Architecture 'auto'" not in stopped
    # Completed on auto: raise Epochs; completed with Epochs set: more, or auto.
    auto = guessing_verdict(0.2, 0.2, "loupe_net", False, 240, 40, False, epochs_auto=True)
    assert "set a larger number of Epochs" in auto
    assert "Epochs 'auto'" not in auto and "or 'auto'" not in auto
    chosen = guessing_verdict(0.2, 0.2, "loupe_net", False, 240, 40, False)
    assert "more Epochs, or 'auto'" in chosen
    early = dict(status="early_stopped")
    patient = guessing_verdict(0.2, 0.2, "loupe_net", False, 240, 40, False, **early, patience=3)
    assert "Early stopping ended it after only 40 steps: raise it or set it 'off'" in patient
    # Epochs on auto ends a run by its own rule, Early stopping being off: not "set it off".
    plateau = guessing_verdict(0.2, 0.2, "loupe_net", False, 240, 40, False, **early)
    assert "Epochs on auto ended it" in plateau and "'off'" not in plateau


def test_a_stopped_guessing_run_is_told_to_let_it_finish(indistinguishable, tmp_path):
    control = RunControl()
    cfg = TrainConfig(
        data_dir=indistinguishable,
        out_dir=str(tmp_path / "run"),
        arch="simple_cnn",
        batch_size=8,
        image_size=32,
        device="cpu",
    )  # epochs on auto
    events = []
    for event in fit(cfg, control):
        events.append(event)
        if isinstance(event, EpochEnded):
            control.request_stop()
    finished = events[-1]
    assert finished.status == "stopped" and finished.verdict.startswith("This model is guessing")
    assert "let it finish (it was stopped after 3 of up to " in finished.verdict
    assert "Epochs" not in finished.verdict


def test_one_step_is_one_step_not_one_steps():
    """A guessing run of a single step says "only 1 step", in every ending."""
    endings = [
        {},
        {"epochs_auto": True},
        {"status": "early_stopped"},
        {"status": "early_stopped", "patience": 3},
        {"status": "stopped"},
    ]
    for ending in endings:
        advice = guessing_verdict(0.2, 0.2, "loupe_net", False, 240, 1, False, **ending)
        assert "1 steps" not in advice, ending
        assert "1 step" in advice, ending
    stopped = guessing_verdict(
        0.2, 0.2, "loupe_net", False, 240, 1, False, status="stopped", planned_steps=5
    )
    assert "stopped after 1 of 5 steps" in stopped
