"""Value ranges for live plots that move only when they must.

pyqtgraph's auto-range follows every new point, so while a run trains the y range of the
loss and accuracy plots changed at every redraw, and each change re-rendered the axis: its
tick labels and the grid across the whole plot (the largest share of the window's painting,
measured in benchmarks/gui_responsiveness.py). `steady_range` keeps the current range while
the data fits it well, and otherwise picks one on "nice" boundaries (multiples of 1, 2 or 5
times a power of ten), so a falling loss changes its axis a handful of times in a run."""

from __future__ import annotations

import math

TICKS = 4  # a range spans about this many nice steps
MIN_FILL = 0.4  # the data must fill this share of the kept range, or the curve looks flat
GROWTH = 0.5  # room left, as a share of the data's span, on the side the data left the range


def nice_step(span: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least `span`."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    power = 10.0 ** math.floor(math.log10(span))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= span * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def steady_range(
    low: float,
    high: float,
    current: tuple[float, float] | None,
    limits: tuple[float, float] = (-math.inf, math.inf),
) -> tuple[float, float]:
    """The range to show data spanning low..high: `current` while it holds the data and the
    data fills at least MIN_FILL of it; else low..high widened to nice step boundaries, but
    not past `limits` (a loss is never below 0, an accuracy never above 100 %) unless the
    data is."""
    data_low, data_high = low, high
    span = high - low
    if span <= 0:  # one value (the first step): a band around it
        span = abs(high) * 0.2 or 1.0
    if current is not None:
        bottom, top = current
        if bottom <= low and high <= top and (high - low) >= MIN_FILL * (top - bottom):
            return current
        # Data that left the range usually keeps going (a falling loss): leave it room, so
        # the range grows geometrically and changes O(log) times rather than every step.
        low = low - GROWTH * span if low < bottom else low
        high = high + GROWTH * span if high > top else high
    step = nice_step(span / TICKS)
    bottom = math.floor(low / step) * step
    top = math.ceil(high / step) * step
    if top - bottom < span:  # low == high: floor and ceil met
        top = bottom + step * TICKS
    return max(bottom, min(limits[0], data_low)), min(top, max(limits[1], data_high))
