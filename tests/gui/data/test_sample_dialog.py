"""File → Get a sample dataset… and the Data page's "Try a sample dataset": written with
progress on a background job, then opened; offline, one sentence and a file chooser."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QPushButton

from core.data import samples
from gui.data import sample_dialog
from gui.data.sample_dialog import SampleDatasetDialog
from tests.core.data.test_samples import tiny_mnist_archive
from tests.gui.helpers import make_window


def test_demo_dataset_is_written_with_progress_and_reported(qtbot, tmp_path):
    dialog = SampleDatasetDialog(None, "demo")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.destination_edit.setText(str(tmp_path / "demo"))
    assert not dialog.from_edit.isVisibleTo(dialog)  # the demo needs no file
    seen = []
    dialog.runner.event.connect(lambda e: seen.append(type(e).__name__))
    with qtbot.waitSignal(dialog.datasetReady, timeout=60_000) as ready:
        dialog.get_button.click()
        assert not dialog.get_button.isEnabled() and dialog.progress.isVisible()
    assert ready.args == [str(tmp_path / "demo")]
    assert "SampleProgress" in seen
    for split in ("train", "test"):
        assert sorted(os.listdir(tmp_path / "demo" / split)) == list(samples.DEMO_CLASSES)


def test_offline_says_so_and_a_downloaded_file_works(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(samples, "is_online", lambda url: False)
    monkeypatch.setattr(samples, "torchvision_root", lambda: str(tmp_path / "tv"))
    dialog = SampleDatasetDialog(None, "mnist")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.destination_edit.setText(str(tmp_path / "mnist"))
    assert dialog.from_edit.isVisible() and dialog.from_browse.isVisible()
    with qtbot.waitSignal(dialog.runner.event, timeout=30_000, check_params_cb=_ended):
        dialog.get_button.click()
    assert dialog.status.text().startswith(
        "Cannot download MNIST: this computer seems to be offline."
    )
    assert dialog.get_button.isEnabled() and dialog.isVisible()
    archive = tmp_path / "mnist.tar.gz"
    tiny_mnist_archive(archive)
    monkeypatch.setattr(
        sample_dialog.QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), "")
    )
    dialog.from_browse.click()
    assert dialog.from_edit.text() == str(archive)
    with qtbot.waitSignal(dialog.datasetReady, timeout=30_000):
        dialog.get_button.click()
    assert len(list((tmp_path / "mnist" / "train").rglob("*.png"))) == 12


def _ended(event: object) -> bool:
    return type(event).__name__ == "JobEnded"


def test_window_offers_samples_in_the_file_menu_and_on_the_empty_data_page(
    qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(sample_dialog, "SAMPLES_FOLDER", str(tmp_path / "samples"))
    window = make_window(qtbot, tmp_path)
    file_menu = window.menuBar().actions()[0].menu()
    assert "Get a &sample dataset…" in [a.text() for a in file_menu.actions()]
    button = window.dataset_view.empty_state.findChild(QPushButton, "trySampleButton")
    assert button.isVisible() and button.text() == "Try a sample dataset"
    with qtbot.waitSignal(window.dataset_view.datasetLoaded, timeout=90_000) as loaded:
        button.click()
    assert loaded.args[0] == str(tmp_path / "samples" / "demo")
    assert loaded.args[1].class_names == list(samples.DEMO_CLASSES)
