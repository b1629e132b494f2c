"""Imports torch/torchvision off the GUI thread and reports devices and architectures.

`import torch` plus torchvision costs seconds; the window shows at once and fills in the
device line and the architecture list when this is done. The import itself cannot be
interrupted, so `shutdown()` waits for it; everything after it checks for interruption."""

from __future__ import annotations

import time
import traceback
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui.worker_thread import worker_thread


def device_line(devices: list[Any]) -> str:
    """The status bar's words for the device training uses by default (the first real one:
    list_devices puts GPUs before the CPU)."""
    concrete = [d for d in devices if d.key != "auto"]
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
    from core.models.registry import arch_facts, architecture_names, parameter_count

    result = []
    for name in architecture_names():
        if interrupted():
            break
        try:
            params = parameter_count(name, 10)
        except Exception:  # one odd torchvision builder must not hide the others
            params = 0
        result.append({**arch_facts(name), "params": params})
    return result


class TorchLoader(QObject):
    """Lives on its own QThread; `run()` is connected to the thread's `started`.

    Signals: `deviceDetected(str)` as soon as the devices are known (the status bar need not
    wait for the architecture list), then `loaded(dict)` with devices, architectures,
    torch_version, cuda, device_line and seconds; or `failed(str)` with a readable reason.
    `finished()` always comes last."""

    deviceDetected = Signal(str)
    loaded = Signal(dict)
    failed = Signal(str)
    finished = Signal()

    @Slot()
    def run(self) -> None:
        thread = QThread.currentThread()
        start = time.perf_counter()
        try:
            import torch

            from core.device import list_devices

            devices = list_devices()
            cuda = bool(torch.cuda.is_available())
            line = device_line(devices)
            self.deviceDetected.emit(line)
            architectures = _architectures(thread.isInterruptionRequested)
            # Training needs these too; importing them here keeps the first Train click fast.
            import torchvision

            import core.train.loop  # noqa: F401

            if not thread.isInterruptionRequested():
                self.loaded.emit(
                    {
                        "devices": devices,
                        "architectures": architectures,
                        "torch_version": torch.__version__,
                        "torchvision_version": torchvision.__version__,
                        "cuda": cuda,
                        "device_line": line,
                        "seconds": time.perf_counter() - start,
                    }
                )
        except Exception as exc:  # a broken install must show up in the window, not a terminal
            traceback.print_exc()
            self.failed.emit(
                f"PyTorch could not be loaded ({type(exc).__name__}: {exc}). "
                "Training and classification need it: check the installation."
            )
        finally:
            self.finished.emit()


class TorchLoaderThread(QObject):
    """Owns the loader and its thread. `start()`, then `shutdown()` before the owner dies."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = TorchLoader()
        self.thread = worker_thread(self.loader, self.loader.finished, self, "torchLoaderThread")
        self.result: dict[str, Any] | None = None
        self.loader.loaded.connect(self._on_loader_loaded)

    def start(self) -> None:
        self.thread.start(QThread.Priority.LowPriority)

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def _on_loader_loaded(self, info: dict) -> None:
        self.result = info

    def shutdown(self) -> None:
        """Skip whatever is left after the import and wait for the thread to end."""
        if self.thread.isRunning():
            self.thread.requestInterruption()
            self.thread.quit()
            self.thread.wait()
