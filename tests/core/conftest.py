"""Shared core fixtures: a tiny learnable dataset and one trained run, made once per session."""

from __future__ import annotations

import pytest

from tests.core.image_factory import make_shapes_dataset


@pytest.fixture(scope="session")
def shapes_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes") / "data"
    return str(make_shapes_dataset(root, per_class=30, size=32, seed=1))


@pytest.fixture(scope="session")
def trained_run(shapes_data, tmp_path_factory):
    from core.train.config import TrainConfig
    from core.train.loop import fit

    out = str(tmp_path_factory.mktemp("runs") / "run")
    # One thread, fp32: the CPU tuner would choose by timing, and the accuracy thresholds
    # fed by this run would move with the machine's load.
    cfg = TrainConfig(
        data_dir=shapes_data,
        out_dir=out,
        epochs=6,
        batch_size=16,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    events = list(fit(cfg))
    assert events[-1].status == "completed", events[-1].reason
    return out, events
