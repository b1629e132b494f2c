"""Made-up content for the big page widgets, for `python -m gui.widgets.<page>` and tests:
fast to look at, fast to screenshot, and nothing here needs torch."""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pages import this module from their __main__ blocks
    from gui.classify.classify_view import ClassifyView
    from gui.data.dataset_view import DatasetView
    from gui.runs.runs_view import RunsView
    from gui.train.model_settings import ModelSettingsPanel
    from gui.train.training_dashboard import TrainingDashboard


def model_settings_demo() -> ModelSettingsPanel:
    """The panel as torch would fill it: a few architectures, two devices."""
    from gui.train.model_settings import ModelSettingsPanel

    panel = ModelSettingsPanel()
    panel.set_architectures(
        [
            {"name": "loupe_net", "description": "Loupe's small CNN for small images",
             "params": 620_000, "weights": "none", "min_image_size": 8, "fixed_image_size": None},
            {"name": "resnet18", "description": "ResNet-18: a sturdy all-rounder",
             "params": 11_181_642, "weights": "downloadable", "min_image_size": 32,
             "fixed_image_size": None},
            {"name": "vit_b_16", "description": "ViT-B/16: Vision Transformer, needs 224 px",
             "params": 85_806_346, "weights": "cached", "min_image_size": 224,
             "fixed_image_size": 224},
        ]
    )  # fmt: skip
    panel.set_devices(
        [SimpleNamespace(key="auto", label="Auto (CPU)"), SimpleNamespace(key="cpu", label="CPU")]
    )
    panel.changed.connect(lambda: print(panel.problems("demo") or "ok"))
    return panel


def scrolled_model_settings_demo():
    """The panel in a scroll area, as on the Train page."""
    from PySide6.QtWidgets import QScrollArea

    scroll = QScrollArea()
    scroll.setWidget(model_settings_demo())
    scroll.setWidgetResizable(True)
    scroll.resize(380, 900)
    return scroll


def training_dashboard_demo() -> TrainingDashboard:
    """Four epochs of a made-up six-class run."""
    from gui.demo.demo_data import (
        demo_class_names,
        demo_epochs,
        demo_log,
        demo_predictions,
        demo_steps,
    )
    from gui.train.training_dashboard import TrainingDashboard

    names = demo_class_names(6)
    dash = TrainingDashboard()
    dash.start_run()
    for message in demo_log():
        dash.on_event(message)
    for step in demo_steps(epochs=4, steps_per_epoch=50):
        dash.on_event(step)
    dash._class_names = names
    for epoch in demo_epochs(names, epochs=4):
        dash.on_event(epoch)
    dash.on_event(demo_predictions(names, epoch=3, count=40))
    dash.resize(1280, 820)
    return dash


def runs_view_demo(workspace: str | None = None) -> RunsView:
    """The given workspace, or three made-up runs in a temporary folder."""
    from gui.runs.runs_view import RunsView

    if not workspace:
        import atexit
        import tempfile

        from gui.runs.run_records import write_demo_run

        workspace = tempfile.mkdtemp(prefix="loupe-runs-demo-")
        atexit.register(shutil.rmtree, workspace, True)
        accs = [0.55, 0.71, 0.8, 0.86, 0.88, 0.9, 0.91, 0.9]
        # fmt: off
        write_demo_run(workspace, "2024-05-01_flowers_resnet18", "completed",
                       "2024-05-01T10:00:00", accs, 8)
        write_demo_run(workspace, "2024-05-02_flowers_mobilenet", "stopped",
                       "2024-05-02T11:30:00", [a - 0.07 for a in accs[:5]], 12,
                       arch="mobilenet_v3_small")
        write_demo_run(workspace, "2024-05-03_birds_resnet50", "failed",
                       "2024-05-03T09:00:00", [], 10, arch="resnet50", dataset="/data/birds")
        # fmt: on
    view = RunsView()
    view.set_workspace(workspace)
    view.resize(1400, 850)
    return view


def dataset_view_demo(path: str | None = None) -> DatasetView:
    """The Data page, scanning `path` when given."""
    from gui.data.dataset_view import DatasetView

    view = DatasetView()
    view.resize(1100, 700)
    if path:
        view.load(path)
    return view


def classify_view_demo(args: list[str]) -> ClassifyView:
    """`[WORKSPACE | MODEL] [FOLDER]`: a model folder (or a workspace to choose from) and the
    folder of images to classify."""
    from gui.classify.classify_view import ClassifyView

    page = ClassifyView()
    if args and os.path.isfile(os.path.join(args[0], "model.json")):
        page.set_model(args[0])
    elif args:
        page.set_workspace(args[0])
    if len(args) > 1:
        page.set_folder(args[1])
    page.resize(1200, 800)
    return page
