"""Shared fixtures and helpers for GUI tests (import what you need into your test module).

    from tests.gui.helpers import shapes_dataset, trained_run_dir, tiny_config, make_window

Fixtures:
    shapes_dataset    a learnable 3-class dataset of 32 px shapes (12 per class) in tmp_path
    trained_run_dir   a run folder with model.safetensors, metrics.csv, evaluation.json ...
                      trained once per test session (2 epochs of simple_cnn, ~1 s after torch)
Helpers:
    tiny_config(data_dir, out_dir, **overrides) -> TrainConfig   (fast, deterministic)
    make_window(qtbot, tmp_path, load_torch=False) -> MainWindow (isolated settings + workspace)
    run_tiny_training(data_dir, out_dir, **overrides) -> list of events (no Qt)
    folder_drop(path) -> QDropEvent                              (a file manager's drop)
    processes_mentioning(text) -> pids of running processes whose command line holds text"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from core.train.config import TrainConfig
from tests.core.image_factory import make_shapes_dataset

TINY = dict(
    arch="simple_cnn",
    epochs=2,
    batch_size=8,
    image_size=32,
    cpu_threads=1,  # no thread-count probing: fast and steady on shared 2-core machines
    num_workers=0,
    prediction_samples=12,
    mixed_precision="off",
    device="cpu",
    seed=0,
)


def tiny_config(data_dir: str | Path, out_dir: str | Path, **overrides: Any) -> TrainConfig:
    return TrainConfig(data_dir=str(data_dir), out_dir=str(out_dir), **{**TINY, **overrides})


def make_tiny_config(config: TrainConfig, **overrides: Any) -> TrainConfig:
    """Force an existing config (e.g. from the settings panel) onto the fast tiny settings."""
    return dataclasses.replace(config, **{**TINY, **overrides})


def run_tiny_training(data_dir: str | Path, out_dir: str | Path, **overrides: Any) -> list:
    from core.train.loop import fit

    return list(fit(tiny_config(data_dir, out_dir, **overrides)))


@pytest.fixture
def shapes_dataset(tmp_path: Path) -> Path:
    return make_shapes_dataset(tmp_path / "shapes", per_class=12, size=32)


@pytest.fixture(scope="session")
def trained_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished run, shared read-only by the whole session (copy it before changing it)."""
    root = tmp_path_factory.mktemp("trained")
    data = make_shapes_dataset(root / "shapes", per_class=12, size=32)
    run_dir = root / "workspace" / "20240101-120000-shapes-simple_cnn"
    events = run_tiny_training(data, run_dir)
    finished = events[-1]
    assert finished.status == "completed", finished.reason
    assert (run_dir / "model.safetensors").is_file()
    return run_dir


def make_window(qtbot: Any, tmp_path: Path, load_torch: bool = False):
    """A MainWindow with its own settings file and workspace under tmp_path, shown, and set
    to answer "stop training and close?" with yes."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore

    store = SettingsStore(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    if not store.qsettings.value("runs/workspace"):
        store.set_workspace(str(tmp_path / "workspace"))
    window = MainWindow(store, load_torch=load_torch)
    window.confirm_close = lambda: True
    qtbot.addWidget(window)
    window.show()
    return window


def folder_drop(path: str | Path):
    """The drop event of `path` dragged from a file manager, for a widget's dropEvent()."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    # The event does not own its mime data: keep it alive as long as the event.
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    event._mime = mime
    return event


def processes_mentioning(text: str) -> list[int]:
    """Running processes whose command line contains `text` (zombies do not run; Linux)."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in cmdline and state != b"Z":
            found.append(int(name))
    return found


def answer_questions(monkeypatch: Any, choice: str) -> list[str]:
    """Every QMessageBox run with exec() is answered by clicking its button labelled `choice`;
    returns the texts of the questions asked, in order."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text())
        next(b for b in box.buttons() if b.text() == choice).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown
