"""What classification yields, one item per file: plain data, safe to cross threads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassifiedImage:
    path: str
    label: str  # the predicted class name
    confidence: float  # probability of `label`, 0..1
    top_k: tuple[tuple[str, float], ...]  # (class name, probability), best first


@dataclass(frozen=True)
class UnreadableImage:
    path: str
    reason: str  # 'zero bytes', 'truncated', 'not an image', ...


@dataclass(frozen=True)
class ClassifyProgress:
    done: int  # files handled so far (classified + unreadable)
    total: int
    images_per_second: float
    eta_seconds: float
    note: str = ""  # something the user should know, said once (the batch was made smaller)
