"""The training loop: `fit(config, control)` is a generator of typed events (core.events).

One loop, one exit: each step starts at `control.checkpoint()`, the only place a stop or
pause takes effect. GPU sync points are named in comments; `.item()` only when reporting."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import math
import os
import time
import traceback
from collections.abc import Iterator

import torch

from core.control import RunControl
from core.data.augment import augment_batch, forget_device_constants
from core.data.batches import StreamingSource
from core.data.datasets import add_skipped
from core.device import device_rng_state, is_out_of_memory, release_memory
from core.errors import LoupeError
from core.events import (
    CheckpointSaved,
    EpochEnded,
    LogMessage,
    PredictionsSampled,
    RunFinished,
    StepEnded,
    TrainEvent,
)
from core.files.file_transfer import describe_os_error
from core.files.run_folder import RunFolder
from core.files.run_lock import RunLock
from core.infer.calibration import Calibration
from core.models.checkpoints import LAST_CKPT, MODEL_WEIGHTS, save_checkpoint, save_model
from core.train.batch_backoff import BatchFeed, can_back_off, halve_batch
from core.train.config import TrainConfig, named, to_dict
from core.train.cpu_tuner import SpeedMeter
from core.train.evaluation import autocast, evaluate
from core.train.metrics import per_class_metrics
from core.train.oom_retry import GpuCacheRetry
from core.train.setup import Setup, prepare
from core.train.test_evaluation import TEST_REPORT_DIR, evaluate_test_split
from core.train.validation import check_config
from core.train.verdict import chance_accuracy, guessing_verdict

REPORT_SECONDS = 0.25  # StepEnded at most 4x a second: each report syncs the device


def fit(config: TrainConfig, control: RunControl | None = None) -> Iterator[TrainEvent]:
    """Train as configured, yielding events; ends with exactly one RunFinished."""
    trainer = _Trainer(config, control or RunControl())
    try:
        yield from trainer.run()
    except LoupeError as exc:
        yield from trainer.fail(str(exc))
    except OSError as exc:  # the run folder's disk is full, read-only, gone, ...
        yield from trainer.fail(trainer.file_problem(exc))
    except Exception as exc:  # an engine bug must still end the run with a readable message
        if is_out_of_memory(exc):  # what _epochs_recovering could not recover from
            bs = trainer.cfg.batch_size
            if bs <= 1:  # core.train.batch_backoff halved it as far as it goes
                reason = (
                    "The GPU ran out of memory even at batch size 1: lower "
                    f"{named('image_size')} or choose a smaller model in {named('arch')}."
                )
            else:
                reason = (
                    f"The GPU ran out of memory at batch size {bs}: set {named('batch_size')} "
                    f"to {max(1, bs // 2)} or lower {named('image_size')}."
                )
        else:
            yield LogMessage("error", traceback.format_exc())
            reason = f"{type(exc).__name__}: {exc}"
        del exc  # its frames hold the activations: free them before the run's memory is released
        yield from trainer.fail(reason)
    except (KeyboardInterrupt, GeneratorExit):
        # Ctrl+C, or the consumer dropped the run: run.json must not go on saying "running".
        trainer.interrupted()
        raise
    finally:
        trainer.close()


class _Trainer:
    def __init__(self, cfg: TrainConfig, control: RunControl) -> None:
        self.cfg = cfg
        self.control = control
        self.setup: Setup | None = None
        self.folder: RunFolder | None = None
        self.best_acc: float | None = None
        self.best_epoch: int | None = None
        self.epochs_done = 0
        self.model_saved = False
        self.long_run_warned = False
        self.lock: RunLock | None = None
        self.validation_seconds = 0.0  # the last validation's duration, for the ETA
        self._tuner_was_measuring = False
        self.lr_chosen = cfg.lr != 0  # before auto fills it in: for the verdict's advice
        self.test_acc: float | None = None
        self.cache_retry: GpuCacheRetry | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> Iterator[TrainEvent]:
        check_config(self.cfg)  # before the run folder exists: a refused run leaves nothing
        # One writer per run folder: the lock comes before anything is written into it.
        self.lock = RunLock.acquire(self.cfg.out_dir)
        self.folder = RunFolder(self.lock.folder)
        setup = yield from prepare(self.cfg, self.folder, self.control)
        if setup is None:  # stopped while preparing
            yield self._finished("stopped", "Stopped before training started.")
            return
        self.setup = setup
        self.cfg = setup.cfg
        self.best_acc, self.best_epoch = setup.best_acc, setup.best_epoch
        self.epochs_done = setup.start_epoch
        self.model_saved = os.path.isfile(self.folder.file(MODEL_WEIGHTS)) and setup.start_epoch > 0
        yield setup.started_event
        setup.t_start = time.perf_counter()
        status, reason = yield from self._epochs_recovering()
        reason = yield from self._evaluate_test(reason)
        verdict = self._verdict()
        if verdict:
            yield LogMessage("warning", verdict)
        yield self._finished(status, reason, verdict)

    def _epochs_recovering(self) -> Iterator[TrainEvent]:
        """The one place an out-of-memory error during training is classified
        (core.device.is_out_of_memory) and recovered from. First recovery: a GPU-stored cache
        moves to RAM and the first epoch starts again (core.train.oom_retry). A further one
        (a smaller batch) belongs after it, for the OOMs it declines; whatever is not
        recovered from ends the run in fit() with advice."""
        self.cache_retry = cache_retry = GpuCacheRetry(self.setup)
        while True:
            try:
                return (yield from self._epochs())
            except Exception as exc:
                if not cache_retry.should_retry(exc, self.epochs_done):
                    raise
            # Out of the except block: the exception and its frames (the activations) are gone.
            yield LogMessage("warning", cache_retry.recover(self.folder))

    def close(self) -> None:
        """End the loader workers, give the run's GPU memory back (the window stays open and
        its next run must see the whole GPU again: core.device.free_memory), then let go of
        the run folder."""
        if self.setup is not None:
            device = self.setup.device
            for source in (self.setup.train, self.setup.val):
                if isinstance(source, StreamingSource):
                    source.close()
            self.setup = None  # the model, optimizer state and a GPU cache go with it
            self.cache_retry = None  # it holds the setup too
            forget_device_constants()
            release_memory(device)
        if self.lock is not None:
            # A run that never started leaves no folder behind (if it made the folder).
            self.lock.release(remove_created_folder=not self._summary_written())

    def _summary_written(self) -> bool:
        """run.json belongs to this run: prepare() wrote it (or, resuming, read it)."""
        return self.folder is not None and bool(self.folder.summary)

    def file_problem(self, exc: OSError) -> str:
        """A file error as a sentence naming the user's file and what to do."""
        where = exc.filename or (self.folder.path if self.folder else self.cfg.out_dir)
        text = f"Cannot write {where}: {describe_os_error(exc)}."
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            text += " Free some space on that disk"
            text += ", then continue the run with resume." if self.epochs_done else "."
        return text

    def interrupted(self) -> None:
        if not self._summary_written():
            return
        saved = os.path.isfile(self.folder.file(MODEL_WEIGHTS))
        with contextlib.suppress(OSError):
            self.folder.update_summary(
                status="interrupted",
                reason=f"Interrupted during epoch {self.epochs_done + 1}"
                + ("; the best model so far is kept." if saved else "; no model was saved."),
                finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                epochs_completed=self.epochs_done,
            )

    def fail(self, reason: str) -> Iterator[TrainEvent]:
        yield LogMessage("error", reason)
        yield self._finished("failed", reason)

    def _verdict(self) -> str:
        """Whether the run's best model only guesses (core.train.verdict), with advice."""
        s = self.setup
        if s is None or self.epochs_done == 0:
            return ""
        return guessing_verdict(
            self.best_acc,
            chance_accuracy(s.val.labels),
            self.cfg.arch,
            self.cfg.pretrained or bool(self.cfg.weights_file),
            len(s.train),
            self.epochs_done * s.steps_per_epoch,
            self.lr_chosen,
        )

    def _finished(self, status: str, reason: str, verdict: str = "") -> RunFinished:
        model_path = None
        run_dir = self.folder.path if self.folder else os.path.abspath(self.cfg.out_dir)
        if self.folder and os.path.isfile(self.folder.file(MODEL_WEIGHTS)):
            model_path = self.folder.file(MODEL_WEIGHTS)
        if self._summary_written():
            # The folder itself may be the problem; the event still reports the reason.
            # A run that failed before it started writes nothing: a resume refused for a
            # changed dataset must not overwrite the run's own record.
            with contextlib.suppress(OSError):
                self.folder.update_summary(
                    status=status,
                    reason=reason,
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                    epochs_completed=self.epochs_done,
                    # "took 57 s" must not count the minutes the run stood paused.
                    paused_seconds=round(self.control.paused_seconds, 1),
                    verdict=verdict,
                    **({"test_acc": self.test_acc} if self.test_acc is not None else {}),
                )
        return RunFinished(
            status,
            reason,
            run_dir,
            self.epochs_done,
            self.best_acc,
            self.best_epoch,
            model_path,
            verdict=verdict,
            test_acc=self.test_acc,
        )

    def _evaluate_test(self, reason: str) -> Iterator[TrainEvent]:
        """Finished, stopped or early-stopped alike: the best model meets the test split once."""
        s = self.setup
        if not s.test_samples or not self.model_saved:
            return reason
        yield LogMessage(
            "info", f"Evaluating the best model on the {len(s.test_samples)} test images ..."
        )
        try:
            report = yield from evaluate_test_split(
                self.folder.path, s.test_samples, s.class_names, str(s.device)
            )
        except (LoupeError, OSError) as exc:  # the trained model stays usable: say, go on
            yield LogMessage("warning", f"Test evaluation failed: {exc}")
            return reason
        self.test_acc = report["accuracy"]
        yield LogMessage(
            "info",
            f"Test accuracy {self.test_acc:.1%} on {report['images']} images; report in "
            f"{os.path.join(self.folder.path, TEST_REPORT_DIR, 'report.html')}",
        )
        return f"{reason.rstrip('.')}; test accuracy {self.test_acc:.1%}."

    # -- the loop ------------------------------------------------------------------------
    def _epochs(self) -> Iterator[TrainEvent]:
        s, cfg = self.setup, self.cfg
        patience_left = cfg.early_stopping_patience
        for epoch in range(s.start_epoch, cfg.epochs):
            t0, paused_before = time.perf_counter(), self.control.paused_seconds
            train_loss, train_acc, stopped = yield from self._train_epoch(epoch)
            if stopped:
                yield from self._save_on_stop(epoch)
                return "stopped", self._stop_reason(epoch)
            validation_started = time.perf_counter()
            ev = evaluate(
                s.model,
                s.val,
                s.eval_batch_size,
                len(s.class_names),
                s.device,
                s.tuner.precision,
                s.mean,
                s.std,
                s.sample_indices,
                s.thumbnails,
                # A big validation set on a CPU takes a while: a stop must not wait for it.
                should_stop=lambda: self.control.stop_requested,
            )
            if ev is None:  # stopped during validation: the epoch is repeated on resume
                yield from self._save_on_stop(epoch)
                return "stopped", self._stop_reason(epoch)
            self.validation_seconds = time.perf_counter() - validation_started
            improved = self.best_acc is None or ev.accuracy > self.best_acc
            if improved:
                self.best_acc, self.best_epoch = ev.accuracy, epoch
            self.epochs_done = epoch + 1
            seconds = time.perf_counter() - t0 - (self.control.paused_seconds - paused_before)
            lr = s.optimizer.param_groups[0]["lr"]
            per_class = per_class_metrics(ev.confusion, s.class_names)
            confusion = ev.confusion.tolist()
            yield EpochEnded(
                epoch,
                cfg.epochs,
                train_loss,
                train_acc,
                ev.loss,
                ev.accuracy,
                lr,
                seconds,
                per_class,
                confusion,
                improved,
                self.best_acc,
            )
            yield PredictionsSampled(epoch, s.class_names, ev.samples, ev.true, ev.pred)
            if epoch == s.start_epoch and not self.long_run_warned:
                yield from self._warn_if_long(seconds * (cfg.epochs - epoch - 1))
            self.folder.add_epoch(
                dict(
                    epoch=epoch,
                    train_loss=train_loss,
                    train_acc=train_acc,
                    val_loss=ev.loss,
                    val_acc=ev.accuracy,
                    lr=lr,
                    seconds=round(seconds, 3),
                )
            )
            self.folder.write_json(
                "evaluation.json",
                dict(
                    epoch=epoch,
                    class_names=s.class_names,
                    confusion=confusion,
                    per_class=[dataclasses.asdict(m) for m in per_class],
                    calibration=ev.calibration.to_dict() if ev.calibration else None,
                ),
            )
            if improved:
                self._save_best(epoch, ev.loss, ev.accuracy, ev.calibration)
                yield CheckpointSaved(self.folder.file(MODEL_WEIGHTS), "best", epoch)
            self._save_last(epoch + 1)
            yield CheckpointSaved(self.folder.file(LAST_CKPT), "last", epoch)
            self.folder.update_summary(
                status="running",
                best_val_acc=self.best_acc,
                best_epoch=self.best_epoch,
                epochs_completed=self.epochs_done,
                last_val_acc=ev.accuracy,
            )
            if cfg.early_stopping_patience:
                patience_left = cfg.early_stopping_patience if improved else patience_left - 1
                if patience_left <= 0:
                    return "early_stopped", (
                        f"Early stop: validation accuracy did not improve for "
                        f"{cfg.early_stopping_patience} epochs (best {self.best_acc:.1%} "
                        f"at epoch {self.best_epoch + 1})."
                    )
            if self.control.stop_requested:
                return "stopped", self._stop_reason(epoch + 1)
        best = f"best validation accuracy {self.best_acc:.1%}" if self.best_acc is not None else ""
        return "completed", f"Completed {cfg.epochs} epochs; {best}."

    def _stop_reason(self, epoch: int) -> str:
        kept = (
            f"; kept the best model (validation accuracy {self.best_acc:.1%})"
            if self.best_acc is not None
            else "; saved the weights so far (not yet validated), to resume or use"
        )
        return f"Stopped by the user during epoch {epoch + 1}{kept}."

    def _train_epoch(self, epoch: int) -> Iterator[TrainEvent]:
        s, cfg = self.setup, self.cfg
        model, opt = s.model, s.optimizer
        model.train()
        dev = s.device
        loss_sum = torch.zeros((), device=dev)  # accumulated on the device: no per-step sync
        correct = torch.zeros((), device=dev, dtype=torch.long)
        seen = 0
        report_loss = torch.zeros((), device=dev)
        report_n = 0
        last_report = time.perf_counter()
        paused_at_report = self.control.paused_seconds
        report_images = 0
        step = -1
        feed = BatchFeed(cfg.batch_size)
        for images, labels in feed.pieces(s.train.batches(cfg.batch_size, True, s.gen)):
            if self.control.checkpoint():
                return 0.0, 0.0, True
            precision = s.tuner.before_step(s.global_step)
            try:
                logits, loss = self._step(images, labels, precision)
            except Exception as exc:
                # The cache moving to RAM first (it restarts the epoch); then a smaller batch.
                retry_first = self.cache_retry.should_retry(exc, self.epochs_done)
                if retry_first or not can_back_off(exc, cfg.batch_size):
                    raise
                logits = None  # the exception, its frames and activations end with this block
            if logits is None:
                step, message = halve_batch(s, feed, step + 1)
                step -= 1  # the step that failed is trained next, in half batches
                self.cfg = cfg = s.cfg
                self.folder.write_json("config.json", to_dict(cfg))  # a resume continues so
                yield LogMessage("warning", message)
                continue
            step += 1
            n = labels.shape[0]
            detached = loss.detach().float()
            loss_sum += detached * n
            report_loss += detached * n
            correct += (logits.detach().argmax(1) == labels).sum()
            seen += n
            report_n += n
            report_images += n
            s.global_step += 1
            s.tuner.after_step(s.global_step, n)
            now = time.perf_counter()
            last_step = step == s.steps_per_epoch - 1
            if now - last_report >= REPORT_SECONDS or last_step:
                mean_loss = float(report_loss) / max(1, report_n)  # sync point: reporting only
                if not torch.isfinite(torch.tensor(mean_loss)):
                    raise LoupeError(
                        f"The training loss became {mean_loss} in epoch {epoch + 1}, step {step + 1}: "
                        f"training diverged. Lower {named('lr')} (now {cfg.lr:g})."
                    )
                paused = self.control.paused_seconds - paused_at_report
                ips = report_images / max(now - last_report - paused, 1e-9)
                measuring = s.tuner.enabled
                if measuring or self._tuner_was_measuring:
                    # The settings being timed are not the run's: start the average afresh
                    # with the chosen one (the ETA jumped while the tuner measured).
                    s.speed = SpeedMeter()
                    self._tuner_was_measuring = measuring
                s.speed.add(ips)
                lr = opt.param_groups[0]["lr"]
                remaining = (cfg.epochs - epoch) * s.steps_per_epoch - step - 1
                eta = remaining * cfg.batch_size / max(s.speed.value, 1e-9)
                # Every epoch left ends with a validation as long as the last one.
                eta += (cfg.epochs - epoch) * self.validation_seconds
                self.folder.add_step(
                    dict(
                        epoch=epoch,
                        step=step,
                        global_step=s.global_step - 1,
                        loss=round(mean_loss, 6),
                        lr=lr,
                    )
                )
                yield StepEnded(
                    epoch,
                    step,
                    s.global_step - 1,
                    s.steps_per_epoch,
                    mean_loss,
                    lr,
                    ips,
                    eta,
                    measuring,
                )
                for message in s.tuner.messages():
                    yield LogMessage("info", message)
                # Say it early: once the speed is known (the CPU tuner done, 20 s in), not
                # after a first epoch that may itself take most of an hour.
                if not self.long_run_warned and not s.tuner.enabled and now - s.t_start > 20:
                    yield from self._warn_if_long(eta)
                report_loss.zero_()
                report_n = report_images = 0
                last_report = time.perf_counter()
                paused_at_report = self.control.paused_seconds
        if step < 0:
            raise LoupeError("No training images could be read.")
        yield from self._report_stream_skips()
        return float(loss_sum) / max(1, seen), float(correct) / max(1, seen), False

    def _step(self, images, labels, precision) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step on a uint8 batch; returns its logits and loss (on the device)."""
        s = self.setup
        x = augment_batch(images, self.cfg.augment, s.gen, s.mean, s.std)
        with autocast(s.device, precision):
            logits = s.model(x)
            loss = s.criterion(logits, labels)
        s.optimizer.zero_grad(set_to_none=True)
        if s.scaler is not None:
            s.scaler.scale(loss).backward()
            s.scaler.step(s.optimizer)
            s.scaler.update()
        else:
            loss.backward()
            s.optimizer.step()
        s.scheduler.step()
        return logits, loss

    def _warn_if_long(self, remaining_seconds: float) -> Iterator[TrainEvent]:
        warning = _long_run_warning(remaining_seconds, self.setup.device.type)
        self.long_run_warned = True
        if warning:
            yield LogMessage("warning", warning)

    def _report_stream_skips(self) -> Iterator[TrainEvent]:
        """Files that only a full decode found broken (streaming mode): logged, and added to
        dataset.json so the report stays the complete list of skipped files."""
        found = False
        for split, source in (("train", self.setup.train), ("val", self.setup.val)):
            skipped = getattr(source, "skipped", None)
            while skipped:
                path, reason = skipped.pop(0)
                found = True
                add_skipped(
                    self.setup.report,
                    path,
                    reason,
                    split=split,
                    class_name=self._class_of(source, path),
                )
                yield LogMessage("warning", f"Skipped {path}: {reason}")
        if found:
            self.folder.write_json("dataset.json", self.setup.report.to_dict())

    def _class_of(self, source, path: str) -> str | None:
        try:
            return self.setup.class_names[int(source.labels[source.paths.index(path)])]
        except (ValueError, IndexError):
            return None

    # -- saving --------------------------------------------------------------------------
    def _model_meta(
        self,
        epoch: int | None,
        val_loss: float | None,
        val_acc: float | None,
        calibration: Calibration | None = None,
    ) -> dict:
        s, cfg = self.setup, self.cfg
        extra = {"calibration": calibration.to_dict()} if calibration is not None else {}
        return dict(
            arch=cfg.arch,
            num_classes=len(s.class_names),
            class_names=s.class_names,
            image_size=cfg.image_size,
            resize_mode="crop",
            normalization=dict(mean=list(s.mean), std=list(s.std)),
            best=dict(epoch=epoch, val_acc=val_acc, val_loss=_finite_or_none(val_loss)),
            param_count=s.param_count,
            dataset=os.path.abspath(cfg.data_dir),
            **extra,
        )

    def _save_best(
        self, epoch: int, val_loss: float, val_acc: float, calibration: Calibration | None
    ) -> None:
        meta = self._model_meta(epoch, val_loss, val_acc, calibration)
        save_model(self.setup.model, self.folder.path, meta)
        self.model_saved = True

    def _save_last(self, next_epoch: int) -> None:
        s = self.setup
        save_checkpoint(
            self.folder.file(LAST_CKPT),
            dict(
                format="loupe-checkpoint",
                next_epoch=next_epoch,
                global_step=s.global_step,
                model=s.model.state_dict(),
                optimizer=s.optimizer.state_dict(),
                scheduler=s.scheduler.state_dict(),
                scaler=s.scaler.state_dict() if s.scaler is not None else {},
                generator=s.gen.get_state(),
                torch_rng=torch.get_rng_state(),  # dropout masks and TrivialAugment
                cuda_rng=device_rng_state(s.device),  # dropout masks on a GPU
                best_acc=self.best_acc,
                best_epoch=self.best_epoch,
                class_names=s.class_names,
                config=to_dict(self.cfg),
            ),
        )

    def _save_on_stop(self, epoch: int) -> Iterator[TrainEvent]:
        """A stopped run keeps its best model; if it stopped before the first validation,
        the current weights are saved so there is something to use or resume. Resuming
        repeats the interrupted epoch from its start (the schedule restarts there too)."""
        if not self.model_saved:
            save_model(self.setup.model, self.folder.path, self._model_meta(None, None, None))
            self.model_saved = True
            yield CheckpointSaved(self.folder.file(MODEL_WEIGHTS), "best", epoch)
        # Resuming repeats the interrupted epoch from its start.
        self._save_last(epoch)
        yield CheckpointSaved(self.folder.file(LAST_CKPT), "last", epoch)


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: an fp16 overflow in the validation loss must not fail the save."""
    return value if value is not None and math.isfinite(value) else None


LONG_RUN_SECONDS = 3600


def _long_run_warning(remaining_seconds: float, device_type: str) -> str | None:
    """Say so early when a run will take hours, rather than let it run silently."""
    if remaining_seconds < LONG_RUN_SECONDS:
        return None
    hours = remaining_seconds / 3600
    advice = (
        f"a smaller {named('image_size')}, fewer {named('epochs')} or a smaller model "
        f"({named('arch')})"
    )
    if device_type == "cpu":
        advice += ", or a machine with a GPU"
    return f"At this speed the run needs about {hours:.1f} more hours. To go faster try {advice}."
