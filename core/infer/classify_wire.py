"""The classification process's messages as JSON lines: requests from the window ("classify",
"stop") and the run's events back (core.infer.classify_run's ModelLoaded, ImagesListed and
ResultsBatch, then "ended" or "failed" with its sentence).

Compact on purpose: a result is `[path, [[class, probability], ...]]`, best class first (its
label and confidence are the first pair), so a batch of a thousand results decodes in one
json.loads on the window's side. Floats travel as their repr and read back bit for bit. Plain
Python: no torch, no Qt."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from core.errors import LoupeError
from core.infer.classify_run import ClassifyRequest, ImagesListed, ModelLoaded, ResultsBatch
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from core.worker_wire import json_line, parse_json_line


class WireError(LoupeError):
    """A line from the classification process that is not one of its messages."""


@dataclass(frozen=True)
class RunEnded:
    message: str  # "Classified 3,000 images in 2 s (1,400 images/s)." or "Stopped: ..."


@dataclass(frozen=True)
class RunFailed:
    message: str  # one sentence for the page
    error: str = "LoupeError"  # the exception's type name in the process


def encode_request(request: ClassifyRequest) -> bytes:
    return json_line({"op": "classify", **dataclasses.asdict(request)})


STOP_LINE = json_line({"op": "stop"})


def decode_request(line: bytes) -> ClassifyRequest | str:
    """A ClassifyRequest, or the name of another operation ("stop")."""
    data = _parse(line)
    op = data.pop("op", None)
    if op != "classify":
        return str(op)
    names = {f.name for f in dataclasses.fields(ClassifyRequest)}
    return ClassifyRequest(**{k: v for k, v in data.items() if k in names})


def encode_event(event: object) -> bytes:
    if isinstance(event, ResultsBatch):
        progress = event.progress
        return json_line(
            {
                "type": "batch",
                "results": [[r.path, [list(pair) for pair in r.top_k]] for r in event.results],
                "unreadable": [[u.path, u.reason] for u in event.unreadable],
                "progress": None if progress is None else dataclasses.astuple(progress),
            }
        )
    if isinstance(event, ImagesListed):
        return json_line({"type": "listed", "count": event.count})
    if isinstance(event, ModelLoaded):
        return json_line({"type": "loaded", "path": event.path, "device": event.device})
    if isinstance(event, RunEnded):
        return json_line({"type": "ended", "message": event.message})
    if isinstance(event, RunFailed):
        return json_line({"type": "failed", "message": event.message, "error": event.error})
    raise TypeError(f"{type(event).__name__} is not a classification event")


def _parse(line: bytes | str) -> dict[str, Any]:
    return parse_json_line(line, WireError, "the classification process")


def _result(item: list) -> ClassifiedImage:
    path, pairs = item
    top_k = tuple((str(name), float(p)) for name, p in pairs)
    return ClassifiedImage(path, top_k[0][0], top_k[0][1], top_k)


def decode_event(line: bytes | str) -> object:
    """The event in `line`: ModelLoaded, ImagesListed, ResultsBatch, RunEnded or RunFailed."""
    data = _parse(line)
    kind = data.get("type")
    try:
        if kind == "batch":
            progress = data["progress"]
            return ResultsBatch(
                [_result(item) for item in data["results"]],
                [UnreadableImage(path, reason) for path, reason in data["unreadable"]],
                None if progress is None else ClassifyProgress(*progress),
            )
        if kind == "listed":
            return ImagesListed(int(data["count"]))
        if kind == "loaded":
            return ModelLoaded(data["path"], data["device"])
        if kind == "ended":
            return RunEnded(data["message"])
        if kind == "failed":
            return RunFailed(data["message"], data.get("error", "LoupeError"))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WireError(
            f"A '{kind}' message of the classification process is malformed ({exc})."
        ) from None
    raise WireError(f"Unknown message '{kind}' from the classification process.")
