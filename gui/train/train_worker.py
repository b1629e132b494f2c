"""Naming a run before it starts: its folder (dated, dataset, architecture) and the config
that resumes it. Qt-free; the run itself is gui.train.train_job on gui.jobs."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time

from core.data.datasets import DatasetReport
from core.train.config import TrainConfig, from_dict
from core.train.defaults import SMALL_IMAGE_MAX


def run_folder_name(data_dir: str, arch: str, when: float | None = None) -> str:
    """<YYYYmmdd-HHMMSS>-<dataset name>-<arch>, safe on every file system."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    name = os.path.basename(os.path.normpath(data_dir)) or "dataset"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "dataset"
    arch = re.sub(r"[^A-Za-z0-9._-]+", "_", arch or "auto")
    return f"{stamp}-{name[:40]}-{arch}"


def expected_arch(arch: str, report: DatasetReport | None) -> str:
    """The architecture a run will train, as far as it is known before torch is loaded:
    "auto" becomes loupe_net for small images (core.train.defaults.resolve_auto's first rule);
    for photos the choice depends on the device and on the weights at hand, so it stays
    "auto"."""
    if arch != "auto" or report is None or not report.median_size:
        return arch or "auto"
    return "loupe_net" if min(report.median_size) <= SMALL_IMAGE_MAX else "auto"


def new_run_dir(
    workspace: str, data_dir: str, arch: str, report: DatasetReport | None = None
) -> str:
    """A fresh run folder path in `workspace` (suffixed when two runs start in one second).
    `report`: the dataset's scan, when known, so that an "auto" architecture can be named."""
    base = os.path.join(workspace, run_folder_name(data_dir, expected_arch(arch, report)))
    path, n = base, 2
    while os.path.exists(path):
        path, n = f"{base}-{n}", n + 1
    return path


def resume_config(run_dir: str, epochs: int) -> TrainConfig:
    """The config to continue `run_dir` until `epochs` epochs in total: the run's own
    config.json, resumed into the same folder. Raises OSError/ValueError/TypeError when
    config.json is missing or unreadable."""
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        config = from_dict(json.load(f))
    return dataclasses.replace(config, resume=True, out_dir=run_dir, epochs=int(epochs))
