"""Add classified images to a dataset: copy them into DATA_DIR/<class>/ (for a dataset with
train/val/test folders: DATA_DIR/train/<class>/), the active-learning step after a person
has checked what the model found. The copy is the sort's (core.files.sorting): nothing is
overwritten (a taken name gets " (1)"), every copy is verified and journalled in a manifest
inside the dataset, and `python main.py undo MANIFEST` (or the window's Undo) removes the
copies again. The classified originals are never touched."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

from core.data.dataset_folders import EXCLUDED_FOLDER, find_split_folders
from core.errors import LoupeError
from core.files.sort_names import UNSURE_FOLDER
from core.files.sort_plan import SortOp, SortPlan
from core.files.sorting import (
    SortOutcome,
    default_manifest_path,
    execute_sort,
    safe_folder_name,
)

MANIFEST_STEM = ".loupe-add"  # hidden: the dataset scan must not count it as a stray file


def training_data_dir(model_path: str) -> str:
    """The dataset a model was trained on, from the config.json of its run folder; "" when
    that is unknown (a model file copied elsewhere) or the folder no longer exists."""
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            data_dir = json.load(f).get("data_dir", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return data_dir if isinstance(data_dir, str) and os.path.isdir(data_dir) else ""


def class_folder(data_dir: str, label: str) -> str:
    """Where new images of `label` go: the train split of a pre-split dataset, else the root."""
    root = os.path.normpath(os.path.abspath(data_dir))
    splits = find_split_folders(root) or {}
    return os.path.join(splits.get("train", root), label)


def plan_add_to_dataset(data_dir: str, images: Iterable[str], label: str) -> SortPlan:
    """Checks everything before anything is copied; raises LoupeError naming the problem.
    An image listed twice is copied once."""
    root = os.path.normpath(os.path.abspath(data_dir))
    if not os.path.isdir(root):
        raise LoupeError(f"Dataset folder not found: {data_dir}")
    if safe_folder_name(label) != label or label in (EXCLUDED_FOLDER, UNSURE_FOLDER):
        raise LoupeError(f"'{label}' cannot be a class folder of {root}.")
    folder = class_folder(root, label)
    ops: list[SortOp] = []
    seen: set[str] = set()
    for image in images:
        source = os.path.normpath(os.path.abspath(image))
        if not os.path.isfile(source):
            raise LoupeError(f"{image}: no such image (moved or deleted since it was classified).")
        key = os.path.normcase(source)
        if key in seen:
            continue
        seen.add(key)
        ops.append(SortOp(source, os.path.join(folder, os.path.basename(source)), label))
    return SortPlan(root, False, 0.0, tuple(ops))


def add_to_dataset(
    plan: SortPlan,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SortOutcome:
    """Copy the files; the outcome names the manifest for undo (None when nothing was copied)."""
    return execute_sort(
        plan, default_manifest_path(plan.dest_root, MANIFEST_STEM + "-"), progress, should_stop
    )
