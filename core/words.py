"""Numbers in words, shared by the window and the CLI: one way to write a duration and a
count, so "1 min 28 s" and "2,753" read the same everywhere."""

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


def format_count(count: int, noun: str, plural: str = "") -> str:
    """'1 image', '2,753 images' (thousands separators always)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
