"""What the window and the light engine modules import at start-up: never torch.

`import torch` takes seconds; the window appears at once and loads it in the background, so
no module on that path may import it. One fresh interpreter checks them all: the first module
whose import pulls torch in is named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LIGHT_CORE = [
    "core.train.config",
    "core.train.defaults",
    "core.models.checkpoints",
    "core.train.settings",
    "core.train.validation",
    "core.train.presets",
    "core.cli.train_flags",
    "core.events",
    "core.errors",
    "core.control",
    "core.infer.results",
    "core.infer.results_export",
    "core.data.datasets",
    "core.data.dataset_folders",
    "core.data.imaging",
    "core.files.atomic",
    "core.files.run_folder",
    "core.files.sorting",
    # merge joins the parts of a cluster classification, often on a login node: no torch
    "core.infer.shards",
    "core.infer.shard_merge",
    "core.cli.classify_parts",
]
WINDOW = [
    "gui.widgets.metrics_plot",
    "gui.widgets.prediction_grid",
    "gui.widgets.confusion_matrix",
    "gui.widgets.class_metrics_table",
    "gui.widgets.image_detail",
    "gui.train.log_panel",
    "gui.demo.demo_data",
    "gui.classify.classify_view",
    "gui.classify.classify_job",
    "gui.runs.runs_view",
    "gui.app",
    "gui.main_window",
]

CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    heavy = [m for m in ("torch", "torchvision") if m in sys.modules]
    if heavy:
        print(f"importing {name} imported {', '.join(heavy)}")
        break
else:
    print("torch not imported")
"""


def test_the_window_and_light_core_modules_do_not_import_torch():
    done = subprocess.run(
        [sys.executable, "-c", CHECK, *LIGHT_CORE, *WINDOW],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch not imported", done.stdout
