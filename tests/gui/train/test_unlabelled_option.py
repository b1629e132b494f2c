"""The Train page's "Also learn from unlabelled images" option: a folder chooser that says
what an empty choice means, a live check of the folder, and the choice reaching the run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QLabel, QLineEdit, QToolButton

from core.data.datasets import scan_dataset
from core.events import RunFinished
from gui.train.run_notice import RunNotice
from gui.train.train_page import TrainPage
from gui.train.unlabelled_section import CHOSEN_TEXT, EMPTY_TEXT, TITLE
from tests.core.image_factory import make_shapes_dataset


def test_the_chosen_folder_and_threshold_reach_the_run_config(qtbot, tmp_path, monkeypatch):
    data = make_shapes_dataset(tmp_path / "data", per_class=4, size=16)
    pool = make_shapes_dataset(tmp_path / "pool", per_class=2, size=16)
    page = TrainPage()
    qtbot.addWidget(page)
    page.set_workspace(str(tmp_path / "runs"))
    page.on_dataset_loaded(str(data), scan_dataset(str(data)).report)
    panel = page.settings_panel
    section = panel.sections["unlabelled"]
    assert section.button.text() == TITLE
    edit = panel.findChild(QLineEdit, "unlabelledFolderEdit")
    hint = panel.findChild(QLabel, "unlabelledHint")
    assert edit.text() == "" and hint.text() == EMPTY_TEXT  # the empty state says what it means
    assert edit.toolTip().startswith("Also learn from unlabelled images")

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(pool))
    panel.findChild(QToolButton, "unlabelledFolderBrowse").click()
    assert edit.text() == str(pool) and hint.text() == CHOSEN_TEXT
    panel.findChild(QDoubleSpinBox, "unlabelledThresholdSpin").setValue(90)  # shown in %

    started = []
    monkeypatch.setattr(page, "start_training", started.append)
    page.dashboard.trainRequested.emit()
    assert len(started) == 1
    assert started[0].unlabelled.folder == str(pool)
    assert started[0].unlabelled.threshold == 0.9
    assert started[0].data_dir == str(data)


def test_a_folder_without_images_is_listed_as_a_problem_before_training(qtbot, tmp_path):
    data = make_shapes_dataset(tmp_path / "data", per_class=4, size=16)
    empty = tmp_path / "empty"
    empty.mkdir()
    page = TrainPage()
    qtbot.addWidget(page)
    page.on_dataset_loaded(str(data), scan_dataset(str(data)).report)
    panel = page.settings_panel
    panel.findChild(QLineEdit, "unlabelledFolderEdit").setText(str(empty))
    problems = panel.problems()
    assert any(
        p.startswith("Unlabelled images (--unlabelled)") and str(empty) in p for p in problems
    )
    assert str(empty) in panel.problems_label.text()
    panel.findChild(QLineEdit, "unlabelledFolderEdit").clear()
    assert not any("unlabelled" in p.lower() for p in panel.problems())


@pytest.mark.parametrize(("with_them", "helped"), [(0.9, True), (0.7, False)])
def test_the_page_says_whether_the_unlabelled_images_helped(qtbot, with_them, helped):
    from core.train.semi_supervised import SemiSupervised

    said = SemiSupervised.verdict(SimpleNamespace(twin_best_acc=0.8), with_them)
    notice = RunNotice()
    qtbot.addWidget(notice)
    notice.on_run_finished(
        RunFinished(
            "completed", "Completed.", "run", 3, with_them, 2, None, unlabelled_verdict=said
        )
    )
    assert not notice.isHidden() and notice.property("kind") == "unlabelled"
    assert said in notice.text() and ("without them" in said)
    assert notice.text().startswith("⚠") is not helped
    if not helped:
        assert said.startswith("Unlabelled images did not improve validation accuracy (70.0% vs")
