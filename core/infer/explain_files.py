"""`python main.py explain RUN_DIR IMAGE_OR_DIR --out DIR`: one Grad-CAM overlay PNG per
image (DIR/<stem>.png, the class and confidence also in the PNG's text chunks) and
DIR/explanations.csv listing them. Nothing existing is replaced without `force`."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from core.data.imaging import is_image_name, load_square
from core.errors import ImageLoadError, LoupeError
from core.files.atomic import atomic_write_bytes, atomic_write_text
from core.infer.explain import Explainer, Explanation, overlay

EXPLANATIONS_CSV = "explanations.csv"
DISPLAY_SIDE = 384  # px: overlays are drawn on the model's view at this size, not its 32 px


@dataclass(frozen=True)
class ExplainedFile:
    path: str  # the image
    out_path: str | None  # the overlay written
    explanation: Explanation | None
    error: str | None = None


def overlay_for_display(path: str, explanation: Explanation, image_size: int, mode: str):
    """What the model saw (same crop or squash), at a size a person can look at, with the
    heat map blended in: uint8 (S, S, 3)."""
    side = max(image_size, DISPLAY_SIDE)
    return overlay(load_square(path, side, mode), explanation.heatmap)


def explain_file(
    explainer: Explainer, path: str, class_name: str | None = None
) -> tuple[np.ndarray, Explanation]:
    """(overlay to show, explanation) for one image file, as the model sees it."""
    meta = explainer.meta
    image = load_square(path, meta.image_size, meta.resize_mode)
    explanation = explainer.explain(image, class_name)
    return overlay_for_display(path, explanation, meta.image_size, meta.resize_mode), explanation


def _png_bytes(image: np.ndarray, explanation: Explanation) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("loupe:class", explanation.class_name)
    info.add_text("loupe:confidence", f"{explanation.confidence:.6f}")
    info.add_text("loupe:predicted", explanation.predicted)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _inputs(image_or_dir: str) -> list[str]:
    from core.infer.inference import list_images

    path = os.path.abspath(os.path.expanduser(image_or_dir))
    if os.path.isdir(path):
        found = list_images(path)
        if not found:
            raise LoupeError(f"No images found in {path}.")
        return found
    if os.path.isfile(path):
        if not is_image_name(path):
            raise LoupeError(f"{path} is not an image file Loupe reads.")
        return [path]
    raise LoupeError(f"Not found: {path}")


def _out_names(paths: list[str], out_dir: str) -> list[str]:
    """DIR/<stem>.png, made unique ("<stem> (2).png") when two inputs share a stem."""
    used: set[str] = set()
    names = []
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        name, n = f"{stem}.png", 1
        while name.lower() in used or name == EXPLANATIONS_CSV:
            n += 1
            name = f"{stem} ({n}).png"
        used.add(name.lower())
        names.append(os.path.join(out_dir, name))
    return names


def explain_paths(
    model_path: str,
    image_or_dir: str,
    out_dir: str,
    class_name: str | None = None,
    device: str = "auto",
    force: bool = False,
) -> Iterator[ExplainedFile]:
    from core.device import resolve_device
    from core.models.checkpoints import load_model

    paths = _inputs(image_or_dir)
    out_dir = os.path.abspath(os.path.expanduser(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise LoupeError(f"--out must be a folder, but {out_dir} is a file.")
    targets = _out_names(paths, out_dir)
    csv_path = os.path.join(out_dir, EXPLANATIONS_CSV)
    if not force:
        for target in [*targets, csv_path]:
            if os.path.lexists(target):
                raise LoupeError(
                    f"{target} already exists: choose another --out folder, or pass --force."
                )
    model, meta = load_model(model_path)
    explainer = Explainer(model, meta, resolve_device(device))
    explainer.class_index(class_name)  # an unknown class is refused before any work
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for path, target in zip(paths, targets):
        try:
            picture, explanation = explain_file(explainer, path, class_name)
        except ImageLoadError as exc:
            yield ExplainedFile(path, None, None, exc.reason)
            continue
        atomic_write_bytes(target, _png_bytes(picture, explanation))
        rows.append((path, target, explanation))
        yield ExplainedFile(path, target, explanation)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "overlay", "class", "confidence", "predicted", "predicted_confidence"])
    for path, target, e in rows:
        writer.writerow(
            [
                path,
                os.path.basename(target),
                e.class_name,
                f"{e.confidence:.6f}",
                e.predicted,
                f"{e.predicted_confidence:.6f}",
            ]
        )
    atomic_write_text(csv_path, buffer.getvalue(), newline="")
