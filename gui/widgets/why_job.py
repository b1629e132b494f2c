"""The image detail dialog's "Why?": a Grad-CAM heat map (core.infer.explain) computed as a
gui.jobs job, off the GUI thread. Qt-free; torch is imported on the job's thread only.

The last model's Explainer is kept, so toggling through the top-5 classes of one image
costs one forward and backward pass each, not a model load. It is keyed by the weights
file's modification time: during training the best model is replaced, and "Why?" must
explain the model that is on disk now."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from gui.jobs import Job, call_job

_lock = threading.Lock()  # one explanation at a time: the Explainer holds hooks on its model
_cached: dict[str, Any] = {}  # {"key": (path, mtime), "explainer": Explainer}


@dataclass(frozen=True)
class WhyResult:
    image_path: str
    overlay: np.ndarray  # uint8 (S, S, 3): what the model saw, heat map blended in
    class_name: str  # the class explained
    confidence: float  # its calibrated probability
    predicted: str
    # The explained model's own numbers for the image, so the dialog can show them with its
    # heat map (a Train-page tile's come from another epoch's model): (class, calibrated
    # probability), best first; and the epoch the model was saved at (0-based; None: unknown).
    top_k: tuple[tuple[str, float], ...] = ()
    model_epoch: int | None = None


def _explainer(model_path: str):
    from core.infer.explain import Explainer
    from core.models.checkpoints import load_model, resolve_model_paths

    _meta_path, weights = resolve_model_paths(model_path)
    key = (os.path.abspath(weights), os.path.getmtime(weights))
    if _cached.get("key") != key:
        _cached.clear()  # one model in memory at a time
        model, meta = load_model(model_path)
        _cached.update(key=key, explainer=Explainer(model, meta))
    return _cached["explainer"]


def explain_now(model_path: str, image_path: str, class_name: str | None) -> WhyResult:
    from core.infer.explain_files import explain_file

    with _lock:
        explainer = _explainer(model_path)
        overlay, e = explain_file(explainer, image_path, class_name)
        best = explainer.meta.raw.get("best")
    epoch = best.get("epoch") if isinstance(best, dict) else None
    epoch = epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None
    return WhyResult(image_path, overlay, e.class_name, e.confidence, e.predicted, e.top_k, epoch)


def why_job(model_path: str, image_path: str, class_name: str | None = None) -> Job:
    return call_job(lambda _control: explain_now(model_path, image_path, class_name))
