"""core.words: one way to write durations and counts in the window and the CLI."""

from __future__ import annotations

from core.words import format_count, format_duration


def test_durations_read_the_same_everywhere():
    assert format_duration(3.44) == "3.4 s"
    assert format_duration(45) == "45 s"
    assert format_duration(88) == "1 min 28 s"
    assert format_duration(2 * 3600 + 7 * 60 + 5) == "2 h 07 min"
    assert format_duration(-2) == "0.0 s"


def test_counts_have_thousands_separators_and_a_plural():
    assert format_count(1, "image") == "1 image"
    assert format_count(2753, "image") == "2,753 images"
    assert format_count(2, "class", "classes") == "2 classes"
