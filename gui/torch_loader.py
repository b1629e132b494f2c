"""Imports torch/torchvision off the GUI thread and reports devices and architectures.

`import torch` plus torchvision costs seconds; the window shows at once and fills in the
device line and the architecture list when this is done. The import itself cannot be
interrupted, so `shutdown()` waits for it; everything after it checks for interruption."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.control import RunControl
from core.errors import LoupeError
from gui.jobs import JobEnded, JobRunner


def device_line(devices: list[Any]) -> str:
    """The status bar's words for the device training uses by default (the first real one
    this PyTorch can run on: list_devices puts GPUs before the CPU)."""
    concrete = [d for d in devices if d.key != "auto" and getattr(d, "supported", True)]
    if not concrete:
        return "Device: unknown"
    first = concrete[0]
    if first.key.startswith("cuda"):
        gpus = sum(d.key.startswith("cuda") for d in concrete)
        return f"GPU: {first.label}" + (f" (+{gpus - 1} more)" if gpus > 1 else "")
    if first.key == "mps":
        return f"GPU: {first.label}"
    return first.label  # "CPU (8 cores)"


def _architectures(interrupted) -> list[dict[str, Any]]:
    from core.models.parameter_counts import parameter_counts
    from core.models.registry import arch_facts, architecture_names

    names = architecture_names()
    counts = parameter_counts(names, 10, interrupted=interrupted)
    return [{**arch_facts(name), "params": counts[name]} for name in names if name in counts]


@dataclass(frozen=True)
class DeviceDetected:
    line: str  # the status bar's words


def torch_job(control: RunControl) -> Iterator[object]:
    """Import torch, report the device line as soon as it is known (the status bar need not
    wait for the architecture list), then return the facts the window needs: devices,
    architectures, torch_version, torchvision_version, cuda, device_line, seconds. A stop
    skips what is left after the import (the import itself cannot be interrupted)."""
    start = time.perf_counter()
    try:
        import torch

        from core.device import list_devices

        devices = list_devices()
        cuda = bool(torch.cuda.is_available())
        line = device_line(devices)
        yield DeviceDetected(line)
        architectures = _architectures(lambda: control.stop_requested)
        # Training needs these too; importing them here keeps the first Train click fast.
        import torchvision

        import core.train.loop  # noqa: F401
    except Exception as exc:  # a broken install must show up in the window, not a terminal
        traceback.print_exc()
        raise LoupeError(
            f"PyTorch could not be loaded ({type(exc).__name__}: {exc}). "
            "Training and classification need it: check the installation."
        ) from exc
    return {
        "devices": devices,
        "architectures": architectures,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "cuda": cuda,
        "device_line": line,
        "seconds": time.perf_counter() - start,
    }


class TorchLoader(QObject):
    """Runs torch_job (a gui.jobs job). Signals: `deviceDetected(str)`, then `loaded(dict)`
    or `failed(str)` with a readable reason. `start()`, then `shutdown()` before the owner
    dies."""

    deviceDetected = Signal(str)
    loaded = Signal(dict)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(self, name="torchLoader")
        self.runner.event.connect(self._on_event)
        self.result: dict[str, Any] | None = None

    def start(self) -> None:
        self.runner.start(torch_job, priority=QThread.Priority.LowPriority)

    def is_running(self) -> bool:
        return self.runner.is_running()

    def _on_event(self, event: object) -> None:
        if isinstance(event, DeviceDetected):
            self.deviceDetected.emit(event.line)
        elif isinstance(event, JobEnded):
            if event.status == "failed":
                self.failed.emit(event.message)
            elif event.status == "finished":
                self.result = event.result
                self.loaded.emit(event.result)

    def shutdown(self) -> None:
        """Skip whatever is left after the import and wait for the thread to end."""
        self.runner.shutdown(0)
