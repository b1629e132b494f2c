"""Training: it learns, it reports, it stops when asked, it resumes, it writes its folder."""

from __future__ import annotations

import csv
import json
import os
import threading
import time

import pytest

from core.control import RunControl
from core.events import (
    CheckpointSaved,
    EpochEnded,
    LogMessage,
    PredictionsSampled,
    RunFinished,
    RunStarted,
    StepEnded,
)
from core.train.config import TrainConfig
from core.train.loop import fit


def _of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_training_learns_well_above_chance(trained_run):
    _, events = trained_run
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed"
    assert finished.best_val_acc >= 0.75  # 3 classes: chance is 0.33
    epochs = _of(events, EpochEnded)
    assert len(epochs) == 6
    assert epochs[-1].train_loss < epochs[0].train_loss


def test_events_arrive_in_order_with_plain_data(trained_run):
    _, events = trained_run
    assert isinstance(events[-1], RunFinished)
    started = _of(events, RunStarted)[0]
    assert events.index(started) < events.index(_of(events, StepEnded)[0])
    assert started.class_names == ["circle", "square", "triangle"]
    assert started.param_count > 0 and started.data_mode == "cache"
    assert not started.epochs_are_a_ceiling  # 6 epochs set: every one of them runs
    step = _of(events, StepEnded)[0]
    assert isinstance(step.loss, float) and step.lr > 0 and step.images_per_second > 0
    epoch = _of(events, EpochEnded)[-1]
    assert len(epoch.confusion) == 3 and sum(map(sum, epoch.confusion)) == started.val_images
    assert {m.name for m in epoch.per_class} == set(started.class_names)
    preds = _of(events, PredictionsSampled)[-1]
    sample = preds.samples[0]
    assert sample.image.dtype.name == "uint8" and sample.image.shape[2] == 3
    assert len(sample.top_k) == 3 and abs(sum(p for _, p in sample.top_k) - 1) < 1e-3
    assert len(preds.all_true) == started.val_images
    kinds = {e.kind for e in _of(events, CheckpointSaved)}
    assert kinds == {"best", "last"}


def test_run_folder_contents(trained_run):
    run, _ = trained_run
    for name in (
        "config.json",
        "dataset.json",
        "metrics.csv",
        "model.safetensors",
        "model.json",
        "last.ckpt",
        "run.json",
        "evaluation.json",
        "steps.csv",
    ):
        assert os.path.isfile(os.path.join(run, name)), name
    with open(os.path.join(run, "metrics.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:7] == [
        "epoch",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "lr",
        "seconds",
    ]
    assert len(rows) == 7
    meta = json.load(open(os.path.join(run, "model.json")))
    assert meta["class_names"] == ["circle", "square", "triangle"]
    assert meta["arch"] == "loupe_net_slim" and meta["image_size"] == 32
    assert meta["best"]["val_acc"] == max(float(r[4]) for r in rows[1:])
    config = json.load(open(os.path.join(run, "config.json")))
    assert config["arch"] == "loupe_net_slim" and config["lr"] > 0  # auto values resolved
    assert json.load(open(os.path.join(run, "run.json")))["status"] == "completed"
    # No temporary files left behind by the atomic writers.
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]


def test_stop_takes_effect_within_a_step_and_keeps_a_model(shapes_data, tmp_path):
    control = RunControl()
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(tmp_path / "run"), epochs=50, batch_size=8, device="cpu"
    )
    events = []
    for event in fit(cfg, control):
        events.append(event)
        if isinstance(event, EpochEnded) and event.epoch == 1:
            control.request_stop()
    finished = events[-1]
    assert finished.status == "stopped"
    assert finished.epochs_completed == 2
    assert "best model" in finished.reason
    assert os.path.isfile(tmp_path / "run" / "model.safetensors")
    assert json.load(open(tmp_path / "run" / "run.json"))["status"] == "stopped"


def test_stop_from_another_thread_during_the_first_epoch(shapes_data, tmp_path):
    control = RunControl()
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(tmp_path / "run"), epochs=50, batch_size=4, device="cpu"
    )
    seen_steps = 0
    stopper = None
    for event in fit(cfg, control):
        if isinstance(event, StepEnded):
            seen_steps += 1
            if stopper is None:
                stopper = threading.Timer(0.05, control.request_stop)
                stopper.start()
        finished = event
    assert finished.status == "stopped"
    # Stopped before the first validation: the current weights are kept to use or resume.
    assert finished.model_path and os.path.isfile(finished.model_path)


