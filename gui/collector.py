"""Keep Python's garbage collector from freezing the window.

A full collection walks every tracked object with the GIL held. Once torch is imported the
GUI process holds ~400,000 of them (modules, functions, the window's widgets): one collection
took 200 ms of CPU, so the window stalled whenever the collector ran in any thread (and at
the end of every run, which collects to give memory back: core.device.release_memory).
Those objects live as long as the process, so they are moved out of the collector's reach."""

from __future__ import annotations

import gc


def freeze_long_lived_objects() -> None:
    """Every object alive now is never collected (nor walked) again; objects created later
    are collected as before. Called once the window is up and again once torch has loaded."""
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
