"""Numbers in words for the window: durations, shared by every page."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """Short and readable: '3.4 s', '45 s', '3 min 05 s', '2 h 07 min'."""
    if seconds < 9.95:
        return f"{max(seconds, 0.0):.1f} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
