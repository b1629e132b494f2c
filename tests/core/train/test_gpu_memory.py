"""GPU memory across and within runs, tested on the CPU: the run gives its memory back when it
ends, an out-of-memory error with the cache on the GPU moves the cache to RAM and retries the
first epoch once, allocation failures of the CUDA libraries count as out of memory."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

import core.train.labelled_data
import core.train.loop
import core.train.oom_retry
import core.train.setup
import core.train.train_step
from core.data.batches import CachedSource
from core.events import EpochEnded, LogMessage
from core.train.config import TrainConfig
from core.train.labelled_data import cached_source
from core.train.loop import fit


def _config(data: str, out, **overrides) -> TrainConfig:
    base = dict(epochs=2, batch_size=16, device="cpu", cpu_threads=1, mixed_precision="off")
    return TrainConfig(data_dir=data, out_dir=str(out), **{**base, **overrides})


def test_a_finished_run_gives_its_memory_back(shapes_data, tmp_path, monkeypatch):
    models = []
    build = core.train.setup.build_model

    def build_and_watch(*args, **kwargs):
        model = build(*args, **kwargs)
        models.append(weakref.ref(model))
        return model

    released = []

    def release(dev):
        gc.collect()
        released.append((dev, [ref() is None for ref in models]))

    monkeypatch.setattr(core.train.setup, "build_model", build_and_watch)
    monkeypatch.setattr(core.train.loop, "release_memory", release)
    events = list(fit(_config(shapes_data, tmp_path / "run", epochs=1)))
    assert events[-1].status == "completed"
    # Released once, after the model (and with it the GPU's copy) was no longer referenced.
    assert released == [(torch.device("cpu"), [True])]


def _inject_oom(monkeypatch, at_call: int, error: Exception) -> list[int]:
    calls = [0]
    augment = core.train.train_step.augment_batch

    def augment_or_fail(*args, **kwargs):
        calls[0] += 1
        if calls[0] == at_call:
            raise error
        return augment(*args, **kwargs)

    monkeypatch.setattr(core.train.train_step, "augment_batch", augment_or_fail)
    return calls


def _treat_the_ram_cache_as_gpu_cache(monkeypatch) -> list[torch.device]:
    """This machine has no GPU: the CPU-stored cache stands in for one on the GPU."""
    moves = []
    monkeypatch.setattr(
        core.train.oom_retry,
        "gpu_cached_sources",
        lambda setup: [s for s in (setup.train, setup.val) if isinstance(s, CachedSource)],
    )
    move_to = CachedSource.move_to
    monkeypatch.setattr(
        CachedSource, "move_to", lambda self, where: moves.append(where) or move_to(self, where)
    )
    return moves


def test_oom_in_the_first_epoch_moves_the_cache_to_ram_and_retries_the_same_epoch(
    shapes_data, tmp_path, monkeypatch
):
    clean = list(fit(_config(shapes_data, tmp_path / "clean")))
    moves = _treat_the_ram_cache_as_gpu_cache(monkeypatch)
    _inject_oom(monkeypatch, 3, torch.cuda.OutOfMemoryError("CUDA out of memory."))
    retried = list(fit(_config(shapes_data, tmp_path / "retried")))
    assert retried[-1].status == "completed", retried[-1].reason
    # Train and validation caches: stored when made, then moved by the retry.
    assert moves == [torch.device("cpu")] * 4
    warnings = [e.text for e in retried if isinstance(e, LogMessage) and e.level == "warning"]
    assert any("moved the cache to RAM" in w and "epoch 1 again" in w for w in warnings)
    # The retried epoch starts from the state the run started with: the same run results.
    losses = [
        [loss for e in run if isinstance(e, EpochEnded) for loss in (e.train_loss, e.val_loss)]
        for run in (clean, retried)
    ]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    # The abandoned attempt's steps left the curve: the global step only goes forward.
    rows = (tmp_path / "retried" / "steps.csv").read_text().splitlines()[1:]
    global_steps = [int(row.split(",")[2]) for row in rows]
    assert global_steps == sorted(set(global_steps))


@pytest.mark.parametrize(
    "error",
    [
        torch.cuda.OutOfMemoryError("CUDA out of memory."),
        RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"),
    ],
)
def test_oom_after_the_first_epoch_halves_the_batch_instead(
    shapes_data, tmp_path, monkeypatch, error
):
    """The cache retry only covers the first epoch; later, core.train.batch_backoff takes
    the error (cuBLAS's allocation failure included) and the run goes on."""
    _treat_the_ram_cache_as_gpu_cache(monkeypatch)
    steps_per_epoch = 6  # 72 training images, batch 16
    _inject_oom(monkeypatch, steps_per_epoch + 2, error)  # in the second epoch: no retry
    events = list(fit(_config(shapes_data, tmp_path / "run", batch_size=16)))
    assert events[-1].status == "completed", events[-1].reason
    said = [e.text for e in events if isinstance(e, LogMessage) and "out of memory" in e.text]
    assert len(said) == 1 and "batch size 16" in said[0] and "batch size 8" in said[0]


def test_oom_while_uploading_the_cache_keeps_it_in_ram(monkeypatch):
    move_to = CachedSource.move_to

    def no_room_on_the_gpu(self, where):
        if where.type == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
        move_to(self, where)

    monkeypatch.setattr(CachedSource, "move_to", no_room_on_the_gpu)
    monkeypatch.setattr(core.train.labelled_data, "release_memory", lambda dev: None)
    images = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    source = cached_source(
        images, [0, 1, 0, 1], list("abcd"), torch.device("cuda"), torch.device("cpu")
    )
    assert source.storage == torch.device("cpu") and source.images.shape == (4, 8, 8, 3)
