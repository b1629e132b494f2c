"""Epochs on auto are a ceiling: a run that has stopped improving ends early and says why; a
run that is still improving (in accuracy or, before the training set is learnt, in loss) is
never cut; small images from scratch, epochs set by hand and a user's patience are left alone."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.data.datasets import DatasetReport
from core.events import LogMessage, RunFinished, RunStarted
from core.train.config import TrainConfig
from core.train.defaults import stops_on_plateau
from core.train.loop import fit
from core.train.plateau import PlateauWatch, auto_epochs_watch, plateau_rule
from tests.core.image_factory import make_shapes_dataset


def _stop_epoch(max_epochs: int, figures: list[tuple[float, float, float]]) -> int | None:
    """The epoch count after which the rule stops the run, None when it runs to the end."""
    watch = PlateauWatch(plateau_rule(max_epochs))
    for done, (val_acc, val_loss, train_acc) in enumerate(figures[:max_epochs], start=1):
        if watch.add(val_acc, val_loss, train_acc):
            return done
    return None


def test_a_plateaued_fine_tuning_run_stops_and_says_why():
    # The small-photo benchmark's shape: 100 % from epoch 5 on, the training set learnt.
    accs = [0.23, 0.83, 0.97, 0.98, 1.0] + [1.0, 1.0, 0.98, 1.0] * 5
    figures = [(a, 1.0 / (i + 1), 0.99) for i, a in enumerate(accs)]
    assert _stop_epoch(25, figures) == 9  # best at epoch 5, then 4 epochs without progress
    watch = PlateauWatch(plateau_rule(25))
    for f in figures[:9]:
        watch.add(*f)
    assert watch.reason(1.0, 4) == (
        "Stopped after 9 of up to 25 epochs: validation accuracy had not improved for 4 "
        "epochs; kept the best model (validation accuracy 100.0% at epoch 5)."
    )


def test_a_slow_noisy_climb_is_never_cut():
    # Accuracy gains a point every third epoch (flat in between), as on a small val set.
    figures = [(0.5 + 0.01 * (i // 3), 1.0, 0.8) for i in range(40)]
    assert _stop_epoch(40, figures) is None


def test_a_falling_validation_loss_counts_as_progress_until_the_training_set_is_learnt():
    flat_acc_falling_loss = [(0.8, 0.94**i, 0.9) for i in range(30)]
    assert _stop_epoch(30, flat_acc_falling_loss) is None
    # Once training accuracy is near 100 %, a falling loss is only growing confidence.
    learnt = [(0.8, 0.94**i, 1.0) for i in range(30)]
    assert _stop_epoch(30, learnt) == plateau_rule(30).min_epochs
    # A loss that falls by less than 5 % an epoch is not progress either.
    creeping = [(0.8, 0.99**i, 0.9) for i in range(30)]
    assert _stop_epoch(30, creeping) is not None


def test_never_before_the_minimum_nor_at_the_last_epoch():
    rule = plateau_rule(25)
    assert (rule.patience, rule.min_epochs) == (4, 7)
    best_first = [(0.9, 0.5, 0.99)] + [(0.85, 0.6, 0.99)] * 24
    assert _stop_epoch(25, best_first) == rule.min_epochs  # not after epoch 5
    # A ceiling of 5: the rule would need more epochs than the run has: it completes.
    assert _stop_epoch(5, [(0.9, 0.5, 1.0)] * 5) is None


def test_only_auto_epochs_beyond_small_images_from_scratch_are_a_ceiling():
    assert stops_on_plateau(False, 0, True)
    assert not stops_on_plateau(True, 0, True)  # digits from scratch: the cosine tail counts
    assert not stops_on_plateau(False, 0, False)  # --epochs N: all N run
    assert not stops_on_plateau(False, 5, True)  # --early-stopping 5: the user's rule decides


def _setup(image_side: int, pretrained: bool, start_epoch: int = 0) -> SimpleNamespace:
    cfg = TrainConfig(data_dir="d", out_dir="o", arch="loupe_net", image_size=32, epochs=25)
    if pretrained:
        cfg = TrainConfig(
            data_dir="d", out_dir="o", arch="efficientnet_lite0", pretrained=True, epochs=25
        )
    report = DatasetReport("d", "flat", ["a", "b"], {}, median_size=(image_side, image_side))
    return SimpleNamespace(cfg=cfg, report=report, start_epoch=start_epoch)


def test_a_resumed_run_replays_its_history():
    rows = [
        dict(epoch=e, val_acc=a, val_loss=0.5, train_acc=0.99)
        for e, a in enumerate([0.5, 0.9, 0.8, 0.8, 0.8, 0.8])
    ]
    watch = auto_epochs_watch(_setup(160, True, start_epoch=5), True, rows)
    # Epochs 1-5 replayed (a row beyond the checkpoint is not): 3 epochs since the best.
    assert (watch.epochs, watch.best_acc, watch.since_progress) == (5, 0.9, 3)
    assert auto_epochs_watch(_setup(28, False), True, []) is None  # small, from scratch
    assert auto_epochs_watch(_setup(160, True), False, []) is None  # epochs set by hand


@pytest.fixture(scope="module")
def plateau_run(tmp_path_factory) -> tuple[Path, list]:
    """Easy 80 px shapes (not "small images"), a small CNN at 32 px, epochs on auto: the
    auto count is a long ceiling (1,000 optimizer steps: 60 epochs) the data never needs."""
    data = make_shapes_dataset(tmp_path_factory.mktemp("plateau") / "data", per_class=10, size=80)
    out = tmp_path_factory.mktemp("plateau-run") / "run"
    cfg = TrainConfig(
        data_dir=str(data),
        out_dir=str(out),
        arch="loupe_net",
        image_size=32,
        batch_size=8,
        cpu_threads=1,
        mixed_precision="off",
        device="cpu",
        seed=0,
    )
    return out, list(fit(cfg))


def test_a_real_run_on_auto_stops_on_its_plateau_and_keeps_its_best_model(plateau_run):
    out, events = plateau_run
    notes = [e.text for e in events if isinstance(e, LogMessage)]
    assert any(n.startswith("Up to 60 epochs") for n in notes), notes
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.epochs_are_a_ceiling  # the window reads "epoch 3 of up to 60"
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "early_stopped", finished.reason
    assert finished.epochs_completed < 60
    assert finished.reason.startswith(f"Stopped after {finished.epochs_completed} of up to 60")
    summary = json.loads((out / "run.json").read_text())
    assert summary["status"] == "early_stopped"
    model = json.loads((out / "model.json").read_text())
    assert model["best"]["epoch"] == finished.best_epoch
