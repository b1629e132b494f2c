"""Run folders written by hand in the format core.train.loop writes, and helpers to read the
Runs page back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from gui.runs.runs_table import COLUMNS, RunDirRole
from gui.runs.runs_view import RunsView

ROOT = Path(__file__).resolve().parents[3]
METRICS_HEADER = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
STEPS_HEADER = ["epoch", "step", "global_step", "loss", "lr"]
CLASSES = ["cat", "dog", "fox"]


def write_run(
    workspace: Path,
    name: str,
    *,
    status: str = "completed",
    started: str = "2024-05-01T10:00:00",
    val_accs: tuple[float, ...] = (0.5, 0.7, 0.9),
    epochs: int | None = None,
    arch: str = "resnet18",
    dataset: str = "/data/animals",
    checkpoint: bool = True,
    model: bool = True,
    steps_per_epoch: int = 4,
    **summary_extra,
) -> Path:
    """A run folder in core.train.loop's format, with made-up numbers."""
    run = workspace / name
    run.mkdir(parents=True)
    done = len(val_accs)
    best = max(val_accs) if val_accs else None
    summary = {
        "started": started,
        "loupe_version": "0.1.0",
        "host": "elsewhere",
        "status": status,
        "dataset": dataset,
        "arch": arch,
        "epochs": epochs or done,
        "image_size": 64,
        "class_names": CLASSES,
        "device": "CPU (2 cores)",
        "best_val_acc": best,
        "best_epoch": val_accs.index(best) if val_accs else None,
        "epochs_completed": done,
        "updated": started,
        "pid": 1,
        "reason": f"Reason for {name}.",
        "finished": started,
    }
    summary.update(summary_extra)
    (run / "run.json").write_text(json.dumps(summary))
    (run / "config.json").write_text(
        json.dumps(
            {
                "data_dir": dataset,
                "out_dir": str(run),
                "arch": arch,
                "epochs": epochs or done,
                "batch_size": 16,
                "lr": 0.001,
                "pretrained": False,
                "augment": {"hflip": True},
            }
        )
    )
    with open(run / "metrics.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(METRICS_HEADER)
        for e, acc in enumerate(val_accs):
            writer.writerow([e, 1.0 / (e + 1), acc - 0.05, 1.2 / (e + 1), acc, 0.001, 1.5])
    with open(run / "steps.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(STEPS_HEADER)
        for e in range(done):
            for s in range(steps_per_epoch):
                writer.writerow([e, s, e * steps_per_epoch + s, 1.0 / (e + 1 + s / 10), 0.001])
    if done:
        (run / "evaluation.json").write_text(
            json.dumps(
                {
                    "epoch": done - 1,
                    "class_names": CLASSES,
                    "confusion": [[5, 1, 0], [0, 6, 0], [1, 0, 4]],
                    "per_class": [
                        {"name": c, "precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 6}
                        for c in CLASSES
                    ],
                }
            )
        )
    if checkpoint:
        (run / "last.ckpt").write_bytes(b"not really a checkpoint")
    if model:
        (run / "model.safetensors").write_bytes(b"weights")
        (run / "model.json").write_text("{}")
    return run


def column_texts(view: RunsView, column: str) -> list[str]:
    col = COLUMNS.index(column)
    return [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]


def row_of(view: RunsView, run_dir: Path) -> int:
    dirs = [view.proxy.index(r, 0).data(RunDirRole) for r in range(view.proxy.rowCount())]
    return dirs.index(str(run_dir))


def curve_x(view: RunsView, name: str) -> list[float]:
    x, _y = view.detail.plots.curves[name].getOriginalDataset()
    return [] if x is None else [float(v) for v in x]


def dirs_of(view: RunsView) -> list[str]:
    return [view.proxy.index(r, 0).data(RunDirRole) for r in range(view.proxy.rowCount())]
