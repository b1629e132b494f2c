"""Remember the CPU tuner's choice, so the next run of the same kind starts at full speed.

The choice (thread count, bf16 or fp32) holds for one machine, CPU, torch version and kind
of work (architecture, image size, batch size, and the thread/precision settings the user
left to the tuner). It is kept in the user's cache folder as one small JSON file; a
changed torch or CPU gives another key, so it is measured again, as it is on request
(`retune_cpu`). A cache that cannot be read or written only costs the measurement."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from dataclasses import dataclass

import torch

from core.files.atomic import atomic_write_json
from core.files.user_cache import user_cache_dir
from core.train.cpu_tuner import BF16, FP32, CpuSetting, CpuTuner

FILE_NAME = "cpu_tuner.json"
FORMAT_VERSION = 1
MAX_ENTRIES = 200  # oldest forgotten first: the file stays small


def cpu_model() -> str:
    """The CPU's marketing name ("AMD EPYC 7B13"), or the best the platform tells."""
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f,
    ):
        for line in f:
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class TuningKey:
    arch: str
    image_size: int
    batch_size: int
    threads_setting: int  # 0 = the tuner chooses
    precision_setting: str  # "auto" / "on" / "off"

    def text(self) -> str:
        machine = {
            "host": platform.node(),
            "cpu": cpu_model(),
            "cpus": _cpu_count(),
            "torch": torch.__version__,
        }
        work = {
            "arch": self.arch,
            "image_size": self.image_size,
            "batch_size": self.batch_size,
            "threads": self.threads_setting,
            "precision": self.precision_setting,
        }
        return json.dumps({**machine, **work}, sort_keys=True)


class TunerMemory:
    """Reads and writes the remembered choices in `folder` (default: the user cache)."""

    def __init__(self, folder: str | None = None) -> None:
        self.path = os.path.join(folder or user_cache_dir(), FILE_NAME)

    def _entries(self) -> dict[str, dict]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def recall(self, key: TuningKey, candidates: list[CpuSetting]) -> CpuSetting | None:
        """The remembered setting, if it is still one of the candidates."""
        entry = self._entries().get(key.text())
        if not isinstance(entry, dict):
            return None
        try:
            setting = CpuSetting(int(entry["threads"]), BF16 if entry["bf16"] else FP32)
        except (KeyError, TypeError, ValueError):
            return None
        return setting if setting in candidates else None

    def remember(self, key: TuningKey, setting: CpuSetting, speeds: dict[str, float]) -> None:
        entries = self._entries()
        entries.pop(key.text(), None)
        entries[key.text()] = {
            "threads": setting.threads,
            "bf16": setting.precision.enabled,
            "measured": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "images_per_second": {label: round(v, 1) for label, v in speeds.items()},
        }
        while len(entries) > MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        with contextlib.suppress(OSError):  # a read-only home: measure again next time
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            atomic_write_json(self.path, {"version": FORMAT_VERSION, "entries": entries})


def build_tuner(
    candidates: list[CpuSetting],
    fixed,
    key: TuningKey,
    retune: bool,
    memory: TunerMemory | None = None,
) -> tuple[CpuTuner, str | None]:
    """A tuner that measures and remembers, or one fixed on the remembered choice.
    Returns it and the message that says which (None when there is nothing to say)."""
    if len(candidates) <= 1:
        return CpuTuner(candidates, fixed), None
    memory = memory or TunerMemory()
    remembered = None if retune else memory.recall(key, candidates)
    if remembered is not None:
        message = (
            f"CPU: using {remembered.label}, the fastest when last measured on this machine "
            "for this model, image size and batch size (measure again: --retune-cpu)."
        )
        return CpuTuner([remembered], fixed), message

    def remember(choice: CpuSetting, speeds: dict[str, float]) -> None:
        memory.remember(key, choice, speeds)

    return CpuTuner(candidates, fixed, on_chosen=remember), None
