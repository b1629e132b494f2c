"""The Data page went stale after Classify → "Add N images to dataset as ▸ class": it showed
the old counts until Enter was pressed in the path box. Now the window hands the folders a
sort, an undo or an add changed to the Data page, which scans its dataset again when they
are part of it."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

from gui.data.data_page_model import DataPageModel
from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import make_window


def test_the_page_model_knows_which_folders_are_its_dataset(tmp_path):
    page = DataPageModel()
    data = tmp_path / "data"
    (data / "train" / "cat").mkdir(parents=True)
    assert not page.changed_by([str(data)])  # no dataset on show
    page.scan = SimpleNamespace(report=SimpleNamespace(root=str(data)))
    assert page.changed_by([str(data)])
    assert page.changed_by([str(tmp_path / "elsewhere"), str(data / "train" / "cat")])
    assert not page.changed_by([str(tmp_path / "data-sorted"), str(tmp_path)])


def test_the_data_page_rescans_when_classify_changed_its_dataset(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    data = make_shapes_dataset(tmp_path / "shapes", per_class=4, size=32)
    with qtbot.waitSignal(window.dataset_view.datasetLoaded, timeout=20_000):
        window.load_dataset(str(data))
    assert window.dataset_view.summary_label.text().startswith("12 images")

    shutil.copy(data / "circle" / "circle_000.png", data / "circle" / "added.png")
    actions = window.classify_view.actions
    with qtbot.assertNotEmitted(window.dataset_view.scanStarted):
        actions.filesChanged.emit([str(tmp_path / "somewhere else")])
    with qtbot.waitSignal(window.dataset_view.datasetLoaded, timeout=20_000):
        actions.filesChanged.emit([str(data)])  # what "Add to dataset" says when done
    assert window.dataset_view.summary_label.text().startswith("13 images")
    assert window.dataset_view.path_edit.text() == str(data)
