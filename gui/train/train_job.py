"""A training run as a job for gui.jobs: `core.train.loop.fit`'s events, with the promise
that the last one is always a RunFinished (a crash outside the engine included), so the
Train page always learns why a run ended. Qt-free."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core.control import RunControl
from core.events import LogMessage, RunFinished
from core.train.config import TrainConfig

FitFunction = Callable[[TrainConfig, RunControl], Iterable[Any]]


def _default_fit(config: TrainConfig, control: RunControl) -> Iterable[Any]:
    # Imported here, on the worker thread: core.train.loop imports torch.
    from core.train.loop import fit

    return fit(config, control)


def _failed(config: TrainConfig, reason: str) -> RunFinished:
    return RunFinished("failed", reason, config.out_dir, 0, None, None, None)


def training_job(
    config: TrainConfig, fit: FitFunction | None = None
) -> Callable[[RunControl], Iterator[Any]]:
    """The job that trains `config` (tests pass a fake `fit`). fit() handles stop and pause
    itself (it keeps the best model and says why it ended): run it with stop_at_yield=False."""
    run_fit = fit or _default_fit

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
