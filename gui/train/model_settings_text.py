"""Texts of the settings panel: architecture facts and weights status in words, and hints
from the dataset (the problems are core.train.validation's, shared with the CLI). Pure
functions (no Qt, no torch: architecture facts arrive as plain dicts from the background
torch loader)."""

from __future__ import annotations

from typing import Any

from core.data.datasets import DatasetReport
from core.models.catalog import FEATURED, LOUPE_ARCHITECTURES
from core.train.defaults import has_small_images, native_image_size

AUTO_DESCRIPTION = "Loupe picks: small CNN for small images, pretrained model for photos"
AUTO_WEIGHTS_TEXT = (
    "ImageNet weights: used for photos (torchvision's when downloaded, else EfficientNet-Lite0's, "
    "bundled)"
)
# Offered before torch has loaded (core.models.registry imports torch, so the list cannot come from
# there at start-up); set_architectures replaces it with the real list a few seconds later.
FALLBACK_ARCHITECTURES = (*LOUPE_ARCHITECTURES, *FEATURED)
_IMBALANCE_RATIO = 5.0  # as core.data.datasets' warning
_BYTES_PER_PARAMETER = 4  # float32 checkpoints: the download is about 4 bytes per weight


def format_params(n: int | float | None) -> str:
    if not n:
        return ""
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def arch_item_text(name: str, info: dict[str, Any]) -> str:
    params = format_params(info.get("params"))
    return f"{name}  ({params})" if params else name


def weights_text(info: dict[str, Any], with_params: bool = False) -> str:
    status = info.get("weights")
    if status == "bundled":
        text = "ImageNet weights: bundled (work offline)"
    elif status == "cached":
        text = "ImageNet weights: cached"
    elif status == "downloadable":
        megabytes = (
            info.get("download_mb") or (info.get("params") or 0) * _BYTES_PER_PARAMETER / 1e6
        )
        size = f" (~{megabytes:.0f} MB)" if megabytes else ""
        text = f"ImageNet weights: will download{size}"
    elif status == "unavailable":
        text = (
            "ImageNet weights: unavailable offline — train from scratch or choose a local "
            "weights file"
        )
    elif status == "none":
        text = "No pretrained weights"
    else:
        text = ""
    params = format_params(info.get("params")) if with_params else ""
    if params:
        return f"{params} parameters · {text}" if text else f"{params} parameters"
    return text


def pretrained_blocker(arch: str, weights_status: str | None, has_weights_file: bool) -> str:
    """Why 'Start from ImageNet weights' does not apply ('' when it does)."""
    if arch == "auto":
        return "With 'auto', Loupe uses ImageNet weights for photos by itself when it can."
    if has_weights_file:
        return "A local weights file is used instead of ImageNet's."
    if weights_status == "none":
        return f"{arch} has no pretrained weights."
    if weights_status == "unavailable":
        return f"ImageNet weights for {arch} are not downloaded and this computer is offline."
    return ""


def image_size_hint(report: DatasetReport | None, size: int, info: dict[str, Any]) -> str:
    """A word on Image size: what auto does with these images while it is on auto (0), a
    warning when a chosen size enlarges small images; '' when there is nothing to say (a
    chosen size is not followed by what auto would have done)."""
    fixed = info.get("fixed_image_size")
    if fixed:
        return f"This model always uses {fixed} px."
    median = report.median_size if report is not None else None
    if not median:
        return (
            ""
            if size
            else "auto: near the images' own size for small images, 128–224 px for photos."
        )
    w, h = median
    if has_small_images(median):
        native = native_image_size(min(w, h))
        if size > 2 * native:
            return (
                f"Your images are only about {w}×{h}: {size} px enlarges them, which slows "
                "training without adding detail."
            )
        if size:
            return ""
        return f"Your images are small (about {w}×{h}): auto trains at {native} px, their own size."
    if size:
        return ""
    return f"Your images are about {w}×{h}: auto uses 224 px on a GPU, 128–160 px on a CPU."


def imbalance_hint(report: DatasetReport | None) -> str:
    if report is None:
        return ""
    totals = {c: sum(per.get(c, 0) for per in report.counts.values()) for c in report.class_names}
    present = {c: n for c, n in totals.items() if n > 0}
    if len(present) < 2:
        return ""
    largest = max(present, key=lambda c: (present[c], c))
    smallest = min(present, key=lambda c: (present[c], c))
    if present[largest] / present[smallest] <= _IMBALANCE_RATIO:
        return ""
    return (
        f"Classes are imbalanced ('{largest}' {present[largest]} images, '{smallest}' "
        f"{present[smallest]}): <a href='balance'>turn on class balancing</a> so the rare "
        "classes count."
    )
