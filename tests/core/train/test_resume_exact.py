"""Resume is exact and Stop keeps the best model: the two promises a user cannot check by eye.

One CPU thread and precision off, so every run does the same arithmetic: a run stopped after
its first epoch and resumed to the fourth must end bit for bit where an uninterrupted run ends
(a resume that forgets the optimizer's averages, the random state or the weights differs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from core.control import RunControl
from core.events import CheckpointSaved, EpochEnded, RunFinished
from core.train.config import TrainConfig
from core.train.loop import fit
from tests.core.cli.cli_helpers import PINNED_CPU, loupe
from tests.core.run_checks import assert_same_tensors, metric_rows

EXACT = dict(
    arch="loupe_net",  # has dropout: the torch random state matters too
    epochs=4,
    batch_size=16,
    image_size=32,
    cpu_threads=1,  # the CPU tuner would choose threads and bf16 by timing
    mixed_precision="off",
    device="cpu",
    seed=3,
)


class StopAtStep(RunControl):
    """Requests a stop as the loop reaches its `step`-th training step (counting from 0 over
    the whole run): exactly where a Stop click from another thread takes effect, but
    deterministic."""

    def __init__(self, step: int) -> None:
        super().__init__()
        self.step = step
        self.calls = 0

    def checkpoint(self) -> bool:
        if self.calls == self.step:
            self.request_stop()
        self.calls += 1
        return super().checkpoint()


def _exact(data: str, out: Path, **overrides) -> TrainConfig:
    return TrainConfig(data_dir=data, out_dir=str(out), **{**EXACT, **overrides})


@pytest.fixture(scope="module")
def straight_run(shapes_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("straight") / "run"
    finished = list(fit(_exact(shapes_data, out)))[-1]
    assert finished.status == "completed", finished.reason
    return out


def test_stopped_after_one_epoch_and_resumed_equals_an_uninterrupted_run(
    shapes_data, straight_run, tmp_path
):
    out = tmp_path / "run"
    control = RunControl()
    for event in fit(_exact(shapes_data, out), control):
        if isinstance(event, EpochEnded):
            control.request_stop()  # Stop pressed during epoch 1's validation
    assert event.status == "stopped" and event.epochs_completed == 1
    assert len(metric_rows(out)) == 1

    finished = list(fit(_exact(shapes_data, out, resume=True)))[-1]
    assert finished.status == "completed", finished.reason

    assert_same_run(out, straight_run)


def assert_same_run(run: Path, reference: Path) -> None:
    """Same metrics, the same weights and optimizer state in last.ckpt, the same best model."""
    assert metric_rows(run) == metric_rows(reference)
    ours = torch.load(run / "last.ckpt", weights_only=True)
    theirs = torch.load(reference / "last.ckpt", weights_only=True)
    assert_same_tensors(ours["model"], theirs["model"])
    assert ours["optimizer"]["state"].keys() == theirs["optimizer"]["state"].keys()
    for key, state in theirs["optimizer"]["state"].items():
        assert_same_tensors(ours["optimizer"]["state"][key], state)
    assert torch.equal(ours["generator"], theirs["generator"])
    assert_same_tensors(
        load_file(run / "model.safetensors"), load_file(reference / "model.safetensors")
    )
    best = json.loads((run / "model.json").read_text())["best"]
    assert best == json.loads((reference / "model.json").read_text())["best"]


def test_cli_interrupted_after_one_epoch_and_resumed_equals_an_uninterrupted_run(
    shapes_data, straight_run, tmp_path, monkeypatch
):
    from core.cli.progress import TrainProgress

    handle = TrainProgress.handle

    def ctrl_c_after_the_first_epoch(self, event):
        handle(self, event)
        if isinstance(event, CheckpointSaved) and event.kind == "last":
            raise KeyboardInterrupt  # Ctrl+C once epoch 1 is saved

    out = tmp_path / "run"
    args = ["train", shapes_data, "--out", out, "--device", "cpu"]
    with monkeypatch.context() as patch:
        patch.setattr(TrainProgress, "handle", ctrl_c_after_the_first_epoch)
        first = loupe(
            *args,
            "--arch",
            "loupe_net",
            "--epochs",
            4,
            "--batch-size",
            16,
            "--image-size",
            32,
            "--seed",
            EXACT["seed"],
            *PINNED_CPU,
        )
    assert first.returncode == 130, first.stderr
    assert len(metric_rows(out)) == 1

    resumed = loupe(*args, "--resume")  # everything else comes from the run's config.json
    assert resumed.returncode == 0, resumed.stderr
    assert "epoch 4/4" in resumed.stderr and "epoch 1/4" not in resumed.stderr
    assert_same_run(out, straight_run)


def test_stop_inside_a_later_epoch_keeps_the_best_epochs_model(shapes_data, tmp_path):
    out = tmp_path / "run"
    best_weights: dict[int, dict] = {}  # epoch -> model.safetensors as saved at that epoch
    events = []
    # 5 steps per epoch: stop at the third step of epoch 2, after two validated epochs.
    for event in fit(_exact(shapes_data, out, epochs=6), StopAtStep(2 * 5 + 2)):
        events.append(event)
        if isinstance(event, CheckpointSaved) and event.kind == "best":
            best_weights[event.epoch] = load_file(out / "model.safetensors")
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "stopped"
    assert finished.epochs_completed == 2 and "during epoch 3" in finished.reason

    rows = metric_rows(out)
    assert [r["epoch"] for r in rows] == ["0", "1"]
    best_row = max(rows, key=lambda r: float(r["val_acc"]))  # the first of equals: ties keep
    best = json.loads((out / "model.json").read_text())["best"]
    assert best["epoch"] == int(best_row["epoch"]) == finished.best_epoch
    assert best["val_acc"] == pytest.approx(float(best_row["val_acc"]), abs=1e-12)

    saved = load_file(out / "model.safetensors")
    assert_same_tensors(saved, best_weights[best["epoch"]])
    # ... and not the weights of the moment of the stop (which last.ckpt holds to resume).
    current = torch.load(out / "last.ckpt", weights_only=True)["model"]
    assert any(not torch.equal(saved[k], current[k]) for k in saved if k in current)
