"""`python main.py explain RUN_DIR IMAGE_OR_DIR --out DIR`: one Grad-CAM overlay PNG per
image (DIR/<stem>.png, the class and confidence also in the PNG's text chunks) and
DIR/explanations.csv listing them. Nothing existing is replaced without `force`, and even
with it only the overlays an earlier explain wrote there (its explanations.csv lists them)."""

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
from core.files.sort_names import existing_names, fit_file_name, free_name, name_key
from core.infer.explain import Explainer, Explanation, overlay

EXPLANATIONS_CSV = "explanations.csv"
CSV_HEADER = ["path", "overlay", "class", "confidence", "predicted", "predicted_confidence"]
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


def _inputs(image_or_dir: str) -> tuple[list[str], str | None]:
    """The images to explain, and the folder they were found in (None for one file)."""
    from core.infer.inference import list_images

    path = os.path.abspath(os.path.expanduser(image_or_dir))
    if os.path.isdir(path):
        found = list_images(path)
        if not found:
            raise LoupeError(f"No images found in {path}.")
        return found, path
    if os.path.isfile(path):
        if not is_image_name(path):
            raise LoupeError(f"{path} is not an image file Loupe reads.")
        return [path], None
    raise LoupeError(f"Not found: {path}")


def _is_within(path: str, folder: str) -> bool:
    path, folder = (os.path.normcase(os.path.realpath(p)) for p in (path, folder))
    return path == folder or path.startswith(os.path.join(folder, ""))


def _earlier_rows(csv_path: str) -> dict[str, list[str]]:
    """The rows of an explanations.csv Loupe wrote, by the name key of their overlay: the
    only files in the folder that `force` may replace. A CSV of another shape is not Loupe's,
    and is refused rather than replaced."""
    if not os.path.lexists(csv_path):
        return {}
    try:
        with open(csv_path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoupeError(
            f"{csv_path} cannot be read ({exc}): choose another --out folder."
        ) from exc
    if not rows or rows[0] != CSV_HEADER:
        raise LoupeError(
            f"{csv_path} was not written by Loupe's explain, so --force does not replace it: "
            "choose another --out folder."
        )
    earlier = {}
    for row in rows[1:]:
        name = row[1] if len(row) == len(CSV_HEADER) else ""
        if name and name == os.path.basename(name) and name not in (".", ".."):
            earlier[name_key(name)] = row
    return earlier


def _out_names(paths: list[str], out_dir: str, taken: set[str]) -> list[str]:
    """DIR/<stem>.png for each image, numbered like a sort's copies ("<stem> (1).png") when
    the name is taken: by another input's overlay, an input image, or a file Loupe did not
    write. `taken` holds name keys (core.files.sort_names.name_key)."""
    taken = set(taken) | {name_key(EXPLANATIONS_CSV)}
    names = []
    for path in paths:
        wanted = fit_file_name(os.path.splitext(os.path.basename(path))[0] + ".png")
        name = free_name(wanted, wanted, taken)
        taken.add(name_key(name))
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
    """Refuses, before loading the model: an --out inside the folder being explained (the
    overlays would mix with the images and be explained next time), and without `force` an
    --out that already holds an explanations.csv. With `force` only the overlays that
    folder's explanations.csv lists are replaced; any other file there, and every input
    image, is never written: a clashing overlay gets a numbered name instead."""
    from core.device import resolve_device
    from core.models.checkpoints import load_model

    paths, images_dir = _inputs(image_or_dir)
    out_dir = os.path.abspath(os.path.expanduser(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise LoupeError(f"--out must be a folder, but {out_dir} is a file.")
    if images_dir is not None and _is_within(out_dir, images_dir):
        where = images_dir if out_dir == images_dir else f"inside {images_dir}"
        raise LoupeError(
            f"--out {out_dir} is {where}, the folder being explained: choose a folder "
            "outside it, so the heat maps never mix with (or replace) your images."
        )
    csv_path = os.path.join(out_dir, EXPLANATIONS_CSV)
    if os.path.lexists(csv_path) and not force:
        raise LoupeError(
            f"{csv_path} already exists: choose another --out folder, or pass --force "
            "to replace the heat maps it lists."
        )
    earlier = _earlier_rows(csv_path)
    inputs_here = {
        name_key(os.path.basename(p))
        for p in paths
        if os.path.realpath(os.path.dirname(p)) == os.path.realpath(out_dir)
    }
    replaceable = {
        key
        for key, row in earlier.items()
        if os.path.isfile(os.path.join(out_dir, row[1]))
        and not os.path.islink(os.path.join(out_dir, row[1]))
    }
    taken = (existing_names(out_dir) - replaceable) | inputs_here
    targets = _out_names(paths, out_dir, taken)
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
    _write_csv(csv_path, rows, earlier)


def _write_csv(csv_path: str, rows: list, earlier: dict[str, list[str]]) -> None:
    """This run's overlays, then the earlier ones still in the folder: the CSV lists every
    overlay there, so a later --force may replace them too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    written = set()
    for path, target, e in rows:
        name = os.path.basename(target)
        written.add(name_key(name))
        writer.writerow(
            [
                path,
                name,
                e.class_name,
                f"{e.confidence:.6f}",
                e.predicted,
                f"{e.predicted_confidence:.6f}",
            ]
        )
    folder = os.path.dirname(csv_path)
    for key, row in earlier.items():
        if key not in written and os.path.isfile(os.path.join(folder, row[1])):
            writer.writerow(row)
    atomic_write_text(csv_path, buffer.getvalue(), newline="")