def test_pause_holds_the_loop_until_resumed(shapes_data, tmp_path):
    control = RunControl()
    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=str(tmp_path / "run"),
        epochs=2,
        batch_size=16,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    events: list = []
    paused_after: list[int] = []

    def train() -> None:
        for event in fit(cfg, control):
            events.append(event)
            if isinstance(event, StepEnded) and not paused_after:
                control.pause()  # at this yield: the next step has not started
                paused_after.append(len(events))

    trainer = threading.Thread(target=train)
    trainer.start()
    for _ in range(600):
        if paused_after:
            break
        time.sleep(0.1)
    time.sleep(0.5)  # several steps, were the pause ignored
    assert trainer.is_alive(), "the run went on while paused"
    during = events[paused_after[0] :]
    assert not _of(during, StepEnded), "a step ran while paused"
    control.resume()
    trainer.join(120)
    assert events[-1].status == "completed"
    numbers = [e.global_step for e in _of(events, StepEnded)]
    assert numbers == sorted(set(numbers)) and numbers[-1] == 2 * 5 - 1  # none repeated or lost


def test_resume_continues_from_last_checkpoint(shapes_data, tmp_path):
    out = str(tmp_path / "run")
    first = list(
        fit(TrainConfig(data_dir=shapes_data, out_dir=out, epochs=2, batch_size=16, device="cpu"))
    )
    assert first[-1].status == "completed"
    saved = json.load(open(os.path.join(out, "config.json")))
    cfg = TrainConfig(
        **{
            **saved,
            "augment": TrainConfig(data_dir="", out_dir="").augment,
            "unlabelled": TrainConfig(data_dir="", out_dir="").unlabelled,
            "epochs": 4,
            "resume": True,
        }
    )
    second = list(fit(cfg))
    assert second[-1].status == "completed", second[-1].reason
    assert [e.epoch for e in _of(second, EpochEnded)] == [2, 3]
    assert _of(second, RunStarted)[0].start_epoch == 2
    # The Train page's line says that it resumes, not a new run's plan ("Training loupe_net
    # from scratch because you chose it..."); run.json keeps the plan the run started with.
    assert _of(second, RunStarted)[0].plan == (
        f"Resuming run at epoch 3 of 4: {saved['arch']} continues from its last checkpoint, "
        "with the settings the run was started with."
    )
    logged = [e.text for e in _of(second, LogMessage)]
    assert not any(text.startswith("Training ") for text in logged)
    summary = json.load(open(os.path.join(out, "run.json")))
    assert summary["plan"] == _of(first, RunStarted)[0].plan
    with open(os.path.join(out, "metrics.csv")) as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["0", "1", "2", "3"]
    # Asking for no more epochs than done is explained, not a crash.
    again = list(fit(cfg))
    assert again[-1].status == "failed" and "--epochs" in again[-1].reason


def test_corrupt_files_are_skipped_and_reported(tmp_path):
    from tests.core.image_factory import (
        make_shapes_dataset,
        write_all_corrupt,
        write_png_short_pixel_data,
    )

    data = make_shapes_dataset(tmp_path / "data", per_class=12, size=32)
    expected = write_all_corrupt(data / "circle")
    late = write_png_short_pixel_data(data / "square" / "short.png")  # only a full decode sees it
    events = list(
        fit(
            TrainConfig(
                data_dir=str(data),
                out_dir=str(tmp_path / "run"),
                epochs=1,
                batch_size=8,
                device="cpu",
            )
        )
    )
    assert events[-1].status == "completed"
    warnings = "\n".join(e.text for e in _of(events, LogMessage) if e.level == "warning")
    for path, reason in expected.items():
        assert f"{path}: {reason}" in warnings
    assert str(late) in warnings
    report = json.load(open(tmp_path / "run" / "dataset.json"))
    assert str(late) in {s["path"] for s in report["skipped"]}


@pytest.mark.parametrize(
    "problem, words",
    [
        ("one_class", "at least two classes"),
        ("missing", "not found"),
    ],
)
def test_bad_datasets_fail_with_a_readable_reason(tmp_path, problem, words):
    from tests.core.image_factory import make_shapes_dataset

    data = tmp_path / "data"
    if problem == "one_class":
        make_shapes_dataset(data, classes=("circle",), per_class=10)
    events = list(fit(TrainConfig(data_dir=str(data), out_dir=str(tmp_path / "run"), epochs=1)))
    assert events[-1].status == "failed"
    assert words in events[-1].reason.lower() or words in events[-1].reason


def test_diverging_loss_stops_with_a_clear_message(shapes_data, tmp_path):
    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=str(tmp_path / "run"),
        arch="simple_cnn",  # no batch norm: at the largest allowed rate its loss explodes
        epochs=3,
        batch_size=16,
        lr=10.0,
        optimizer="sgd",
        schedule="constant",  # full rate from the first step (a warm-up would start gently)
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    finished = list(fit(cfg))[-1]
    assert finished.status == "failed"
    assert "Lower Learning rate (--lr)" in finished.reason  # names the control and the flag


