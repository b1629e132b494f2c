"""Training events as JSON lines: how a training process started by the window (one process
or several under torch.distributed.run) sends its core.events back to it over a pipe.

`encode(event)` gives one line of JSON (no newline inside); `decode(line)` gives back the same
typed event, nested ClassMetrics and PredictionSample included. Thumbnails travel as their raw
uint8 bytes (base64) with their shape: exact, and no image codec on either side.

Decoding is driven by the events' own type hints, so an event added to core.events travels
without a change here; a line that is not one of them is refused with one sentence saying what
is wrong (EventStreamError). Plain Python and numpy: no torch, no Qt."""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any

import numpy as np

from core import events as events_module
from core.errors import LoupeError

TYPE_KEY = "event"  # the field naming the event's class in each line


class EventStreamError(LoupeError):
    """A line from a training process that is not an encoded event."""


@cache
def event_types() -> dict[str, type]:
    """Every event dataclass of core.events, by class name (nested ones included)."""
    return {
        name: value
        for name, value in vars(events_module).items()
        if isinstance(value, type)
        and dataclasses.is_dataclass(value)
        and value.__module__ == events_module.__name__
    }


# -- encoding ----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data: dataclasses as objects, arrays as bytes and shape."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {
            "dtype": data.dtype.str,
            "shape": list(data.shape),
            "base64": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    if isinstance(value, np.generic):  # a numpy float or int that slipped into an event
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def encode(event: object) -> str:
    """One JSON line (without its newline) for an event of core.events."""
    name = type(event).__name__
    if event_types().get(name) is not type(event):
        raise TypeError(f"{name} is not an event of core.events")
    data = {TYPE_KEY: name, **_plain(event)}
    # NaN and infinity are allowed (a diverged loss is a real value); json writes them as
    # NaN/Infinity, which json.loads reads back.
    return json.dumps(data, separators=(",", ":"))


# -- decoding ----------------------------------------------------------------------------


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _array(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, dict) or {"dtype", "shape", "base64"} - value.keys():
        raise EventStreamError(f"{where} should be an encoded array (dtype, shape, base64).")
    try:
        raw = base64.b64decode(value["base64"], validate=True)
        array = np.frombuffer(raw, dtype=np.dtype(value["dtype"]))
        return array.reshape([int(n) for n in value["shape"]]).copy()
    except (ValueError, TypeError) as exc:
        raise EventStreamError(f"{where} is not a readable array ({exc}).") from None


def _convert(value: Any, hint: Any, where: str) -> Any:
    """`value` (parsed JSON) as the type `hint` asks for, or EventStreamError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg, where)
            except EventStreamError:
                continue
        raise EventStreamError(f"{where} has an unexpected value {value!r:.80}.")
    if origin is typing.Literal:
        if value not in args:
            raise EventStreamError(f"{where} should be one of {', '.join(map(str, args))}.")
        return value
    if hint is np.ndarray:
        return _array(value, where)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, where)
    if origin is list:
        if not isinstance(value, list):
            raise EventStreamError(f"{where} should be a list.")
        return [_convert(v, args[0] if args else Any, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value) if isinstance(value, list) else ()
        if not isinstance(value, list) or len(args) != len(value):
            raise EventStreamError(f"{where} should be a list of {len(args)} values.")
        pairs = enumerate(zip(value, args, strict=True))
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in pairs)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise EventStreamError(f"{where} should be an object.")
        return value
    return _scalar(value, hint, where)


def _scalar(value: Any, hint: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and type(value) is hint:
        return value
    name = getattr(hint, "__name__", str(hint))
    raise EventStreamError(f"{where} should be a {name}, not {value!r:.80}.")


def _dataclass(value: Any, cls: type, where: str) -> Any:
    if not isinstance(value, dict):
        raise EventStreamError(f"{where} should be an object ({cls.__name__}).")
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            values[f.name] = _convert(value[f.name], hints[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise EventStreamError(f"{where} lacks its field '{f.name}'.")
    # Fields this version does not know are left out: a newer engine may send more.
    return cls(**values)


def decode(line: str | bytes) -> object:
    """The event encoded in `line`; EventStreamError (one sentence) when it is not one."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    shown = text.strip()[:60]
    try:
        data = json.loads(text)
    except ValueError:
        raise EventStreamError(f"Not an event line (not JSON): {shown!r}.") from None
    if not isinstance(data, dict) or not isinstance(data.get(TYPE_KEY), str):
        raise EventStreamError(f"Not an event line (no '{TYPE_KEY}' name): {shown!r}.")
    name = data.pop(TYPE_KEY)
    cls = event_types().get(name)
    if cls is None:
        raise EventStreamError(f"Unknown event '{name}' in the training process's output.")
    return _dataclass(data, cls, name)
