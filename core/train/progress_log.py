"""Long preparation steps (decoding images, testing the best model) as log lines: a core
generator reports its progress at every unit of work; a person wants a line every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from core.data.batches import decode_into_array
from core.events import LogMessage

PROGRESS_SECONDS = 2.0
SHOWN_SKIPPED = 20  # skipped files named in the log: the first ones by name, then a count

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


def decoded_with_progress(
    paths: list[str], size: int, control, what: str = "images"
) -> Generator[LogMessage, None, tuple | None]:
    """Decode `paths` into one uint8 array at `size` px (center crop), with a log line every
    few seconds ("Decoded 1,200 of 3,000 {what} ..."); None when the run was asked to stop."""
    decoder = decode_into_array(paths, size, "crop", lambda: control.stop_requested)
    result = yield from logged_progress(
        decoder, lambda progress: f"Decoded {progress[0]:,} of {progress[1]:,} {what} ..."
    )
    return None if control.stop_requested else result
