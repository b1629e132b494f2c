"""A run's config.json read back as untrusted input: every known field is checked against
the type its dataclass declares before anything is built from it, and a bad file is refused
in one sentence naming the file and the field ("epochs": "many", a list instead of an
object, NaN). Unknown keys are ignored (a newer Loupe may have written them); value ranges
are core.train.validation's. No import of the config itself: core.train.config uses this."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from typing import Any

from core.errors import LoupeError


class ConfigFileError(LoupeError, ValueError):
    """config.json is missing, not JSON, or holds a value of the wrong type or range."""


def _shown(value: Any) -> str:
    """A value as it looks in the JSON file, shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(hint: Any) -> str:
    if hint is bool:
        return "true or false"
    if hint is int:
        return "a whole number"
    if hint is float:
        return "a finite number"
    if hint is str:
        return "text"
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        kinds = [_kind(a) for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(kinds) + " or null"
    if dataclasses.is_dataclass(hint):
        return "an object"
    return str(hint)


def _fits(value: Any, hint: Any) -> bool:
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    if hint is str:
        return isinstance(value, str)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(
            value is None if a is type(None) else _fits(value, a) for a in typing.get_args(hint)
        )
    return True


def check_fields(path: str, data: Any, cls: type, prefix: str = "") -> None:
    """Raise ConfigFileError naming `path` and the field if `data` (parsed JSON) is not an
    object whose known fields have the types `cls` (a dataclass) declares."""
    if not isinstance(data, dict):
        what = f"'{prefix.rstrip('.')}'" if prefix else "the file"
        raise ConfigFileError(f"{path}: {what} must be a JSON object, not {type(data).__name__}.")
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        value, hint = data[field.name], hints[field.name]
        name = prefix + field.name
        if dataclasses.is_dataclass(hint):
            check_fields(path, value, hint, prefix=name + ".")
        elif not _fits(value, hint):
            raise ConfigFileError(f"{path}: '{name}' must be {_kind(hint)}, not {_shown(value)}.")
