"""Validation pass: loss, accuracy, confusion matrix, and the prediction samples the GUI shows."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.data.augment import normalize, to_device
from core.device import Precision
from core.events import PredictionSample
from core.infer.calibration import Calibration, calibrate
from core.train.metrics import confusion_matrix


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    confusion: torch.Tensor  # CPU
    true: list[int]  # per validation image, in source order
    pred: list[int]
    samples: list[PredictionSample]
    # Temperature fitted on these validation logits: the model saved from this epoch uses it.
    calibration: Calibration | None = None


def autocast(dev: torch.device, precision: Precision):
    if not precision.enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=dev.type, dtype=precision.dtype)


def make_thumbnails(images: torch.Tensor, max_side: int = 96) -> list[np.ndarray]:
    """uint8 (N,3,S,S) -> small HxWx3 uint8 arrays (plain data for the GUI thread)."""
    if images.shape[0] == 0:
        return []
    x = images.float()
    if images.shape[-1] > max_side:
        x = F.interpolate(x, size=(max_side, max_side), mode="bilinear", antialias=True)
    x = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [np.ascontiguousarray(a) for a in x]


def pick_sample_indices(labels: list[int], count: int, gen: torch.Generator) -> list[int]:
    """A fixed, class-balanced subset of validation images, in round-robin class order, so the
    top of the grid already shows every class, and the same images from epoch to epoch."""
    by_class: dict[int, list[int]] = {}
    order = torch.randperm(len(labels), generator=gen).tolist()
    for i in order:
        by_class.setdefault(labels[i], []).append(i)
    picked: list[int] = []
    queues = [by_class[c] for c in sorted(by_class)]
    while len(picked) < min(count, len(labels)):
        for q in queues:
            if q and len(picked) < count:
                picked.append(q.pop())
    return picked


class _SampleLogits:
    """The logits of the prediction-grid images, kept on the device as the batches pass and
    read back once at the end: looking them up per batch (indices to a list, one small copy
    per image) would make every validation batch wait for the GPU."""

    def __init__(self, sample_indices: list[int], n: int, num_classes: int, dev) -> None:
        self.indices = list(sample_indices)
        k = len(self.indices)
        # Row k is where every other image's logits go (overwritten freely, never read).
        slot = torch.full((n,), k, dtype=torch.long)
        slot[torch.as_tensor(self.indices, dtype=torch.long)] = torch.arange(k)
        self.slots = {torch.device("cpu"): slot}
        self.dev = dev
        self.logits = torch.full((k + 1, num_classes), float("nan"), device=dev)

    def add(self, idx: torch.Tensor, logits: torch.Tensor) -> None:
        if not self.indices:
            return
        if idx.device not in self.slots:  # a GPU-stored cache hands out GPU indices
            self.slots[idx.device] = to_device(self.slots[torch.device("cpu")], idx.device)
        rows = self.slots[idx.device][idx]
        self.logits.index_copy_(0, to_device(rows, self.dev), logits)

    def probabilities(self, temperature: float) -> dict[int, torch.Tensor]:
        if not self.indices:
            return {}
        kept = self.logits[: len(self.indices)].cpu()
        found = ~kept.isnan().any(1)  # images a streaming source could not read stay NaN
        probs = torch.softmax(kept / temperature, 1)
        return {i: probs[k] for k, i in enumerate(self.indices) if found[k]}


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    source,
    batch_size: int,
    num_classes: int,
    dev: torch.device,
    precision: Precision,
    mean,
    std,
    sample_indices: list[int],
    thumbnails: list[np.ndarray],
    should_stop=None,
) -> Evaluation | None:
    model.eval()
    loss_sum = torch.zeros((), device=dev, dtype=torch.float32)  # MPS has no float64
    all_true, all_logits = [], []
    samples = _SampleLogits(sample_indices, len(source), num_classes, dev)
    for images, labels, idx in source.batches(batch_size, shuffle=False, gen=None):
        if should_stop and should_stop():
            return None
        with autocast(dev, precision):
            logits = model(normalize(images, mean, std))
        logits = logits.float()
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        all_true.append(labels)
        all_logits.append(logits)
        samples.add(idx, logits)
    if not all_true:
        return Evaluation(
            0.0, 0.0, torch.zeros(num_classes, num_classes, dtype=torch.long), [], [], []
        )
    true = torch.cat(all_true).cpu()  # one sync per epoch
    logits_all = torch.cat(all_logits).cpu()
    return summarise(
        float(loss_sum),
        true,
        logits_all,
        samples.probabilities,
        source,
        num_classes,
        sample_indices,
        thumbnails,
    )


def summarise(
    loss_sum: float,
    true: torch.Tensor,
    logits_all: torch.Tensor,
    sample_probabilities: Callable[[float], dict[int, torch.Tensor]],
    source,
    num_classes: int,
    sample_indices: list[int],
    thumbnails: list[np.ndarray],
) -> Evaluation:
    """The Evaluation of a whole validation pass from its labels and logits (CPU, source
    order); `sample_probabilities(temperature)` gives the prediction-grid images' ones."""
    pred = logits_all.argmax(1)
    # Shown confidences are calibrated ones, fitted on this very pass (argmax unchanged).
    calibration = calibrate(logits_all, true)
    sample_probs = sample_probabilities(calibration.temperature)
    cm = confusion_matrix(true, pred, num_classes)
    n = len(true)
    samples = []
    k = min(5, num_classes)
    for i, thumb in zip(sample_indices, thumbnails, strict=False):
        probs = sample_probs.get(i)
        if probs is None:
            continue
        top = torch.topk(probs, k)
        top_k = [(int(c), float(p)) for p, c in zip(top.values, top.indices, strict=False)]
        samples.append(
            PredictionSample(
                image=thumb,
                path=source.paths[i],
                true_index=int(source.labels[i]),
                pred_index=top_k[0][0],
                confidence=top_k[0][1],
                top_k=top_k,
            )
        )
    return Evaluation(
        loss=loss_sum / n,
        accuracy=float((true == pred).sum()) / n,
        confusion=cm,
        true=true.tolist(),
        pred=pred.tolist(),
        samples=samples,
        calibration=calibration,
    )
