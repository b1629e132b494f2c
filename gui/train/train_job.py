"""A training run as a job for gui.jobs: the events of a training process the window starts
(core.train.child_run.child_fit: the window's own process never runs the training loop, so
its GUI thread never waits for a training thread's GIL), with the promise that the last one
is always a RunFinished (a crash outside the engine included), so the Train page always
learns why a run ended. Qt-free."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core.control import RunControl
from core.events import LogMessage, RunFinished
from core.train.child_run import child_fit
from core.train.config import TrainConfig

FitFunction = Callable[[TrainConfig, RunControl], Iterable[Any]]


def _failed(config: TrainConfig, reason: str) -> RunFinished:
    return RunFinished("failed", reason, config.out_dir, 0, None, None, None)


def training_job(
    config: TrainConfig, fit: FitFunction | None = None
) -> Callable[[RunControl], Iterator[Any]]:
    """The job that trains `config` in a child process (tests of the page's behaviour pass a
    fake `fit`). The child handles stop and pause itself (it keeps the best model and says
    why it ended): run it with stop_at_yield=False."""
    run_fit = fit or child_fit

    def job(control: RunControl) -> Iterator[Any]:
        finished = False
        try:
            for event in run_fit(config, control):
                finished = finished or isinstance(event, RunFinished)
                yield event
        except Exception as exc:  # the window must hear about any failure
            yield LogMessage("error", traceback.format_exc())
            if not finished:
                yield _failed(config, f"Training crashed: {type(exc).__name__}: {exc}")
            return
        if not finished:
            yield _failed(config, "The training ended without a result.")

    return job
