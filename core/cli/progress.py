"""Progress output for the command line: a live bar with ETA on a terminal, plain lines
(one per epoch) when the output goes to a file or a pipe."""

from __future__ import annotations

import os
import time
from typing import TextIO

from core.events import (
    EpochEnded,
    LogMessage,
    RunFinished,
    RunStarted,
    StepEnded,
    TrainEvent,
)
from core.infer.results import ClassifyProgress
from core.words import format_duration


def bar(fraction: float, width: int = 24) -> str:
    filled = int(round(max(0.0, min(1.0, fraction)) * width))
    return "#" * filled + "-" * (width - filled)


class _Line:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._live = False
        self._last = 0.0

    def live(self, text: str) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._live = True

    def message(self, text: str) -> None:
        if self._live:
            self.stream.write("\r\x1b[2K")
            self._live = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._live:
            self.stream.write("\n")
            self._live = False
        self.stream.flush()


class TrainProgress(_Line):
    """Messages from before the run starts are held back briefly: a run that fails at once
    (no such folder, no classes) then prints just its one-line error."""

    HOLD_SECONDS = 1.5

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.epochs = 0
        self._held: list[str] | None = []
        self._t0 = time.monotonic()

    def _release(self) -> None:
        for text in self._held or []:
            self.message(text)
        self._held = None

    def handle(self, event: TrainEvent) -> None:
        if isinstance(event, LogMessage):
            if event.level == "error":
                # The final error line repeats it; engine tracebacks only when debugging.
                if os.environ.get("LOUPE_DEBUG"):
                    self.message(event.text.rstrip())
                return
            prefix = "" if event.level == "info" else f"{event.level}: "
            if self._held is not None:
                self._held.append(prefix + event.text.rstrip())
                if time.monotonic() - self._t0 > self.HOLD_SECONDS:
                    self._release()
            else:
                self.message(prefix + event.text.rstrip())
        elif isinstance(event, RunStarted):
            self._release()
            self.epochs = int(event.config["epochs"])
            self.message(f"Training {event.arch} on {event.device}; run folder {event.run_dir}")
        elif isinstance(event, StepEnded):
            done = (event.epoch * event.steps_per_epoch + event.step + 1) / max(
                1, self.epochs * event.steps_per_epoch
            )
            self.live(
                f"epoch {event.epoch + 1}/{self.epochs} [{bar(done)}] {done:4.0%} "
                f"loss {event.loss:.4f}  "
                + (
                    "measuring the speed…"  # the CPU tuner's settings are not the run's
                    if event.measuring
                    else f"{event.images_per_second:,.0f} img/s  "
                    f"ETA {format_duration(event.eta_seconds)}"
                )
            )
        elif isinstance(event, EpochEnded):
            best = " *" if event.is_best else ""
            self.message(
                f"epoch {event.epoch + 1}/{event.epochs}: train loss {event.train_loss:.4f} "
                f"acc {event.train_acc:.1%} | val loss {event.val_loss:.4f} acc {event.val_acc:.1%} "
                f"| {event.seconds:.1f}s{best}"
            )
        elif isinstance(event, RunFinished):
            self.close()


class ClassifyProgressLine(_Line):
    def update(self, p: ClassifyProgress) -> None:
        fraction = p.done / max(1, p.total)
        self.live(
            f"[{bar(fraction)}] {p.done:,}/{p.total:,}  {p.images_per_second:,.0f} img/s  "
            f"ETA {format_duration(p.eta_seconds)}"
        )
