"""Parameter counts for the architecture list, remembered between sessions.

The window lists every architecture with its parameter count as soon as it has loaded torch.
Counting builds each network (on the meta device: no weights), about 1.3 s for the list on 2
cores, most of it a few large torchvision networks and EfficientNet-Lite0's first import, with
the GIL held for up to ~150 ms at a time beside the window's event loop. A count only changes
with the code that builds the network, so the slow ones (those that took COUNT_REMEMBERED_S or
more) are kept in the user's cache folder per torch, torchvision and Loupe version; the quick
ones (Loupe's own small CNNs) are always counted afresh. A cache that cannot be read or written
only costs the counting.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence

FILE_NAME = "parameter_counts.json"
COUNT_REMEMBERED_S = 0.02


def _versions() -> str:
    import torch

    from core import __version__
    from core.models.registry import torchvision_version

    return f"torch {torch.__version__}, torchvision {torchvision_version()}, loupe {__version__}"


def parameter_counts(
    names: Sequence[str],
    num_classes: int = 10,
    folder: str | None = None,
    interrupted: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """{name: parameters with a `num_classes` head}; 0 where a builder failed. Stops early
    (returning what it has) when `interrupted()` says so."""
    from core.files.atomic import atomic_write_json
    from core.files.user_cache import user_cache_dir
    from core.models.registry import parameter_count

    path = os.path.join(folder or user_cache_dir(), FILE_NAME)
    key = f"{_versions()}, {num_classes} classes"
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        remembered = stored.get(key, {}) if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        remembered = {}
    if not isinstance(remembered, dict):
        remembered = {}
    counts: dict[str, int] = {}
    learnt = False
    for name in names:
        if interrupted():
            break
        if isinstance(remembered.get(name), int):
            counts[name] = remembered[name]
            continue
        start = time.perf_counter()
        try:
            counts[name] = parameter_count(name, num_classes)
        except Exception:  # one odd torchvision builder must not hide the others
            counts[name] = 0
            continue
        if time.perf_counter() - start >= COUNT_REMEMBERED_S:
            remembered[name], learnt = counts[name], True
    if learnt:
        with contextlib.suppress(OSError):  # a read-only home: count again next time
            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write_json(path, {key: remembered})  # other versions' counts are dropped
    return counts
