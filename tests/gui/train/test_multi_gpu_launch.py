"""'All N GPUs' from the window: with two GPUs (faked: this machine has none) the device list
offers "All 2 GPUs"; Train then runs `torch.distributed.run --nproc-per-node 2 main.py train`
in other processes, whose events fill the same dashboard, and closing the window ends every
one of them. The processes train on the CPU (gloo) in place of the GPUs: the page's
`multi_gpu_fit` seam is given worker_device="cpu"."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import os
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from core.device import list_devices
from core.train.child_run import distributed_fit
from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import make_window, processes_mentioning

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")


@pytest.fixture
def two_gpus(monkeypatch):
    """torch sees two supported GPUs (only what the device list and the process count ask)."""
    props = type("Props", (), {"name": "Fake GPU", "total_memory": 24 * 2**30})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda dev: props)
    monkeypatch.setattr("core.device.unsupported_gpu_reason", lambda index: None)


def _epochs_plotted(dashboard) -> int:
    x = dashboard.plots.curves["val_acc"].xData
    return 0 if x is None else len(x)


def _choose_dataset(qtbot, window, path: Path) -> None:
    edit = window.findChild(QLineEdit, "datasetPathEdit")
    edit.setText(str(path))
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.dataset_view.current_path() != "", timeout=20_000)


def test_all_2_gpus_trains_in_two_processes_and_closing_ends_them(
    qtbot, tmp_path, monkeypatch, two_gpus
):
    data = make_shapes_dataset(tmp_path / "shapes", per_class=13, size=16)  # 39 images
    window = make_window(qtbot, tmp_path)
    page = window.train_page
    page.multi_gpu_fit = functools.partial(distributed_fit, worker_device="cpu")
    _choose_dataset(qtbot, window, data)
    panel = page.settings_panel
    panel.restore({"values": {"arch": "simple_cnn", "epochs": 500, "batch_size": 8,
                              "image_size": 16}})  # fmt: skip
    build = panel.build_config
    monkeypatch.setattr(
        panel,
        "build_config",
        lambda d, o: dataclasses.replace(build(d, o), cpu_threads=1, prediction_samples=8),
    )

    panel.set_devices(list_devices())
    combo = window.findChild(QComboBox, "deviceCombo")
    assert [combo.itemText(i) for i in range(combo.count())][-2:] == ["All 2 GPUs", "CPU (" +
        f"{os.cpu_count()} cores)"]  # fmt: skip
    combo.setCurrentIndex(combo.findText("All 2 GPUs"))
    assert panel.build_config("d", "o").device == "cuda:all"

    dash = page.dashboard
    dash.train_button.click()
    workspace = str(tmp_path / "workspace")
    qtbot.waitUntil(lambda: _epochs_plotted(dash) >= 2, timeout=120_000)
    # A launcher and two training processes, each told its own run folder.
    assert len(processes_mentioning(f"--out {workspace}")) == 3
    assert "Training in 2 processes" in dash.log.toPlainText()
    assert " · 2 × CPU (" in dash.run_info.full_text()  # one device per process
    assert dash.grid.source_model.rowCount() > 0 and dash.matrix.model().rowCount() == 3

    assert window.close()  # stops the run and waits for its end
    assert not page.runner.is_running()
    assert dash.status_label.text().startswith("stopped"), dash.status_label.text()
    assert processes_mentioning(f"--out {workspace}") == []
    (run_dir,) = [p for p in Path(workspace).iterdir() if p.is_dir()]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "stopped"
    assert json.loads((run_dir / "config.json").read_text())["world_size"] == 2
    with open(run_dir / "metrics.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) >= 2  # one row per epoch, written once
    assert (run_dir / "model.safetensors").is_file() and (run_dir / "last.ckpt").is_file()
