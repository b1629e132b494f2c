"""config.json names the run's folders absolutely, however they were typed: `python main.py
train data --out run` from the dataset's parent wrote "data_dir": "data", which the window
(another working folder) and later commands read as some other folder: Resume / extend, Add
to dataset (README: "copied ... into the dataset the model was trained on"), doctor --run and
export's parity images all go by config.json."""

from __future__ import annotations

import json
import os

from core.events import RunFinished
from core.files.add_to_dataset import training_data_dir
from core.train.config import TrainConfig, resume_config
from core.train.loop import fit
from core.train.unlabelled_config import UnlabelledConfig
from tests.core.image_factory import make_shapes_dataset


def test_a_run_started_with_relative_paths_records_them_absolutely(tmp_path, monkeypatch):
    make_shapes_dataset(tmp_path / "data", classes=("circle", "square"), per_class=6, size=16)
    (tmp_path / "unlabelled").mkdir()
    make_shapes_dataset(tmp_path / "unlabelled" / "u", classes=("x",), per_class=4, size=16)
    monkeypatch.chdir(tmp_path)
    cfg = TrainConfig(
        data_dir="data", out_dir="run", arch="simple_cnn", image_size=16, epochs=1,
        batch_size=4, device="cpu", cpu_threads=1, prediction_samples=0,
        unlabelled=UnlabelledConfig(folder="unlabelled"),
    )  # fmt: skip
    finished = list(fit(cfg))[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed", finished.reason

    monkeypatch.chdir(tmp_path / "unlabelled")  # the window, or a shell somewhere else
    run = str(tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["data_dir"] == str(tmp_path / "data")
    assert saved["out_dir"] == run
    assert saved["unlabelled"]["folder"] == str(tmp_path / "unlabelled")
    assert training_data_dir(run) == str(tmp_path / "data")
    assert os.path.samefile(resume_config(run).data_dir, tmp_path / "data")
