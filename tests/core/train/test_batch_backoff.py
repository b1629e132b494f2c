"""Out of memory in a training step: the batch halves, the run says so and goes on from
that step. The error is injected on the CPU (the model's forward raises it once)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from core.events import LogMessage, RunFinished, StepEnded
from core.train.batch_backoff import BatchFeed, lr_for_batch
from core.train.config import TrainConfig
from core.train.defaults import default_lr
from core.train.loop import fit
from core.train.optim import lr_factor, make_scheduler


class _FailingForward:
    """Wraps a model's forward: the `fail_at`-th training call raises an OOM (before any
    work, as a failed allocation does); every successful training call's batch is counted."""

    def __init__(self, model: torch.nn.Module, fail_at: set[int]) -> None:
        self.model, self.forward, self.fail_at = model, model.forward, fail_at
        self.calls, self.trained = 0, []

    def __call__(self, x):
        if self.model.training:
            self.calls += 1
            if self.calls in self.fail_at:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
            self.trained.append(x.shape[0])
        return self.forward(x)


@pytest.fixture
def failing_model(monkeypatch):
    import core.train.setup as setup

    wrappers: list[_FailingForward] = []
    real_build = setup.build_model

    def build(*args, **kwargs):
        model = real_build(*args, **kwargs)
        wrapper = _FailingForward(model, wrappers_fail_at[0])
        model.forward = wrapper
        wrappers.append(wrapper)
        return model

    wrappers_fail_at: list[set[int]] = [set()]
    monkeypatch.setattr(setup, "build_model", build)

    def arm(*calls: int) -> list[_FailingForward]:
        wrappers_fail_at[0] = set(calls)
        return wrappers

    return arm


def _config(data: str, out: str, **changes) -> TrainConfig:
    values = dict(
        data_dir=data, out_dir=out, epochs=2, batch_size=16, optimizer="adamw", device="cpu",
        cpu_threads=1, mixed_precision="off", prediction_samples=0,
    )  # fmt: skip
    return TrainConfig(**{**values, **changes})


def test_training_halves_the_batch_and_continues_from_that_step(
    shapes_data, tmp_path, failing_model
):
    wrappers = failing_model(3)  # the third step of the first epoch runs out of memory
    events = list(fit(_config(shapes_data, str(tmp_path / "run"), epochs=1)))
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed", finished.reason
    warnings = [e.text for e in events if isinstance(e, LogMessage) and e.level == "warning"]
    (said,) = [w for w in warnings if "ran out of memory" in w]
    assert "batch size 16" in said and "batch size 8" in said
    (model,) = wrappers
    train_images = 72  # 3 classes x 30 images, 20 % held out
    # No image of the epoch was skipped: the failed batch was trained as two halves.
    assert sum(model.trained) == train_images
    assert model.trained[:4] == [16, 16, 8, 8] and max(model.trained[2:]) == 8
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["batch_size"] == 8
    auto_lr = default_lr("adamw", 16, fine_tuning=False)
    assert config["lr"] == pytest.approx(auto_lr * math.sqrt(0.5))  # AdamW: square root
    steps = [e for e in events if isinstance(e, StepEnded)]
    assert steps[-1].steps_per_epoch == 9  # 72 images in batches of 8


def test_out_of_memory_at_batch_size_one_ends_the_run_with_advice(
    shapes_data, tmp_path, failing_model
):
    failing_model(1, 2)
    cfg = _config(shapes_data, str(tmp_path / "run"), batch_size=2, arch="simple_cnn")
    finished = list(fit(cfg))[-1]
    assert finished.status == "failed"
    assert "ran out of memory even at batch size 1" in finished.reason


def test_learning_rate_follows_the_batch_as_the_defaults_scale_it():
    assert lr_for_batch("nesterov", 0.2, 64, 32) == pytest.approx(0.1)
    assert lr_for_batch("adamw", 1e-3, 64, 32) == pytest.approx(1e-3 / math.sqrt(2))


def test_the_schedule_keeps_its_place_in_the_run():
    cfg = TrainConfig(data_dir="", out_dir="", lr=0.1, epochs=4, warmup_epochs=1)
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    sched = make_scheduler(opt, cfg, steps_per_epoch=10, start_step=25)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * lr_factor(cfg, 25, 40, 10))
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * lr_factor(cfg, 26, 40, 10))


def test_feed_splits_later_batches_and_repeats_the_failed_one():
    feed = BatchFeed(4)
    batches = [
        (torch.arange(4), torch.arange(4), None),
        (torch.arange(4, 8), torch.arange(4, 8), None),
    ]
    seen = []
    for images, _labels in feed.pieces(batches):
        if images[0] == 0 and feed.batch_size == 4:
            feed.batch_size = 2
            feed.retry_current()
            continue
        seen.append(images.tolist())
    assert seen == [[0, 1], [2, 3], [4, 5], [6, 7]]