def test_early_stopping(shapes_data, tmp_path):
    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=str(tmp_path / "run"),
        epochs=40,
        batch_size=16,
        lr=1e-7,
        schedule="constant",
        early_stopping_patience=2,
        device="cpu",
    )
    finished = list(fit(cfg))[-1]
    assert finished.status == "early_stopped"
    assert finished.epochs_completed < 40


def test_stop_during_validation_does_not_wait_for_it(shapes_data, tmp_path):
    import torch

    control = RunControl()
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(tmp_path / "run"), epochs=5, batch_size=16, device="cpu"
    )
    events = []
    for event in fit(cfg, control):
        events.append(event)
        if isinstance(event, StepEnded) and event.step == event.steps_per_epoch - 1:
            control.request_stop()  # the epoch's training is over; validation comes next
    assert events[-1].status == "stopped"
    assert not _of(events, EpochEnded)  # validation was abandoned, not finished
    ckpt = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)
    assert ckpt["next_epoch"] == 0  # never validated: resuming repeats the epoch


def test_out_of_memory_at_every_batch_size_ends_with_advice(shapes_data, tmp_path, monkeypatch):
    import torch

    import core.train.train_step

    def out_of_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(core.train.train_step, "augment_batch", out_of_memory)
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(tmp_path / "run"), epochs=1, batch_size=64, device="cpu"
    )
    events = list(fit(cfg))
    finished = events[-1]
    assert finished.status == "failed"
    assert "out of memory even at batch size 1" in finished.reason
    assert "lower Image size (--image-size)" in finished.reason  # names control and flag
    halved = [e.text for e in _of(events, LogMessage) if "ran out of memory at batch" in e.text]
    assert [t.split("batch size ")[1].split(":")[0] for t in halved] == [
        "64", "32", "16", "8", "4", "2"
    ]  # fmt: skip


def test_resume_with_new_batch_size_and_lr_trains_at_the_new_rate(shapes_data, tmp_path):
    out = str(tmp_path / "run")
    base = dict(data_dir=shapes_data, out_dir=out, device="cpu", schedule="constant")
    list(fit(TrainConfig(**base, epochs=2, batch_size=8, lr=1e-3)))
    events = list(fit(TrainConfig(**base, epochs=3, batch_size=32, lr=5e-3, resume=True)))
    assert events[-1].status == "completed", events[-1].reason
    (epoch,) = _of(events, EpochEnded)
    assert epoch.lr == pytest.approx(5e-3)  # not 0, not the old rate


def test_resume_refuses_another_architecture_in_one_line(shapes_data, tmp_path):
    out = str(tmp_path / "run")
    base = dict(data_dir=shapes_data, out_dir=out, device="cpu", batch_size=16)
    list(fit(TrainConfig(**base, epochs=1, arch="loupe_net")))
    finished = list(fit(TrainConfig(**base, epochs=2, arch="simple_cnn", resume=True)))[-1]
    assert finished.status == "failed"
    assert "simple_cnn" in finished.reason and "\n" not in finished.reason
    # ... and the run is untouched: a plain resume still works.
    again = list(fit(TrainConfig(**base, epochs=2, arch="loupe_net", resume=True)))[-1]
    assert again.status == "completed", again.reason


def test_training_into_a_finished_run_without_resume_is_refused(shapes_data, tmp_path):
    out = str(tmp_path / "run")
    cfg = TrainConfig(data_dir=shapes_data, out_dir=out, device="cpu", batch_size=16, epochs=1)
    list(fit(cfg))
    before = open(os.path.join(out, "model.safetensors"), "rb").read()
    finished = list(fit(cfg))[-1]
    assert finished.status == "failed" and "--resume" in finished.reason
    assert open(os.path.join(out, "model.safetensors"), "rb").read() == before


def test_a_run_of_hours_is_announced_early(shapes_data, tmp_path, monkeypatch):
    import core.train.run_summary

    monkeypatch.setattr(
        core.train.run_summary, "LONG_RUN_SECONDS", 0.01
    )  # "hours" for this tiny run
    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=str(tmp_path / "run"),
        epochs=3,
        batch_size=16,
        device="cpu",
        cpu_threads=1,
    )
    events = list(fit(cfg))
    warnings = [e.text for e in _of(events, LogMessage) if "more hours" in e.text]
    assert len(warnings) == 1
    first_epoch_end = events.index(_of(events, EpochEnded)[0])
    assert events.index(next(e for e in _of(events, LogMessage) if "more hours" in e.text)) <= (
        first_epoch_end + 2
    )
