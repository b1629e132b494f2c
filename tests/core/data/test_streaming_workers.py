"""Streaming loader workers: started once per run for validation too (not forked anew every
epoch from a process holding a CUDA context and Qt threads), and a stuck worker becomes a
readable error instead of a hang."""

from __future__ import annotations

import time

import pytest
import torch

import core.data.batches as batches
from core.data.batches import StreamingSource
from core.data.datasets import Sample
from core.errors import LoupeError
from tests.core.image_factory import make_shapes_dataset


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> list[Sample]:
    root = make_shapes_dataset(tmp_path_factory.mktemp("stream") / "data", per_class=4, size=16)
    files = sorted(p for p in root.rglob("*.png"))
    return [Sample(str(p), i % 3) for i, p in enumerate(files)]


def _pids(source: StreamingSource, batch_size: int) -> list[int]:
    iterator = source._loaders[(batch_size, False)]._iterator
    return [w.pid for w in iterator._workers]


def test_validation_workers_live_through_the_run(samples):
    source = StreamingSource(samples, 16, "crop", torch.device("cpu"), workers=1)
    try:
        first = [len(b[2]) for b in source.batches(4, shuffle=False, gen=None)]
        workers = _pids(source, 4)
        second = [len(b[2]) for b in source.batches(4, shuffle=False, gen=None)]
        assert first == second and sum(first) == len(samples)
        assert _pids(source, 4) == workers  # the same process answered both epochs
    finally:
        source.close()


def test_a_stuck_worker_is_an_error_not_a_hang(samples, monkeypatch):
    monkeypatch.setattr(batches, "WORKER_TIMEOUT_S", 1)
    # Inherited by the forked worker: it never delivers its batch.
    monkeypatch.setattr(batches._FileDataset, "__getitem__", lambda self, i: time.sleep(2.5))
    source = StreamingSource(samples, 16, "crop", torch.device("cpu"), workers=1)
    try:
        with pytest.raises(LoupeError, match="No images arrived .* for 1 s"):
            next(source.batches(4, shuffle=False, gen=None))
    finally:
        source.close()
