"""The first window fits the screen: on a 1280x720 laptop the status bar and the right-hand
buttons were off screen (the window opened at 1440x900)."""

from __future__ import annotations

from PySide6.QtCore import QSize

from gui.main_window import default_window_size


def test_the_first_window_fits_a_small_screen():
    assert default_window_size(QSize(1280, 690)) == QSize(1280, 690)


def test_the_first_window_keeps_its_size_on_a_large_screen():
    assert default_window_size(QSize(2560, 1400)) == QSize(1440, 900)
