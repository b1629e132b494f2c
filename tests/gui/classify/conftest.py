"""Shared by the Classify page tests: a workspace with one real tiny model (trained once per
session), a folder of photos with corrupt files, and a ClassifyView on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.infer.classify_process import ClassifyProcess
from core.train.config import TrainConfig
from gui.classify.classify_view import ClassifyView
from tests.core.image_factory import make_shapes_dataset, write_all_corrupt
from tests.gui.classify.classify_helpers import CLASSES


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """A workspace with one finished run that saved a model (2 epochs of tiny shapes)."""
    from core.train.loop import fit

    root = tmp_path_factory.mktemp("classify")
    data = make_shapes_dataset(root / "data", CLASSES, per_class=16, size=32)
    ws = root / "workspace"
    # loupe_net, not auto's slim variant for so few tiny images: test_cancel_stops_promptly
    # needs a classification slow enough to be stopped half-way (the slim one finished first).
    config = TrainConfig(
        str(data), str(ws / "shapes-run"), arch="loupe_net", epochs=2, batch_size=16
    )
    events = list(fit(config))
    assert events[-1].status == "completed", events[-1]
    return ws


@pytest.fixture(scope="session")
def photos(tmp_path_factory) -> tuple[Path, dict[Path, str]]:
    """8 readable images per class in class subfolders, plus corrupt files."""
    root = tmp_path_factory.mktemp("photos") / "to_classify"
    make_shapes_dataset(root, CLASSES, per_class=8, size=40, seed=5, ext=".jpg")
    corrupt = write_all_corrupt(root / "broken")
    return root, corrupt


@pytest.fixture(scope="session")
def classify_process():
    """One classification process for the session's views: each start imports torch (seconds);
    the window too keeps its process from one classification to the next."""
    process = ClassifyProcess()
    yield process
    process.end()


@pytest.fixture
def view(qtbot, workspace, classify_process):
    widget = ClassifyView()
    qtbot.addWidget(widget)
    widget.resize(1100, 760)
    widget.set_workspace(str(workspace))
    widget.set_model(str(workspace / "shapes-run"))
    widget.kept_model.process = classify_process
    yield widget
    if widget.kept_model.process is classify_process:
        widget.kept_model.process = ClassifyProcess()  # the next test's view reuses it
    widget.shutdown()
