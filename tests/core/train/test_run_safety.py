"""A run folder tells the truth: one writer at a time, nothing left by a start that failed,
run.json never left at "running", a full disk named (issue 8, items 4, 6 and 7)."""

from __future__ import annotations

import errno
import json
import os

import pytest

from core.events import EpochEnded, RunFinished, StepEnded
from core.files.run_folder import RunFolder, read_run_summary
from core.files.run_lock import RunLock
from core.train.config import TrainConfig
from core.train.loop import fit
from tests.core.image_factory import make_image
from tests.core.run_factory import file_bytes, make_run_folder

FAST = dict(
    arch="loupe_net",
    epochs=1,
    batch_size=16,
    image_size=16,
    cpu_threads=1,
    mixed_precision="off",
    device="cpu",
)


def _config(data, out, **values) -> TrainConfig:
    return TrainConfig(data_dir=str(data), out_dir=str(out), **{**FAST, **values})


def test_a_locked_run_folder_refuses_a_second_run_and_stays_as_it_was(shapes_data, tmp_path):
    run = make_run_folder(tmp_path / "run")
    (run / "last.ckpt").write_bytes(b"the first run's checkpoint")
    before = file_bytes(run)
    first = RunLock.acquire(str(run))  # the first trainer, mid-run
    try:
        finished = list(fit(_config(shapes_data, run, resume=True)))[-1]
    finally:
        first.release()
    assert finished.status == "failed" and "in use by another Loupe run" in finished.reason
    assert file_bytes(run) == before  # not one byte of the first run's files changed


@pytest.mark.parametrize("problem", ["one class", "bad value"])
def test_a_failed_start_leaves_no_run_folder(tmp_path, problem):
    data = tmp_path / "data"
    make_image(data / "only" / "a.png")  # one class: the scan refuses it
    out = tmp_path / "new"
    values = {"batch_size": 0} if problem == "bad value" else {}
    finished = list(fit(_config(data, out, **values)))[-1]
    assert finished.status == "failed"
    assert sorted(os.listdir(tmp_path)) == ["data"]  # no folder holding only run.json


def test_a_new_run_refuses_a_folder_holding_other_files_and_adds_nothing(shapes_data, tmp_path):
    # A run into an existing folder replaced the user's own config.json (audit, session 7).
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    (out / "config.json").write_text('{"mine": 1}')
    (out / ".DS_Store").write_bytes(b"")  # a file manager's litter does not count
    before = file_bytes(out)
    finished = list(fit(_config(shapes_data, out)))[-1]
    assert finished.status == "failed"
    assert "already holds other files (.DS_Store" not in finished.reason
    assert f"{out} already holds other files (config.json, notes.txt)" in finished.reason
    assert file_bytes(out) == before and sorted(os.listdir(out)) == sorted(before)


def test_a_new_run_into_an_earlier_runs_folder_points_to_resume(shapes_data, tmp_path):
    run = make_run_folder(tmp_path / "run")  # an earlier run (no model: it failed early)
    (run / "model.safetensors").unlink(missing_ok=True)
    before = file_bytes(run)
    finished = list(fit(_config(shapes_data, run)))[-1]
    assert finished.status == "failed" and "already holds a run: continue it with --resume" in (
        finished.reason
    )
    assert file_bytes(run) == before


def test_a_new_run_into_an_empty_existing_folder_trains(shapes_data, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    finished = list(fit(_config(shapes_data, out)))[-1]
    assert finished.status == "completed", finished.reason


def test_a_refused_resume_keeps_the_runs_own_record(shapes_data, tmp_path):
    run = make_run_folder(tmp_path / "run")  # a finished run without last.ckpt
    before = file_bytes(run)
    finished = list(fit(_config(shapes_data, run, resume=True)))[-1]
    assert finished.status == "failed" and "last.ckpt does not exist" in finished.reason
    assert file_bytes(run) == before  # run.json still says "completed"


def test_ctrl_c_marks_the_run_interrupted_and_releases_the_folder(shapes_data, tmp_path):
    out = tmp_path / "run"
    events = fit(_config(shapes_data, out))
    for event in events:
        if isinstance(event, StepEnded):
            break  # the consumer was interrupted mid-epoch (KeyboardInterrupt in the CLI)
    events.close()
    summary = read_run_summary(str(out))
    assert summary["status"] == "interrupted"
    assert summary["reason"] == "Interrupted during epoch 1; no model was saved."
    RunLock.acquire(str(out)).release()  # nobody holds the folder any more


def test_a_full_disk_is_named_with_the_file_and_what_to_do(shapes_data, tmp_path, monkeypatch):
    out = tmp_path / "run"

    def disk_full(self, row):
        target = self.file("metrics.csv")
        with open(target + ".probe", "w") as f:  # a real write error from the OS layer
            f.write("x")
        os.remove(target + ".probe")
        raise OSError(errno.ENOSPC, "No space left on device", target)

    monkeypatch.setattr(RunFolder, "add_epoch", disk_full)
    events = list(fit(_config(shapes_data, out)))
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "failed"
    assert finished.reason == (
        f"Cannot write {out / 'metrics.csv'}: disk is full. Free some space on that disk, "
        "then continue the run with resume."
    )
    assert any(isinstance(e, EpochEnded) for e in events)
    assert json.loads((out / "run.json").read_text())["status"] == "failed"
