"""Run folders as plain data: the summaries of a workspace's runs and everything one run's
detail shows, read defensively (no Qt, no torch).

Run folders are written by core.train.loop while a run goes on and may be half-written,
hand-edited or from another Loupe version: every value read here may be missing or of the
wrong type, and each is checked before it is used. Only core.files.run_folder is imported from the
engine (it does not import torch)."""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.events import ClassMetrics
from core.files.run_folder import read_metrics, read_steps
from core.train.defaults import steps_per_epoch
from core.words import format_duration

# status in run.json -> (word shown, colour); core.files.run_folder reads an older run's
# "cancelled" as "stopped".
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "completed": ("completed", "#2E7D32"),
    "early_stopped": ("early stopped", "#00796B"),
    "stopped": ("stopped", "#A15C00"),
    "interrupted": ("interrupted", "#BF360C"),
    "failed": ("failed", "#C62828"),
    "running": ("running", "#1565C0"),
    "unreadable": ("unreadable", "#6B7280"),
}
RESUMABLE = {"completed", "stopped", "early_stopped", "interrupted"}
MAX_LABEL_CHARS = 28  # a compared run without a start time is named by its folder, this short


def has_checkpoint(summary: dict[str, Any]) -> bool:
    return os.path.isfile(os.path.join(summary.get("run_dir", ""), "last.ckpt"))


def has_model(summary: dict[str, Any]) -> bool:
    folder = summary.get("run_dir", "")
    return all(os.path.isfile(os.path.join(folder, f)) for f in ("model.json", "model.safetensors"))


def can_resume(summary: dict[str, Any]) -> bool:
    return summary.get("status") in RESUMABLE and has_checkpoint(summary)


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, text, NaN, a list...)."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def status_style(status: Any) -> tuple[str, str]:
    text = str(status or "unknown")
    return STATUS_STYLE.get(text, (text.replace("_", " "), "#6B7280"))


def parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def format_time(value: Any) -> str:
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_short_time(value: Any, today: datetime | None = None) -> str:
    """A start time where a full one does not fit: "1 Dec 20:59" this year, "1 Dec 2025"
    before it (the month by name: "12-01" reads as January 12 in much of the world)."""
    moment = parse_time(value)
    if moment is None:
        return "—"
    day = f"{moment.day} {MONTHS[moment.month - 1]}"
    if moment.year != (today or datetime.now()).year:
        return f"{day} {moment.year}"
    return f"{day} {moment:%H:%M}"


def format_percent(fraction: Any) -> str:
    value = number(fraction)
    return "—" if value is None else f"{100 * value:.1f} %"


def end_reason(summary: dict[str, Any]) -> str:
    """Why the run ended, in words. A resumed run keeps the previous session's "reason" and
    "finished" in run.json until it ends again, so those are ignored while it is not over."""
    status = summary.get("status")
    if status == "running":
        return ""
    if status == "interrupted":
        return (
            "Loupe was closed or crashed while this run was training: resume it to continue "
            "from its last finished epoch."
        )
    return str(summary.get("reason") or "")


def duration_text(summary: dict[str, Any]) -> str:
    """ "took 42 min 10 s", "12 min so far" (running) or "ran for 5 min" (interrupted)."""
    status = summary.get("status")
    started = parse_time(summary.get("started"))
    if status == "running":
        end, words = datetime.now(), "{} so far"
    elif status == "interrupted":
        end, words = parse_time(summary.get("updated")), "ran for {}"
    else:
        end, words = parse_time(summary.get("finished")), "took {}"
    if not started or not end or end < started:
        return ""
    # A paused run did not train while it stood still (the engine records how long).
    paused = number(summary.get("paused_seconds")) or 0.0
    seconds = max(0.0, (end - started).total_seconds() - paused)
    return words.format(format_duration(seconds))


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _tolerant_csv(path: str) -> list[dict[str, float]]:
    """metrics.csv/steps.csv with bad cells dropped (core's readers raise on the first one)."""
    rows: list[dict[str, float]] = []
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            for row in csv.DictReader(f):
                values = {k: number(v) for k, v in row.items() if isinstance(k, str)}
                rows.append({k: v for k, v in values.items() if v is not None})
    except (OSError, csv.Error):
        pass
    return [r for r in rows if "epoch" in r]


