"""The temperature stored in model.json, read without torch (the window describes models
before torch has loaded). core.infer.calibration fits it."""

from __future__ import annotations

import math
from typing import Any

# Beyond these bounds a fit says more about a degenerate validation set (all right, or a
# handful of images) than about the model.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0


def temperature_from_meta(raw: dict[str, Any]) -> float:
    """The temperature stored in a model.json; 1 for model files written before calibration.
    Raises ValueError for a value that would make confidences meaningless."""
    section = raw.get("calibration")
    if section is None:
        return 1.0
    if not isinstance(section, dict):
        raise ValueError("calibration must be an object")
    value = section.get("temperature", 1.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("calibration.temperature must be a number")
    if not math.isfinite(value) or not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
        raise ValueError(
            f"calibration.temperature must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}"
        )
    return float(value)
