"""One folder per run: config.json, dataset.json, metrics.csv, steps.csv, evaluation.json,
run.json (summary for the runs list), model.safetensors + model.json, last.ckpt."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core import __version__
from core.files.atomic import atomic_write_json, atomic_write_text
from core.files.run_lock import LOCK_FILE, run_folder_in_use

# What a run folder holds: nothing else may write these names inside a run folder.
RUN_FILES = frozenset(
    {
        "config.json",
        "dataset.json",
        "metrics.csv",
        "steps.csv",
        "evaluation.json",
        "run.json",
        "model.safetensors",
        "model.json",
        "last.ckpt",
        LOCK_FILE,
    }
)
MODEL_FILES = frozenset({"model.safetensors", "model.json"})  # a model folder holds just these
# Any of these marks a folder as a training run's (a plain model folder has only the model).
_RUN_MARKERS = ("run.json", "config.json", "metrics.csv", "last.ckpt", LOCK_FILE)

METRICS_HEADER = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
STEPS_HEADER = ["epoch", "step", "global_step", "loss", "lr"]


def _csv_text(header: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _read_csv(path: str) -> list[dict[str, str]]:
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class RunFolder:
    # Only one process of a data-parallel run writes its folder (core.train.distributed).
    writable: ClassVar[bool] = True
    path: str
    metrics: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        os.makedirs(self.path, exist_ok=True)

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write_json(self.file(name), obj)

    def load_history(self, before_epoch: int) -> None:
        """On resume: keep the rows of epochs already done, drop any beyond the checkpoint."""
        self.metrics = [
            r for r in _read_csv(self.file("metrics.csv")) if int(r["epoch"]) < before_epoch
        ]
        self.steps = [
            r for r in _read_csv(self.file("steps.csv")) if int(r["epoch"]) < before_epoch
        ]
        if os.path.isfile(self.file("run.json")):
            with open(self.file("run.json"), encoding="utf-8") as f:
                summary = json.load(f)
            if isinstance(summary, dict):
                # The run goes on: how it ended last time no longer applies.
                for stale in ("reason", "finished"):
                    summary.pop(stale, None)
                self.summary = summary

    def add_epoch(self, row: dict[str, Any]) -> None:
        self.metrics.append(row)
        # Columns beyond the usual ones (a semi-supervised run's) follow them, in row order.
        extra = [k for r in self.metrics for k in r if k not in METRICS_HEADER]
        header = METRICS_HEADER + list(dict.fromkeys(extra))
        atomic_write_text(self.file("metrics.csv"), _csv_text(header, self.metrics))
        atomic_write_text(self.file("steps.csv"), _csv_text(STEPS_HEADER, self.steps))

    def add_step(self, row: dict[str, Any]) -> None:
        self.steps.append(row)  # written with the epoch's metrics: no disk I/O per step

    def update_summary(self, **values: Any) -> None:
        if not self.summary:
            self.summary = {
                "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "loupe_version": __version__,
                "host": socket.gethostname(),
            }
        self.summary.update(values, updated=time.strftime("%Y-%m-%dT%H:%M:%S"), pid=os.getpid())
        self.write_json("run.json", self.summary)


def is_run_folder(path: str) -> bool:
    return os.path.isdir(path) and any(os.path.exists(os.path.join(path, n)) for n in _RUN_MARKERS)


def own_file_of(path: str, model_folders: bool = False) -> str | None:
    """The folder `path` is one of the own files of, or None: a RUN_FILES name inside a
    training run's folder (only training writes those, --force or not), and with
    `model_folders` also model.json or model.safetensors beside a saved model (a plain model
    folder). Names are compared case-insensitively, as Windows and macOS compare them."""
    folder, name = os.path.split(os.path.abspath(os.path.expanduser(path)))
    name = name.casefold()
    if name in RUN_FILES and is_run_folder(folder):
        return folder
    if not (model_folders and name in MODEL_FILES):
        return None
    return folder if any(os.path.exists(os.path.join(folder, n)) for n in MODEL_FILES) else None


def read_run_summary(run_dir: str) -> dict[str, Any] | None:
    """run.json of a run folder (None if absent or unreadable). A run that says 'running'
    but whose process is gone is reported as 'interrupted'."""
    path = os.path.join(run_dir, "run.json")
    try:
        with open(path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict):
        return None
    if summary.get("status") == "cancelled":  # older run folders: one word, "stopped", now
        summary["status"] = "stopped"
    if summary.get("status") == "running":
        # The lock says it best (it dies with its process, on any host); runs from before
        # the lock fall back to the process id.
        in_use = run_folder_in_use(run_dir)
        if in_use is False:
            summary["status"] = "interrupted"
        elif in_use is None and summary.get("host") == socket.gethostname():
            pid = summary.get("pid")
            # A hand-edited pid beyond the OS range would make os.kill raise OverflowError.
            if (
                isinstance(pid, int)
                and 0 < pid < 2**31
                and pid != os.getpid()
                and not _pid_alive(pid)
            ):
                summary["status"] = "interrupted"
    summary["run_dir"] = os.path.abspath(run_dir)
    return summary


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def _windows_pid_alive(pid: int) -> bool:
    """os.kill(pid, 0) on Windows sends Ctrl+C instead of checking: ask the kernel."""
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def read_metrics(run_dir: str) -> list[dict[str, float]]:
    rows = _read_csv(os.path.join(run_dir, "metrics.csv"))
    return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in rows]


def read_steps(run_dir: str) -> list[dict[str, float]]:
    rows = _read_csv(os.path.join(run_dir, "steps.csv"))
    return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in rows]


def list_runs(workspace: str) -> list[dict[str, Any]]:
    """Summaries (read_run_summary) of every run folder directly under `workspace`, newest
    first: the Runs page, Classify's model list and the CLI all list runs with this. A
    folder that is a run (is_run_folder) but whose run.json cannot be read is listed with
    status "unreadable" and a reason; other folders are skipped."""
    try:
        names = sorted(os.listdir(workspace))
    except OSError:
        return []
    runs = []
    for name in names:
        path = os.path.join(workspace, name)
        if not os.path.isdir(path):
            continue
        summary = read_run_summary(path)
        if summary is not None:
            runs.append(summary)
        elif is_run_folder(path):
            runs.append(_unreadable_run(path))
    runs.sort(key=lambda s: str(s.get("started", "")), reverse=True)
    return runs


def _unreadable_run(path: str) -> dict[str, Any]:
    try:
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(os.path.getmtime(path)))
    except OSError:
        started = ""
    reason = (
        "run.json is not a valid run summary."
        if os.path.exists(os.path.join(path, "run.json"))
        else "This folder has no run.json."
    )
    return {
        "run_dir": os.path.abspath(path),
        "status": "unreadable",
        "started": started,
        "reason": reason,
    }


def run_folder_name(data_dir: str, arch: str, when: float | None = None) -> str:
    """<YYYYmmdd-HHMMSS>-<dataset name>-<arch>, safe on every file system."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    name = os.path.basename(os.path.normpath(data_dir)) or "dataset"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "dataset"
    arch = re.sub(r"[^A-Za-z0-9._-]+", "_", arch or "auto")
    return f"{stamp}-{name[:40]}-{arch}"


def new_run_dir(workspace: str, data_dir: str, arch: str) -> str:
    """A fresh run folder path in `workspace`, suffixed when two runs start in one second.
    `arch`: the architecture as far as it is known (core.train.defaults.expected_arch)."""
    base = os.path.join(workspace, run_folder_name(data_dir, arch))
    path, n = base, 2
    while os.path.exists(path):
        path, n = f"{base}-{n}", n + 1
    return path