@dataclass
class RunData:
    run_dir: str
    summary: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, float]] = field(default_factory=list)
    steps: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch x, loss, lr)
    confusion: list[list[int]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    per_class: list[ClassMetrics] = field(default_factory=list)
    eval_epoch: int | None = None  # 0-based epoch evaluation.json belongs to
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return folder_name(self.run_dir)


def compare_labels(runs: list[RunData]) -> list[str]:
    """Short names for compared runs, for legends and column headers: start time and
    architecture ("17:21:19 loupe_net"), with the date when the runs span several days
    ("2026-11-27 09:05 loupe_net") and the dataset when they differ. Folder names are too long for a legend and share their start."""
    starts = [parse_time(run.summary.get("started")) for run in runs]
    days = {start.date() for start in starts if start}
    datasets = {dataset_name(run) for run in runs}
    labels = []
    for run, start in zip(runs, starts, strict=True):
        if start is None:  # an unreadable run.json: the folder name is all there is
            labels.append(_elided(run.name, MAX_LABEL_CHARS))
            continue
        # Several days: the date as the run list's date column writes it, to find it there.
        parts = [format_time(start.isoformat()) if len(days) > 1 else f"{start:%H:%M:%S}"]
        if len(datasets) > 1:
            parts.append(dataset_name(run))
        parts.append(str(run.summary.get("arch") or run.config.get("arch") or ""))
        labels.append(" ".join(p for p in parts if p))
    plain = list(labels)
    for i, label in enumerate(plain):  # two runs started in the same second
        copies = plain[:i].count(label)
        if copies:
            labels[i] = f"{label} ({copies + 1})"
    return labels


def folder_name(path: str) -> str:
    """A folder's own name ("flowers" for "/data/flowers/"), "" for no path."""
    return os.path.basename(os.path.normpath(path)) if path else ""


def dataset_name(run: RunData) -> str:
    """The dataset folder's own name ("flowers"), or "" when the run does not say."""
    return folder_name(str(run.summary.get("dataset") or run.config.get("data_dir") or ""))


def _elided(text: str, limit: int) -> str:
    """Cut in the middle: run folders often share a date prefix and differ at the end."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[-(limit - 1 - head) :]


def load_run(run_dir: str, summary: dict[str, Any] | None = None) -> RunData:
    """Everything the detail pane shows, read from the folder; never raises."""
    if summary is None:
        raw = _read_json(os.path.join(run_dir, "run.json"))
        summary = raw if isinstance(raw, dict) else {}
    data = RunData(run_dir, summary)
    config = _read_json(os.path.join(run_dir, "config.json"))
    data.config = config if isinstance(config, dict) else {}
    try:
        data.metrics = read_metrics(run_dir)
    except (ValueError, TypeError, OSError, csv.Error):
        data.metrics = _tolerant_csv(os.path.join(run_dir, "metrics.csv"))
        data.problems.append("metrics.csv has unreadable values (skipped).")
    data.metrics = [r for r in data.metrics if number(r.get("epoch")) is not None]
    data.steps = _step_points(run_dir, data)
    _load_evaluation(data)
    return data


def _step_points(run_dir: str, data: RunData) -> list[tuple[float, float, float]]:
    try:
        rows = read_steps(run_dir)
    except (ValueError, TypeError, OSError, csv.Error):
        rows = _tolerant_csv(os.path.join(run_dir, "steps.csv"))
    rows = [r for r in rows if all(number(r.get(k)) is not None for k in ("epoch", "step", "loss"))]
    if not rows:
        return []
    # The last step of every epoch is always logged, so the largest step index gives the
    # epoch length once one epoch is complete; before that, estimate it from the data size.
    epoch_steps = max(int(r["step"]) for r in rows) + 1
    if not data.metrics:
        epoch_steps = max(epoch_steps, _estimated_steps_per_epoch(run_dir, data.config))
    return [
        (r["epoch"] + (r["step"] + 1) / epoch_steps, r["loss"], r.get("lr", math.nan)) for r in rows
    ]


def _estimated_steps_per_epoch(run_dir: str, config: dict[str, Any]) -> int:
    report = _read_json(os.path.join(run_dir, "dataset.json"))
    batch = number(config.get("batch_size"))
    try:
        train = sum(int(n) for n in report["counts"]["train"].values())
    except (TypeError, KeyError, ValueError, AttributeError):
        return 0
    return steps_per_epoch(train, int(batch)) if batch and batch >= 1 else 0


def _metric(value: Any) -> float:
    """NaN when missing or undefined (a class never predicted has no precision): shown as "–"."""
    result = number(value)
    return math.nan if result is None else result


def _load_evaluation(data: RunData) -> None:
    raw = _read_json(os.path.join(data.run_dir, "evaluation.json"))
    if raw is None:
        return
    try:
        names = [str(n) for n in raw.get("class_names", [])]
        confusion = [[int(v) for v in row] for row in raw.get("confusion", [])]
        if confusion and any(len(row) != len(confusion) for row in confusion):
            raise ValueError("confusion matrix is not square")
        per_class = [
            ClassMetrics(
                str(m["name"]),
                _metric(m.get("precision")),
                _metric(m.get("recall")),
                _metric(m.get("f1")),
                int(m.get("support", 0)),
            )
            for m in raw.get("per_class", [])
        ]
        epoch = number(raw.get("epoch"))
    except (AttributeError, TypeError, ValueError, KeyError):
        data.problems.append("evaluation.json is malformed (not shown).")
        return
    data.class_names, data.confusion, data.per_class = names, confusion, per_class
    data.eval_epoch = None if epoch is None else int(epoch)


# ---- demo ---------------------------------------------------------------------------------------


# fmt: off
def write_demo_run(
    workspace: str, name: str, status: str, started: str, val_accs: list[float], epochs: int,
    arch: str = "resnet18", dataset: str = "/home/me/photos/flowers",
) -> str:
    """A made-up run folder in core.train.loop's format, for `python -m gui.runs.runs_view`
    (the real ones need torch and minutes)."""
    run = os.path.join(workspace, name)
    os.makedirs(run, exist_ok=True)
    classes = ["daisy", "rose", "tulip"]
    best = max(val_accs, default=None)
    summary = dict(
        started=started, status=status, dataset=dataset, arch=arch, epochs=epochs,
        epochs_completed=len(val_accs), best_val_acc=best, class_names=classes, image_size=128,
        best_epoch=val_accs.index(best) if val_accs else None, device="CPU (8 cores)",
        reason=f"Demo run ({status}).",
    )
    config = dict(data_dir=dataset, out_dir=run, arch=arch, epochs=epochs, batch_size=32, lr=1e-3)
    with open(os.path.join(run, "run.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f)
    with open(os.path.join(run, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    steps = 20
    with open(os.path.join(run, "metrics.csv"), "w", encoding="utf-8") as f:
        f.write("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n")
        for e, acc in enumerate(val_accs):
            f.write(f"{e},{1.2 * 0.7**e},{acc - 0.04},{2.2 * (1 - acc)},{acc},0.001,30\n")
    with open(os.path.join(run, "steps.csv"), "w", encoding="utf-8") as f:
        f.write("epoch,step,global_step,loss,lr\n")
        for g in range(len(val_accs) * steps):
            lr = 1e-3 * 0.5 * (1 + math.cos(math.pi * g / (epochs * steps)))
            f.write(f"{g // steps},{g % steps},{g},{1.3 * 0.7 ** (g / steps) + 0.05 * (g % 3)},{lr}\n")
    if val_accs:
        evaluation = dict(
            epoch=len(val_accs) - 1, class_names=classes,
            confusion=[[18, 2, 0], [1, 17, 2], [0, 3, 17]],
            per_class=[dict(name=c, precision=0.9, recall=0.85, f1=0.87, support=20) for c in classes],
        )
        with open(os.path.join(run, "evaluation.json"), "w", encoding="utf-8") as f:
            json.dump(evaluation, f)
        open(os.path.join(run, "last.ckpt"), "wb").close()
    return run
# fmt: on
