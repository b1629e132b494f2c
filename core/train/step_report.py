"""The bookkeeping between two StepEnded reports: the loss summed on the device (no per-step
sync), the images trained, and the time passed with the minutes spent paused left out."""

from __future__ import annotations

import math
import time

import torch

from core.errors import LoupeError
from core.events import StepEnded
from core.files.run_folder import RunFolder
from core.train.config import TrainConfig, named
from core.train.setup import Setup

REPORT_SECONDS = 0.25  # StepEnded at most 4x a second: each report syncs the device


class ReportWindow:
    def __init__(self, device: torch.device, paused_seconds: float) -> None:
        self.loss = torch.zeros((), device=device)
        self.samples = 0
        self.images = 0
        self.started = time.perf_counter()
        self.paused_at_start = paused_seconds

    def add(self, detached_loss: torch.Tensor, n: int) -> None:
        self.loss += detached_loss * n
        self.samples += n
        self.images += n

    def due(self, now: float, last_step: bool) -> bool:
        return now - self.started >= REPORT_SECONDS or last_step

    def mean_loss(self) -> float:
        return float(self.loss) / max(1, self.samples)  # sync point: reporting only

    def images_per_second(self, now: float, paused_seconds: float) -> float:
        paused = paused_seconds - self.paused_at_start
        return self.images / max(now - self.started - paused, 1e-9)

    def restart(self, paused_seconds: float) -> None:
        self.loss.zero_()
        self.samples = self.images = 0
        self.started = time.perf_counter()
        self.paused_at_start = paused_seconds


def check_finite(mean_loss: float, epoch: int, step: int, lr: float) -> None:
    if not math.isfinite(mean_loss):
        raise LoupeError(
            f"The training loss became {mean_loss} in epoch {epoch + 1}, step {step + 1}: "
            f"training diverged. Lower {named('lr')} (now {lr:g})."
        )


def report_step(
    s: Setup,
    cfg: TrainConfig,
    folder: RunFolder,
    epoch: int,
    step: int,
    mean_loss: float,
    ips: float,
    measuring: bool,
    validation_seconds: float,
) -> StepEnded:
    """The step's line in the run folder and its event, with the time left."""
    lr = s.optimizer.param_groups[0]["lr"]
    remaining = (cfg.epochs - epoch) * s.steps_per_epoch - step - 1
    eta = remaining * cfg.batch_size / max(s.speed.value, 1e-9)
    # Every epoch left ends with a validation as long as the last one.
    eta += (cfg.epochs - epoch) * validation_seconds
    folder.add_step(
        dict(
            epoch=epoch,
            step=step,
            global_step=s.global_step - 1,
            loss=round(mean_loss, 6),
            lr=lr,
        )
    )
    return StepEnded(
        epoch, step, s.global_step - 1, s.steps_per_epoch, mean_loss, lr, ips, eta, measuring
    )
