"""Training events as JSON lines: how a training process started by the window (one process
or several under torch.distributed.run) sends its core.events back to it over a pipe.

`encode(event)` gives one line of JSON (no newline inside); `decode(line)` gives back the same
typed event, nested ClassMetrics and PredictionSample included. Thumbnails travel as their raw
uint8 bytes (base64) with their shape: exact, and no image codec on either side.

A stream that the same reader follows from its first line (the window's events file) says
each array once: `EventEncoder` writes a new array on a line of its own (`{"array": n, ...}`)
before the event that uses it, and that event, like every later one, names it `{"id": n}`;
`EventDecoder` keeps the arrays and gives them back. A run's prediction thumbnails are the same
every epoch: sent in full each time they were 3.5 MB per epoch for 96 of them, and parsing one
such line held the window's GIL for ~25 ms (a line per thumbnail is parsed in well under 1 ms).
`encode`/`decode` keep every line self-contained.

Decoding is driven by the events' own type hints, so an event added to core.events travels
without a change here; a line that is not one of them is refused with one sentence saying what
is wrong (EventStreamError). Plain Python and numpy: no torch, no Qt."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import types
import typing
from functools import cache
from typing import Any

import numpy as np

from core import events as events_module
from core.errors import LoupeError

TYPE_KEY = "event"  # the field naming the event's class in each line
ARRAY_KEY = "array"  # the field numbering the array of an EventEncoder's array line
_COMPACT = (",", ":")


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


class _Sent:
    """What an EventEncoder has sent: its arrays' numbers, by content, and the array lines
    still to be written before the next event."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.lines: list[str] = []


def _plain_array(value: np.ndarray, sent: _Sent | None) -> dict[str, Any]:
    data = np.ascontiguousarray(value)
    raw = data.tobytes()
    full = {
        "dtype": data.dtype.str,
        "shape": list(data.shape),
        "base64": base64.b64encode(raw).decode("ascii"),
    }
    if sent is None:
        return full
    digest = hashlib.blake2b(raw + f"{full['dtype']}{data.shape}".encode(), digest_size=16)
    key = digest.digest()
    if key not in sent.ids:
        sent.ids[key] = len(sent.ids)
        sent.lines.append(json.dumps({ARRAY_KEY: sent.ids[key], **full}, separators=_COMPACT))
    return {"id": sent.ids[key]}


