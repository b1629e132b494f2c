"""One epoch's training steps, the inner loop of core.train.loop: each step starts at
`control.checkpoint()` (the only place a stop or pause takes effect), the loss and accuracy
are summed on the device (no per-step sync), and a StepEnded report at most 4x a second
(core.train.step_report) brings the speed, the ETA and the CPU tuner's news. A step out of
memory is trained again in half batches (core.train.batch_backoff) when the GPU cache's own
retry (core.train.oom_retry) declines it. GPU sync points: the reports and the epoch's end."""

from __future__ import annotations

import time
from collections.abc import Generator

import torch

from core.control import RunControl
from core.errors import LoupeError
from core.events import LogMessage, TrainEvent
from core.files.run_folder import RunFolder
from core.train import data_parallel
from core.train.batch_backoff import BatchFeed, can_back_off, halve_batch
from core.train.cpu_tuner import SpeedMeter
from core.train.distributed import Ranks
from core.train.oom_retry import GpuCacheRetry
from core.train.run_summary import LongRunWarning
from core.train.setup import Setup
from core.train.step_report import ReportWindow, check_finite, report_step
from core.train.stream_skips import report_stream_skips
from core.train.train_step import train_step


class EpochTraining:
    """The training passes of one run: `epoch()` once per epoch. Between epochs it keeps
    whether the CPU tuner was measuring at the last report (the speed average starts afresh
    when it is done)."""

    def __init__(
        self,
        setup: Setup,
        ranks: Ranks,
        control: RunControl,
        folder: RunFolder,
        cache_retry: GpuCacheRetry,
        long_run: LongRunWarning,
    ) -> None:
        self.setup = setup
        self.ranks = ranks
        self.control = control
        self.folder = folder
        self.cache_retry = cache_retry
        self.long_run = long_run
        self.tuner_was_measuring = False

    def epoch(
        self, epoch: int, epochs_done: int, validation_seconds: float
    ) -> Generator[TrainEvent, None, tuple[float, float, bool]]:
        """Trains `epoch`; returns its training loss and accuracy (over all processes) and
        whether it was stopped. A halved batch changes the setup's config (and config.json,
        for a resume). `validation_seconds`: the last validation's duration, for the ETA."""
        s = self.setup
        cfg = s.cfg
        s.model.train()
        dev = s.device
        loss_sum = torch.zeros((), device=dev)  # accumulated on the device: no per-step sync
        correct = torch.zeros((), device=dev, dtype=torch.long)
        seen = 0
        window = ReportWindow(dev, self.control.paused_seconds)
        step = -1
        feed = BatchFeed(cfg.batch_size)
        batches = data_parallel.train_batches(s, self.ranks, cfg.batch_size, epoch)
        for images, labels in feed.pieces(batches):
            if self.control.checkpoint():
                return 0.0, 0.0, True
            precision = s.tuner.before_step(s.global_step)
            try:
                logits, loss = train_step(s, cfg.augment, images, labels, precision)
            except Exception as exc:
                # The cache moving to RAM first (it restarts the epoch); then a smaller batch.
                retry_first = self.cache_retry.should_retry(exc, epochs_done)
                alone = not self.ranks.distributed
                if retry_first or not alone or not can_back_off(exc, cfg.batch_size):
                    raise
                logits = None  # the exception, its frames and activations end with this block
            if logits is None:
                step, message = halve_batch(s, feed, step + 1)
                step -= 1  # the step that failed is trained next, in half batches
                cfg = s.cfg
                self.folder.write_json("config.json", self.ranks.run_record(cfg))  # for resume
                yield LogMessage("warning", message)
                continue
            step += 1
            n = labels.shape[0]
            detached = loss.detach().float()
            loss_sum += detached * n
            window.add(detached, n)
            correct += (logits.detach().argmax(1) == labels).sum()
            seen += n
            s.global_step += 1
            s.tuner.after_step(s.global_step, n)
            now = time.perf_counter()
            last_step = step == s.steps_per_epoch - 1
            if data_parallel.report_due(self.ranks, window, now, last_step):
                paused = self.control.paused_seconds
                mean_loss, ips = data_parallel.window_figures(self.ranks, window, now, paused)
                check_finite(mean_loss, epoch, step, cfg.lr)
                measuring = s.tuner.enabled
                if measuring or self.tuner_was_measuring:
                    # The settings being timed are not the run's: start the average afresh
                    # with the chosen one (the ETA jumped while the tuner measured).
                    s.speed = SpeedMeter()
                    self.tuner_was_measuring = measuring
                s.speed.add(ips)
                event = report_step(
                    s,
                    cfg,
                    self.folder,
                    epoch,
                    step,
                    mean_loss,
                    ips,
                    measuring,
                    validation_seconds,
                )
                yield event
                for message in s.tuner.messages():
                    yield LogMessage("info", message)
                # Say it early: once the speed is known (the CPU tuner done, 20 s in), not
                # after a first epoch that may itself take most of an hour.
                if not self.long_run.checked and not s.tuner.enabled and now - s.t_start > 20:
                    yield from self.long_run.check(event.eta_seconds, dev.type)
                window.restart(self.control.paused_seconds)
        if step < 0:
            raise LoupeError("No training images could be read.")
        yield from report_stream_skips(s, self.folder)
        return (*data_parallel.epoch_figures(self.ranks, loss_sum, correct, seen), False)
