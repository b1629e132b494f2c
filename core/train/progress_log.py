"""Long preparation steps (decoding images, testing the best model) as log lines: a core
generator reports its progress at every unit of work; a person wants a line every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from core.events import LogMessage

PROGRESS_SECONDS = 2.0

Result = TypeVar("Result")


def logged_progress(
    work: Generator[Any, None, Result] | Iterator[Any],
    describe: Callable[[Any], str],
    seconds: float = PROGRESS_SECONDS,
) -> Generator[LogMessage, None, Result]:
    """Drive `work` to its end, yielding `describe(progress)` as an info line at most every
    `seconds`; return what `work` returned."""
    last = time.perf_counter()
    while True:
        try:
            progress = next(work)
        except StopIteration as stop:
            return stop.value
        if time.perf_counter() - last > seconds:
            last = time.perf_counter()
            yield LogMessage("info", describe(progress))