def _plain(value: Any, sent: _Sent | None = None) -> Any:
    """`value` as JSON-ready data: dataclasses as objects, arrays as bytes and shape (or as
    their number, when `sent` is an EventEncoder's)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), sent) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return _plain_array(value, sent)
    if isinstance(value, np.generic):  # a numpy float or int that slipped into an event
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v, sent) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, sent) for v in value]
    return value


def _encode(event: object, sent: _Sent | None) -> str:
    name = type(event).__name__
    if event_types().get(name) is not type(event):
        raise TypeError(f"{name} is not an event of core.events")
    data = {TYPE_KEY: name, **_plain(event, sent)}
    # NaN and infinity are allowed (a diverged loss is a real value); json writes them as
    # NaN/Infinity, which json.loads reads back.
    return json.dumps(data, separators=_COMPACT)


def encode(event: object) -> str:
    """One JSON line (without its newline) for an event of core.events, readable alone."""
    return _encode(event, None)


class EventEncoder:
    """`encode` for one stream read from its start by one EventDecoder."""

    def __init__(self) -> None:
        self._sent = _Sent()

    def encode(self, event: object) -> str:
        """The lines (joined by newlines, without the last one) that send `event`: one per
        array not sent before, then the event."""
        line = _encode(event, self._sent)
        lines, self._sent.lines = [*self._sent.lines, line], []
        return "\n".join(lines)


# -- decoding ----------------------------------------------------------------------------


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _array(value: Any, where: str, seen: dict[int, np.ndarray] | None) -> np.ndarray:
    if isinstance(value, dict) and value.keys() == {"id"} and seen is not None:
        if value["id"] not in seen:
            raise EventStreamError(f"{where} refers to an array not sent before.")
        return seen[value["id"]]
    if not isinstance(value, dict) or {"dtype", "shape", "base64"} - value.keys():
        raise EventStreamError(f"{where} should be an encoded array (dtype, shape, base64).")
    try:
        raw = base64.b64decode(value["base64"], validate=True)
        array = np.frombuffer(raw, dtype=np.dtype(value["dtype"]))
        return array.reshape([int(n) for n in value["shape"]]).copy()
    except (ValueError, TypeError) as exc:
        raise EventStreamError(f"{where} is not a readable array ({exc}).") from None


def _convert(value: Any, hint: Any, where: str, seen: dict[int, np.ndarray] | None = None) -> Any:
    """`value` (parsed JSON) as the type `hint` asks for, or EventStreamError; `seen`: the
    arrays of the stream so far, by number (EventDecoder)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg, where, seen)
            except EventStreamError:
                continue
        raise EventStreamError(f"{where} has an unexpected value {value!r:.80}.")
    if origin is typing.Literal:
        if value not in args:
            raise EventStreamError(f"{where} should be one of {', '.join(map(str, args))}.")
        return value
    if hint is np.ndarray:
        return _array(value, where, seen)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, where, seen)
    if origin is list:
        if not isinstance(value, list):
            raise EventStreamError(f"{where} should be a list.")
        item = args[0] if args else Any
        return [_convert(v, item, f"{where}[{i}]", seen) for i, v in enumerate(value)]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value) if isinstance(value, list) else ()
        if not isinstance(value, list) or len(args) != len(value):
            raise EventStreamError(f"{where} should be a list of {len(args)} values.")
        pairs = enumerate(zip(value, args, strict=True))
        return tuple(_convert(v, a, f"{where}[{i}]", seen) for i, (v, a) in pairs)
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


def _dataclass(value: Any, cls: type, where: str, seen: dict[int, np.ndarray] | None) -> Any:
    if not isinstance(value, dict):
        raise EventStreamError(f"{where} should be an object ({cls.__name__}).")
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            values[f.name] = _convert(value[f.name], hints[f.name], f"{where}.{f.name}", seen)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise EventStreamError(f"{where} lacks its field '{f.name}'.")
    # Fields this version does not know are left out: a newer engine may send more.
    return cls(**values)


def decode(line: str | bytes) -> object:
    """The event encoded in `line`; EventStreamError (one sentence) when it is not one."""
    return _decode(line, None)


class EventDecoder:
    """`decode` for a stream written by one EventEncoder, read from its first line."""

    def __init__(self) -> None:
        self._seen: dict[int, np.ndarray] = {}

    def decode(self, line: str | bytes) -> object | None:
        """The event of `line`, or None for a line that carries an array for later events
        (kept here; every event that names it gets this same array, as fit()'s do)."""
        return _decode(line, self._seen)


def _decode(line: str | bytes, seen: dict[int, np.ndarray] | None) -> object:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    shown = text.strip()[:60]
    try:
        data = json.loads(text)
    except ValueError:
        raise EventStreamError(f"Not an event line (not JSON): {shown!r}.") from None
    if seen is not None and isinstance(data, dict) and isinstance(data.get(ARRAY_KEY), int):
        seen[data[ARRAY_KEY]] = _array(data, f"array {data[ARRAY_KEY]}", None)
        return None
    if not isinstance(data, dict) or not isinstance(data.get(TYPE_KEY), str):
        raise EventStreamError(f"Not an event line (no '{TYPE_KEY}' name): {shown!r}.")
    name = data.pop(TYPE_KEY)
    cls = event_types().get(name)
    if cls is None:
        raise EventStreamError(f"Unknown event '{name}' in the training process's output.")
    return _dataclass(data, cls, name, seen)
