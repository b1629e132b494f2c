"""benchmarks/cuda_check.py needs a GPU to do its work; what runs without one is checked here,
so that the script a GPU machine runs first is not broken on arrival."""

from __future__ import annotations

import pytest
import torch

from benchmarks import cuda_check
from benchmarks.cuda_check_runs import SyncCounter


def test_help_names_the_exit_status(capsys):
    with pytest.raises(SystemExit) as exit_:
        cuda_check.parse_args(["--help"])
    assert exit_.value.code == 0
    assert "3 no CUDA GPU" in capsys.readouterr().out


def test_checks_can_be_chosen_and_an_unknown_one_is_refused(capsys):
    assert cuda_check.parse_args([]).checks == list(cuda_check.CHECKS)
    assert cuda_check.parse_args(["--only", "sync,oom", "--quick"]).checks == ["sync", "oom"]
    with pytest.raises(SystemExit) as exit_:
        cuda_check.parse_args(["--only", "syncs"])
    assert exit_.value.code == 2
    assert "unknown check(s) syncs" in capsys.readouterr().err


def test_without_a_gpu_it_says_so_and_exits_3(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cuda_check.main(["--quick"]) == cuda_check.EXIT_NO_GPU == 3
    assert capsys.readouterr().out.startswith("no CUDA GPU: skipped")


class RunStarted:
    steps_per_epoch = 10


class EpochEnded:
    pass


class CheckpointSaved:
    def __init__(self, kind: str) -> None:
        self.kind = kind


def test_sync_counter_leaves_out_the_first_epoch_and_splits_by_phase():
    counter = SyncCounter()
    evaluate = counter.wrap_evaluate(lambda model, source, batch_size: counter._count())
    counter.on_event(RunStarted())
    counter._count()  # epoch 1: cuDNN autotuning, first allocations
    evaluate(None, range(100), 32)
    for _epoch in range(2):
        counter.on_event(EpochEnded())
        counter._count()  # writing the checkpoint (the first epoch's is left out too)
        counter.on_event(CheckpointSaved("best"))
        counter.on_event(CheckpointSaved("last"))
        counter._count()  # a progress report
        evaluate(None, range(100), 32)  # 4 batches, 1 sync
    counter.on_event(EpochEnded())
    assert (counter.train, counter.val, counter.epoch_end) == (2, 2, 1)
    assert (counter.steps, counter.val_batches) == (20, 8)
