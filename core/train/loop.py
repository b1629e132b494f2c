"""The training loop: `fit(config, control)` is a generator of typed events (core.events).

One loop, one exit: each step starts at `control.checkpoint()`, the only place a stop or
pause takes effect. Here: the run's lifecycle (prepare, epochs, test, the one RunFinished,
failures as sentences) and its epochs (validation, records, checkpoints, when to stop); the
steps of an epoch are core.train.train_epoch's."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Iterator

from core.control import RunControl
from core.data.augment import forget_device_constants
from core.data.batches import StreamingSource
from core.device import is_out_of_memory, release_memory
from core.errors import ConfigError, LoupeError
from core.events import (
    CheckpointSaved,
    EpochEnded,
    LogMessage,
    PredictionsSampled,
    RunFinished,
    TrainEvent,
)
from core.files.run_folder import RunFolder
from core.files.run_lock import RunLock
from core.infer.calibration import Calibration
from core.models.checkpoints import LAST_CKPT, MODEL_WEIGHTS
from core.train import data_parallel
from core.train.config import TrainConfig
from core.train.distributed import Ranks
from core.train.metrics import per_class_metrics
from core.train.oom_retry import GpuCacheRetry
from core.train.plateau import auto_epochs_watch
from core.train.run_saving import record_epoch, save_best, save_last
from core.train.run_summary import (
    LongRunWarning,
    early_stop_reason,
    file_problem,
    out_of_memory_reason,
    record_finished,
    record_interrupted,
    run_verdict,
    stop_reason,
)
from core.train.semi_supervised import UNLABELLED_UNDER_TORCHRUN
from core.train.setup import Setup, prepare
from core.train.test_evaluation import evaluate_best_model
from core.train.train_epoch import EpochTraining
from core.train.validation import check_config, out_folder_problem
from core.words import format_count


def fit(config: TrainConfig, control: RunControl | None = None) -> Iterator[TrainEvent]:
    """Train as configured, yielding events; ends with exactly one RunFinished. Under torchrun,
    one process of a data-parallel run (core.train.distributed; Ranks.failure: refusals)."""
    ranks = Ranks.from_env()
    yield from ranks.own_events(_fit(config, control or RunControl(), ranks))


def _fit(config: TrainConfig, control: RunControl, ranks: Ranks) -> Iterator[TrainEvent]:
    trainer = _Trainer(config, control, ranks)
    try:
        yield from trainer.run()
    except LoupeError as exc:
        yield from trainer.fail(ranks.failure(exc))  # a refusal alike everywhere: said once
    except OSError as exc:  # the run folder's disk is full, read-only, gone, ...
        yield from trainer.fail(trainer.file_problem(exc))
    except Exception as exc:  # an engine bug must still end the run with a readable message
        ranks.ending()  # torchrun's SIGTERM must not cut the record of this ending short
        if is_out_of_memory(exc):  # what _epochs_recovering could not recover from
            reason = out_of_memory_reason(trainer.cfg.batch_size)
        elif lost := ranks.lost_contact(exc):  # another process of the run died
            reason = lost
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
    def __init__(self, cfg: TrainConfig, control: RunControl, ranks: Ranks) -> None:
        self.asked = cfg  # the settings as given; self.cfg once prepare() is done
        self.ranks = ranks
        self.control = ranks.shared_control(control)  # alone: `control` itself
        self.setup: Setup | None = None
        self.folder: RunFolder | None = None
        self.best_acc: float | None = None
        self.best_epoch: int | None = None
        self.epochs_done = 0
        self.model_saved = False
        self.long_run = LongRunWarning()
        self.lock: RunLock | None = None
        self.validation_seconds = 0.0  # the last validation's duration, for the ETA
        self.lr_chosen = cfg.lr != 0  # before auto fills it in: for the verdict's advice
        self.test_acc: float | None = None
        self.training: EpochTraining | None = None  # the steps of each epoch
        self.epochs_on_auto = cfg.epochs == 0 and not cfg.resume  # core.train.plateau's ceiling

    @property
    def cfg(self) -> TrainConfig:
        """The run's settings: as given until prepare() is done, then the setup's (auto values
        filled in; a halved batch changes them during the run)."""
        return self.setup.cfg if self.setup is not None else self.asked

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> Iterator[TrainEvent]:
        check_config(self.cfg)  # before the run folder exists: a refused run leaves nothing
        if self.ranks.distributed and self.cfg.unlabelled.folder:
            raise ConfigError(UNLABELLED_UNDER_TORCHRUN)  # alike everywhere: said once
        if (
            self.ranks.writer
            and not self.cfg.resume
            and (problem := out_folder_problem(self.cfg.out_dir))
        ):
            raise LoupeError(problem)  # before the lock: nothing is added to the user's folder
        self.ranks.start(self.cfg.device)
        # One writer per run folder: the lock comes before anything is written into it.
        self.lock, self.folder = self.ranks.open_folder(self.cfg.out_dir)
        setup = yield from prepare(self.cfg, self.folder, self.control, self.ranks)
        if setup is None:  # stopped while preparing
            yield self._finished("stopped", "Stopped before training started.")
            return
        self.setup = setup
        data_parallel.wrap_model(setup, self.ranks)
        self.best_acc, self.best_epoch = setup.best_acc, setup.best_epoch
        self.epochs_done = setup.start_epoch
        self.model_saved = os.path.isfile(self.folder.file(MODEL_WEIGHTS)) and setup.start_epoch > 0
        yield setup.started_event
        setup.t_start = time.perf_counter()
        status, reason = yield from self._epochs_recovering()
        reason = yield from self._evaluate_test(reason)
        if self.setup.semi is not None:  # whether the unlabelled images helped, said once
            reason = yield from self.setup.semi.finish(self.folder, self.best_acc, reason)
        chosen = dict(lr_chosen=self.lr_chosen, epochs_auto=self.epochs_on_auto)
        verdict = run_verdict(
            self.setup, self.cfg, self.best_acc, self.epochs_done, status, **chosen
        )
        if verdict:
            yield LogMessage("warning", verdict)
        yield self._finished(status, reason, verdict)

    def _epochs_recovering(self) -> Iterator[TrainEvent]:
        """The one place an out-of-memory error during training is classified
        (core.device.is_out_of_memory) and recovered from. First recovery: a GPU-stored cache
        moves to RAM and the first epoch starts again (core.train.oom_retry). A further one
        (a smaller batch) belongs after it, for the OOMs it declines; whatever is not
        recovered from ends the run in fit() with advice."""
        cache_retry = GpuCacheRetry(self.setup)
        self.training = EpochTraining(
            self.setup, self.ranks, self.control, self.folder, cache_retry, self.long_run
        )
        while True:
            try:
                return (yield from self._epochs())
            except Exception as exc:
                # A group's processes would have to recover together: it fails instead.
                if self.ranks.distributed or not cache_retry.should_retry(exc, self.epochs_done):
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
            self.training = None  # it holds the setup too (and so does its GpuCacheRetry)
            forget_device_constants()
            release_memory(device)
        if self.lock is not None:
            # A run that never started leaves no folder behind (if it made the folder).
            self.lock.release(remove_created_folder=not self._summary_written())
        self.ranks.close()

    def _summary_written(self) -> bool:
        """run.json belongs to this run: prepare() wrote it (or, resuming, read it)."""
        return self.folder is not None and bool(self.folder.summary)

    def file_problem(self, exc: OSError) -> str:
        where = self.folder.path if self.folder else self.cfg.out_dir
        return file_problem(exc, where, self.epochs_done)

    def interrupted(self) -> None:
        if self._summary_written():
            saved = os.path.isfile(self.folder.file(MODEL_WEIGHTS))
            record_interrupted(self.folder, self.epochs_done, saved)

    def fail(self, reason: str) -> Iterator[TrainEvent]:
        self.ranks.ending()  # before the log line: the record must be written after it
        yield LogMessage("error", reason)
        yield self._finished("failed", reason)

    def _finished(self, status: str, reason: str, verdict: str = "") -> RunFinished:
        self.ranks.ending()
        model_path = None
        semi_run = self.setup is not None and self.setup.semi is not None
        run_dir = self.folder.path if self.folder else os.path.abspath(self.cfg.out_dir)
        if self.folder and os.path.isfile(self.folder.file(MODEL_WEIGHTS)):
            model_path = self.folder.file(MODEL_WEIGHTS)
        if self._summary_written():
            # A run that failed before it started writes nothing: a resume refused for a
            # changed dataset must not overwrite the run's own record.
            record_finished(
                self.folder,
                status,
                reason,
                self.epochs_done,
                self.control.paused_seconds,
                verdict,
                self.test_acc,
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
            unlabelled_verdict=self.setup.semi.verdict(self.best_acc) if semi_run else "",
        )

    def _evaluate_test(self, reason: str) -> Iterator[TrainEvent]:
        """Finished, stopped or early-stopped alike: the best model meets the test split once."""
        if not self.setup.test_samples or not self.model_saved or not self.folder.writable:
            return reason
        self.test_acc = yield from evaluate_best_model(self.setup, self.folder.path)
        if self.test_acc is None:
            return reason
        return f"{reason.rstrip('.')}; test accuracy {self.test_acc:.1%}."

    # -- the loop ------------------------------------------------------------------------
    def _epochs(self) -> Iterator[TrainEvent]:
        s, cfg = self.setup, self.cfg
        patience_left = cfg.early_stopping_patience
        plateau = auto_epochs_watch(s, self.epochs_on_auto, self.folder.metrics)
        for epoch in range(s.start_epoch, cfg.epochs):
            t0, paused_before = time.perf_counter(), self.control.paused_seconds
            trained = self.training.epoch(epoch, self.epochs_done, self.validation_seconds)
            train_loss, train_acc, stopped = yield from trained
            if stopped:
                yield from self._save_on_stop(epoch)
                return "stopped", stop_reason(epoch, self.best_acc)
            validation_started = time.perf_counter()
            # A big validation set on a CPU takes a while: a stop must not wait for it.
            ev = data_parallel.validate(s, self.ranks, lambda: self.control.stop_requested)
            # The labelled-only twin's validation (core.train.semi_supervised): ({}, "") without.
            semi: tuple | None = ({}, "")
            if s.semi is not None and ev is not None:
                semi = s.semi.end_epoch(s, epoch, lambda: self.control.stop_requested)
            if ev is None or semi is None:  # stopped during validation: repeated on resume
                yield from self._save_on_stop(epoch)
                return "stopped", stop_reason(epoch, self.best_acc)
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
            if semi[1]:
                yield LogMessage("info", semi[1])
            if epoch == s.start_epoch and not self.long_run.checked:
                yield from self.long_run.check(seconds * (cfg.epochs - epoch - 1), s.device.type)
            record_epoch(
                self.folder,
                epoch,
                train_loss,
                train_acc,
                ev,
                lr,
                seconds,
                s.class_names,
                per_class,
                confusion,
                extra=semi[0],
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
                **({"unlabelled": s.semi.summary(self.best_acc)} if s.semi else {}),
            )
            if cfg.early_stopping_patience:
                patience_left = cfg.early_stopping_patience if improved else patience_left - 1
                if patience_left <= 0:
                    best = self.best_acc, self.best_epoch
                    return "early_stopped", early_stop_reason(cfg.early_stopping_patience, *best)
            if plateau is not None and plateau.add(ev.accuracy, ev.loss, train_acc):
                return "early_stopped", plateau.reason(self.best_acc, self.best_epoch)
            if self.control.stop_requested:
                return "stopped", stop_reason(epoch + 1, self.best_acc)
        best = f"best validation accuracy {self.best_acc:.1%}" if self.best_acc is not None else ""
        return "completed", f"Completed {format_count(cfg.epochs, 'epoch')}; {best}."

    # -- saving --------------------------------------------------------------------------
    def _save_best(
        self, epoch: int, val_loss: float, val_acc: float, calibration: Calibration | None
    ) -> None:
        save_best(self.setup, self.cfg, self.folder, epoch, val_loss, val_acc, calibration)
        self.model_saved = True

    def _save_last(self, next_epoch: int) -> None:
        save_last(self.setup, self.cfg, self.folder, next_epoch, self.best_acc, self.best_epoch)

    def _save_on_stop(self, epoch: int) -> Iterator[TrainEvent]:
        """A stopped run keeps its best model; if it stopped before the first validation,
        the current weights are saved so there is something to use or resume. Resuming
        repeats the interrupted epoch from its start (the schedule restarts there too)."""
        if not self.model_saved:
            save_best(self.setup, self.cfg, self.folder, None, None, None)
            self.model_saved = True
            yield CheckpointSaved(self.folder.file(MODEL_WEIGHTS), "best", epoch)
        # Resuming repeats the interrupted epoch from its start.
        self._save_last(epoch)
        yield CheckpointSaved(self.folder.file(LAST_CKPT), "last", epoch)
