"""Verify an exported model against the PyTorch model it came from: the same batch of up to
64 validation images of the run (synthetic images when the dataset is gone) through both,
compared on their logits. An export that disagrees is reported, and the CLI exits non-zero."""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.data.augment import normalize
from core.errors import ImageLoadError, LoupeError
from core.models.checkpoints import ModelMeta

PARITY_IMAGES = 64
# fp32 CPU kernels differ in summation order between runtimes: ~1e-5 on logits is usual.
ABSOLUTE_TOLERANCE = 1e-3
RELATIVE_TOLERANCE = 1e-3  # of the largest logit's magnitude


@dataclass(frozen=True)
class ParityResult:
    images: int
    source: str  # "validation images" or "synthetic images"
    max_abs_diff: float
    top1_agreement: float  # share of images with the same best class, 0..1
    tolerance: float
    ok: bool

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"parity {verdict}: {self.images} {self.source}, max abs logit difference "
            f"{self.max_abs_diff:.2e} (tolerance {self.tolerance:.1e}), top-1 agreement "
            f"{self.top1_agreement:.1%}"
        )

    def to_dict(self) -> dict:
        return {
            "images": self.images,
            "source": self.source,
            "max_abs_logit_diff": self.max_abs_diff,
            "top1_agreement": self.top1_agreement,
            "tolerance": self.tolerance,
            "ok": self.ok,
        }


def _validation_paths(run_dir: str, count: int) -> list[str]:
    """Up to `count` validation images of the run, every class in turn, from its config."""
    from core.data.datasets import scan_dataset
    from core.train.evaluation import pick_sample_indices

    try:
        with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        data_dir = str(config["data_dir"])
        val_split = float(config.get("val_split", 0.2))
        seed = int(config.get("seed", 0))
        # No image checks: listing is enough, unreadable files are skipped when decoded.
        scan = scan_dataset(data_dir, val_split, seed, check_images=False)
    except (OSError, ValueError, KeyError, TypeError, LoupeError):
        return []
    val = scan.val
    picked = pick_sample_indices(
        [s.label for s in val], count * 2, torch.Generator().manual_seed(seed)
    )
    return [val[i].path for i in picked]


def parity_inputs(
    meta: ModelMeta, run_dir: str | None, count: int = PARITY_IMAGES
) -> tuple[torch.Tensor, str]:
    """Normalised float images (N, 3, S, S), as the exported model expects them."""
    from core.data.imaging import load_square

    arrays = []
    for path in _validation_paths(run_dir, count) if run_dir else []:
        try:
            arrays.append(load_square(path, meta.image_size, meta.resize_mode))
        except (ImageLoadError, OSError, ValueError):
            continue
        if len(arrays) == count:
            break
    if arrays:
        x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        source = "validation images"
    else:
        gen = torch.Generator().manual_seed(0)
        size = meta.image_size
        x = torch.randint(0, 256, (min(count, 16), 3, size, size), generator=gen, dtype=torch.uint8)
        source = "synthetic images"
    return normalize(x, meta.mean, meta.std).contiguous(), source


def run_exported(data: bytes, fmt: str, x: torch.Tensor) -> np.ndarray:
    """Logits of the exported model (the bytes that are written) for the batch x, loaded
    as a user would load the file: onnxruntime or torch.jit.load."""
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return np.asarray(session.run(None, {name: x.numpy().astype(np.float32)})[0])
    if fmt == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit's deprecation notice
            module = torch.jit.load(io.BytesIO(data), map_location="cpu")
        with torch.inference_mode():
            return module(x).float().numpy()
    raise LoupeError(f"Cannot check the parity of a '{fmt}' export.")


def compare_logits(reference: np.ndarray, exported: np.ndarray, source: str) -> ParityResult:
    if reference.shape != exported.shape:
        raise LoupeError(
            f"The exported model gives logits of shape {exported.shape}, PyTorch {reference.shape}."
        )
    diff = float(np.abs(reference - exported).max()) if reference.size else 0.0
    if not np.isfinite(exported).all():
        diff = float("inf")
    tolerance = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * float(np.abs(reference).max(initial=0))
    ref_top, exp_top = reference.argmax(1), exported.argmax(1)
    agree = ref_top == exp_top
    # A different winner is only excused where PyTorch itself has a near tie.
    ordered = np.sort(reference, axis=1)
    gaps = (
        ordered[:, -1] - ordered[:, -2] if reference.shape[1] > 1 else np.full(len(ref_top), np.inf)
    )
    excused = agree | (gaps <= 2 * tolerance)
    ok = diff <= tolerance and bool(excused.all())
    return ParityResult(
        images=len(ref_top),
        source=source,
        max_abs_diff=diff,
        top1_agreement=float(agree.mean()) if len(agree) else 1.0,
        tolerance=tolerance,
        ok=ok,
    )


def check_parity(
    model: nn.Module, meta: ModelMeta, exported: bytes, fmt: str, run_dir: str | None
) -> ParityResult:
    """Run the same inputs through `model` (CPU, fp32) and the exported file, in one batch
    (which also proves the batch dimension is dynamic)."""
    x, source = parity_inputs(meta, run_dir)
    model = model.to("cpu").float().eval()
    with torch.inference_mode():
        reference = model(x).float().numpy()
    try:
        logits = run_exported(exported, fmt, x)
    except LoupeError:
        raise
    except Exception as exc:  # the runtime could not load or run it: the export is bad
        raise LoupeError(
            f"The exported {fmt} model does not run ({type(exc).__name__}: {exc}); "
            "nothing was written."
        ) from exc
    return compare_logits(reference, logits, source)
