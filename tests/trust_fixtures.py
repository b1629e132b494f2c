"""`split_run`, shared by the core and GUI tests of evaluation, export and explanations
(registered in tests/conftest.py): a run trained once on a train/val/test dataset, whose
test split was evaluated at the end of training. Afterwards the test folder gains
mislabelled images and an unknown class (training never saw test/: the run is unchanged)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.core.image_factory import make_shapes_dataset


@pytest.fixture(scope="session")
def split_run(tmp_path_factory):
    from core.train.config import TrainConfig
    from core.train.loop import fit

    base = tmp_path_factory.mktemp("trust")
    data = make_shapes_dataset(
        base / "data", per_class=16, size=32, split=True, val_per_class=6, test_per_class=6, seed=5
    )
    run = base / "run"
    cfg = TrainConfig(
        data_dir=str(data),
        out_dir=str(run),
        epochs=2,
        batch_size=16,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    events = list(fit(cfg))
    assert events[-1].status == "completed", events[-1].reason
    test = Path(data) / "test"
    # Mislabelled test images: the model is (rightly) wrong about them.
    for i in range(3):
        shutil.copy(test / "circle" / f"circle_{i:03d}.png", test / "square" / f"moved_{i}.png")
    # A class the model never learnt.
    (test / "hexagon").mkdir()
    for i in range(2):
        shutil.copy(test / "triangle" / f"triangle_{i:03d}.png", test / "hexagon" / f"h_{i}.png")
    return data, run, events
