"""The sentences and run.json records at a run's ends: why it stopped, what a failure means
for the user, a warning for a run that will take hours (at most once: LongRunWarning), and
the final summary fields."""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Iterator

from core.events import LogMessage, TrainEvent
from core.files.file_transfer import describe_os_error
from core.files.run_folder import RunFolder
from core.train.config import TrainConfig, named
from core.train.setup import Setup
from core.train.verdict import chance_accuracy, guessing_verdict
from core.words import format_count

LONG_RUN_SECONDS = 3600


def stop_reason(epoch: int, best_acc: float | None) -> str:
    kept = (
        f"; kept the best model (validation accuracy {best_acc:.1%})"
        if best_acc is not None
        else "; saved the weights so far (not yet validated), to resume or use"
    )
    return f"Stopped by the user during epoch {epoch + 1}{kept}."


def early_stop_reason(patience: int, best_acc: float, best_epoch: int) -> str:
    return (
        f"Early stop: validation accuracy did not improve for {format_count(patience, 'epoch')} "
        f"(best {best_acc:.1%} at epoch {best_epoch + 1})."
    )


def run_verdict(
    s: Setup | None,
    cfg: TrainConfig,
    best_acc: float | None,
    epochs_done: int,
    status: str,
    *,
    lr_chosen: bool,
    epochs_auto: bool,
) -> str:
    """Whether the run's best model only guesses (core.train.verdict), with advice that fits
    how it ended (`status`) and whether Epochs was on auto."""
    if s is None or epochs_done == 0:
        return ""
    return guessing_verdict(
        best_acc,
        chance_accuracy(s.val.labels),
        cfg.arch,
        cfg.pretrained or bool(cfg.weights_file),
        len(s.train),
        max(epochs_done * s.steps_per_epoch, s.global_step),
        lr_chosen,
        status=status,
        epochs_auto=epochs_auto,
        planned_steps=cfg.epochs * s.steps_per_epoch,
        patience=cfg.early_stopping_patience,
    )


def out_of_memory_reason(batch_size: int) -> str:
    """An out-of-memory error nothing recovered from, with the setting to change."""
    bs = batch_size
    if bs <= 1:  # core.train.batch_backoff halved it as far as it goes
        return (
            "The GPU ran out of memory even at batch size 1: lower "
            f"{named('image_size')} or choose a smaller model in {named('arch')}."
        )
    return (
        f"The GPU ran out of memory at batch size {bs}: set {named('batch_size')} "
        f"to {max(1, bs // 2)} or lower {named('image_size')}."
    )


def file_problem(exc: OSError, where: str, epochs_done: int) -> str:
    """A file error as a sentence naming the user's file and what to do."""
    text = f"Cannot write {exc.filename or where}: {describe_os_error(exc)}."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        text += " Free some space on that disk"
        text += ", then continue the run with resume." if epochs_done else "."
    return text


def long_run_warning(remaining_seconds: float, device_type: str) -> str | None:
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


class LongRunWarning:
    """long_run_warning, looked at once a run: as soon as the speed is known (the training
    steps, core.train.train_epoch) or else after the first epoch (core.train.loop)."""

    def __init__(self) -> None:
        self.checked = False

    def check(self, remaining_seconds: float, device_type: str) -> Iterator[TrainEvent]:
        warning = long_run_warning(remaining_seconds, device_type)
        self.checked = True
        if warning:
            yield LogMessage("warning", warning)


def record_interrupted(folder: RunFolder, epochs_done: int, model_saved: bool) -> None:
    """Ctrl+C or a dropped run: run.json must not go on saying "running"."""
    with contextlib.suppress(OSError):
        folder.update_summary(
            status="interrupted",
            reason=f"Interrupted during epoch {epochs_done + 1}"
            + ("; the best model so far is kept." if model_saved else "; no model was saved."),
            finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
            epochs_completed=epochs_done,
        )


def record_finished(
    folder: RunFolder,
    status: str,
    reason: str,
    epochs_done: int,
    paused_seconds: float,
    verdict: str,
    test_acc: float | None,
) -> None:
    # The folder itself may be the problem; the event still reports the reason.
    with contextlib.suppress(OSError):
        folder.update_summary(
            status=status,
            reason=reason,
            finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
            epochs_completed=epochs_done,
            # "took 57 s" must not count the minutes the run stood paused.
            paused_seconds=round(paused_seconds, 1),
            verdict=verdict,
            **({"test_acc": test_acc} if test_acc is not None else {}),
        )
