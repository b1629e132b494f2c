"""TrainPageModel without Qt: when Train may start, why not, and when the banner goes; what a
run that ended offers next."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.data.datasets import DatasetReport
from core.events import RunFinished
from core.train.config import TrainConfig
from gui.train.train_page_model import (
    NO_DATASET,
    STILL_SCANNING,
    NextSteps,
    TrainPageModel,
    next_steps_for,
)

ROOT = Path(__file__).resolve().parents[3]


def _report(size: tuple[int, int]) -> DatasetReport:
    return DatasetReport("/data/cats", "flat", ["a", "b"], {}, median_size=size)


def test_train_is_refused_without_a_dataset_and_while_a_new_one_is_scanned():
    model = TrainPageModel("/ws")
    assert model.refusal([]).text == NO_DATASET
    model.scan_started()
    assert model.refusal([]).text == STILL_SCANNING
    assert model.dataset_loaded("/data/cats", _report((32, 32))) is False  # nothing on show
    assert model.refusal([]) is None
    model.scan_started()  # another folder: the old dataset must not be trained by surprise
    assert model.refusal([]).reason == "dataset"


def test_the_dataset_refusal_goes_once_a_dataset_is_loaded():
    model = TrainPageModel("/ws")
    model.refused(model.refusal([]))
    assert model.dataset_loaded("/data/cats", _report((32, 32))) is True
    assert model.refusal_reason == ""


def test_problems_refusal_lists_what_is_left_until_all_are_fixed():
    model = TrainPageModel("/ws")
    model.dataset_loaded("/data/cats", _report((32, 32)))
    refusal = model.refusal(["first thing", "second thing"])
    assert refusal.reason == "problems" and "• second thing" in refusal.text
    model.refused(refusal)
    assert "second thing" not in model.settings_changed(["first thing"]).text
    assert model.settings_changed([]) is None and model.refusal_reason == ""


def test_a_failed_scan_forgets_the_previous_dataset():
    model = TrainPageModel("/ws")
    model.dataset_loaded("/data/cats", _report((96, 96)))
    model.dataset_failed()
    assert model.dataset_report is None and model.refusal([]).text == NO_DATASET


def test_a_new_run_gets_a_fresh_folder_named_after_the_dataset_and_architecture(tmp_path):
    model = TrainPageModel(str(tmp_path))
    model.dataset_loaded("/data/cats", _report((32, 32)))
    config = model.run_config(TrainConfig(data_dir="/data/cats", out_dir="", arch="auto"))
    assert Path(config.out_dir).parent == tmp_path
    assert config.out_dir.endswith("-cats-loupe_net_slim")  # 32 px, few images


def test_the_page_models_import_no_qt():
    code = (
        "import sys; import gui.train.train_page_model; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _finished(status: str, model: bool, verdict: str = "") -> RunFinished:
    model_path = "/ws/run/model.safetensors" if model else None
    return RunFinished(status, "why", "/ws/run", 1, 0.5, 0, model_path, verdict=verdict)


def test_a_run_that_saved_a_model_offers_it_next_and_says_when_it_only_guesses():
    for status in ("completed", "early_stopped", "stopped"):
        assert next_steps_for(_finished(status, model=True)) == NextSteps("/ws/run", "")
    guessing = next_steps_for(_finished("completed", model=True, verdict="This model is guessing"))
    assert guessing == NextSteps("/ws/run", "This model is guessing")


def test_a_run_without_a_model_or_that_failed_offers_nothing():
    assert next_steps_for(_finished("stopped", model=False)) is None  # before its first epoch
    assert next_steps_for(_finished("failed", model=False)) is None
    assert next_steps_for(_finished("failed", model=True)) is None
