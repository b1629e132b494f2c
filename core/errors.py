"""Errors a user can act on. Their message is one readable sentence naming the file and
the problem; the CLI prints it on one line and the GUI shows it in the window."""

from __future__ import annotations


class LoupeError(Exception):
    """Base class: `str(error)` is the message shown to the user."""


class ConfigError(LoupeError):
    """Settings a run cannot start with (core.train.validation lists every problem). Every
    process of a run under torchrun reaches it alike, so only process 0 says it."""


class DatasetError(LoupeError):
    """The dataset folder is missing, empty or laid out so that no classes can be found."""


class ImageLoadError(LoupeError):
    """One image could not be read. `reason` is short: 'zero bytes', 'truncated', ..."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ModelFileError(LoupeError):
    """A model folder or file is missing, malformed, unsafe or does not match its metadata."""


class WeightsUnavailableError(LoupeError):
    """Pretrained weights are neither cached nor downloadable."""
