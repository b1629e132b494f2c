"""Fake but plausible training events for the widget demos and the GUI tests.

Deterministic (seeded), numpy only, fast: the tests build thousands of these."""

from __future__ import annotations

import colorsys
import math

import numpy as np

from core.events import (
    ClassMetrics,
    EpochEnded,
    LogMessage,
    PredictionSample,
    PredictionsSampled,
    StepEnded,
)

_NAMES = [
    "cat",
    "dog",
    "bird",
    "horse",
    "frog",
    "ship",
    "truck",
    "airplane",
    "deer",
    "automobile",
    "great_crested_grebe_in_winter_plumage",
]


def demo_class_names(count: int = 5) -> list[str]:
    """`count` class names; past the built-in list they are numbered."""
    return [_NAMES[i] if i < len(_NAMES) else f"class_{i:02d}" for i in range(count)]


def _accuracy_at(progress: float) -> float:
    """Validation accuracy that rises quickly then saturates, as real runs do."""
    return 0.35 + 0.55 * (1.0 - math.exp(-4.0 * progress))


def demo_steps(epochs: int = 8, steps_per_epoch: int = 50, seed: int = 0) -> list[StepEnded]:
    rng = np.random.default_rng(seed)
    total = epochs * steps_per_epoch
    warmup = max(1, steps_per_epoch // 2)
    steps = []
    for global_step in range(total):
        progress = global_step / max(1, total - 1)
        if global_step < warmup:
            lr = 1e-3 * (global_step + 1) / warmup
        else:
            lr = 0.5e-3 * (1.0 + math.cos(math.pi * (global_step - warmup) / (total - warmup)))
        loss = 0.25 + 1.8 * math.exp(-5.0 * progress) + float(rng.normal(0.0, 0.12))
        steps.append(
            StepEnded(
                epoch=global_step // steps_per_epoch,
                step=global_step % steps_per_epoch,
                global_step=global_step,
                steps_per_epoch=steps_per_epoch,
                loss=max(0.01, loss),
                lr=lr,
                images_per_second=float(rng.uniform(180.0, 220.0)),
                eta_seconds=(total - global_step) * 0.15,
            )
        )
    return steps


def demo_confusion(
    class_count: int, accuracy: float, per_class: int = 40, seed: int = 0
) -> list[list[int]]:
    """A confusion matrix (true rows, predicted columns) whose diagonal holds ~`accuracy`.
    Mistakes go mostly to the next class, so some cells clearly stand out."""
    rng = np.random.default_rng(seed)
    matrix = np.zeros((class_count, class_count), dtype=int)
    for t in range(class_count):
        class_acc = float(np.clip(accuracy + rng.normal(0.0, 0.08), 0.05, 1.0))
        right = int(round(per_class * class_acc))
        matrix[t, t] = right
        for _ in range(per_class - right):
            if class_count == 1:
                matrix[t, t] += 1
            elif rng.random() < 0.6:
                matrix[t, (t + 1) % class_count] += 1
            else:
                matrix[t, int(rng.choice([c for c in range(class_count) if c != t]))] += 1
    return matrix.tolist()


def metrics_from_confusion(
    confusion: list[list[int]], class_names: list[str]
) -> list[ClassMetrics]:
    m = np.asarray(confusion, dtype=float)
    true_counts = m.sum(axis=1)
    pred_counts = m.sum(axis=0)
    result = []
    for i, name in enumerate(class_names):
        hit = m[i, i]
        precision = hit / pred_counts[i] if pred_counts[i] else 0.0
        recall = hit / true_counts[i] if true_counts[i] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result.append(ClassMetrics(name, precision, recall, f1, int(true_counts[i])))
    return result


def demo_epochs(class_names: list[str], epochs: int = 8, seed: int = 0) -> list[EpochEnded]:
    rng = np.random.default_rng(seed)
    result = []
    best = 0.0
    for epoch in range(epochs):
        progress = (epoch + 1) / epochs
        val_acc = _accuracy_at(progress) + float(rng.normal(0.0, 0.01))
        confusion = demo_confusion(len(class_names), val_acc, seed=seed + epoch)
        m = np.asarray(confusion)
        val_acc = float(np.trace(m) / m.sum())
        is_best = val_acc > best
        best = max(best, val_acc)
        result.append(
            EpochEnded(
                epoch=epoch,
                epochs=epochs,
                train_loss=0.25 + 1.8 * math.exp(-5.0 * (epoch + 0.5) / epochs),
                train_acc=min(0.99, val_acc + 0.03 + 0.04 * progress),
                val_loss=0.4 + 1.6 * math.exp(-4.0 * progress) + 0.1 * progress**3,
                val_acc=val_acc,
                lr=0.5e-3 * (1.0 + math.cos(math.pi * progress)),
                seconds=float(rng.uniform(20.0, 25.0)),
                per_class=metrics_from_confusion(confusion, class_names),
                confusion=confusion,
                is_best=is_best,
                best_val_acc=best,
            )
        )
    return result


def demo_image(class_index: int, variant: int = 0, size: int = 64) -> np.ndarray:
    """An HxWx3 uint8 picture: a class-coloured background with a variant-dependent disc,
    so tiles look different from each other without shipping image files."""
    hue = (class_index * 0.61803) % 1.0
    base = np.array([_hue_to_rgb(hue)], dtype=float) * 255.0
    y, x = np.mgrid[0:size, 0:size].astype(float) / size
    shade = (0.55 + 0.45 * (1.0 - y))[..., None]
    image = base[None, :, :] * shade
    cx = 0.3 + 0.4 * ((variant * 37) % 11) / 10.0
    cy = 0.3 + 0.4 * ((variant * 53) % 7) / 6.0
    disc = (x - cx) ** 2 + (y - cy) ** 2 < 0.04 + 0.02 * (variant % 3)
    image[disc] = 255.0 - base[0] * 0.5
    # Non-square on purpose: real thumbnails keep their aspect ratio.
    height = size if variant % 4 else size * 3 // 4
    return np.ascontiguousarray(image[:height].clip(0, 255).astype(np.uint8))


def _hue_to_rgb(hue: float) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb(hue, 0.55, 0.9)


def demo_predictions(
    class_names: list[str], epoch: int = 0, count: int = 48, seed: int = 0
) -> PredictionsSampled:
    rng = np.random.default_rng(seed + 1000 * epoch)
    n = len(class_names)
    accuracy = _accuracy_at((epoch + 1) / 8)
    samples = []
    for i in range(count):
        true_index = i % n
        right = rng.random() < accuracy or n == 1
        pred_index = true_index if right else int((true_index + 1 + rng.integers(0, n - 1)) % n)
        probs = rng.dirichlet(np.ones(n) * 0.5)
        probs[pred_index] = probs.max() + float(rng.uniform(0.2, 1.5))
        probs /= probs.sum()
        order = np.argsort(-probs)[: min(5, n)]
        samples.append(
            PredictionSample(
                image=demo_image(true_index, i),
                path=f"/data/val/{class_names[true_index]}/img_{i:04d}.jpg",
                true_index=true_index,
                pred_index=pred_index,
                confidence=float(probs[pred_index]),
                top_k=[(int(c), float(probs[c])) for c in order],
            )
        )
    all_true = [s.true_index for s in samples]
    all_pred = [s.pred_index for s in samples]
    return PredictionsSampled(epoch, list(class_names), samples, all_true, all_pred)


def demo_log() -> list[LogMessage]:
    return [
        LogMessage("info", "Dataset: 5 classes, 1,600 training and 200 validation images."),
        LogMessage("info", "Device: CPU (2 threads). Model: resnet18, 11.2 M parameters."),
        LogMessage(
            "warning", "3 images could not be read and were skipped (see the dataset report)."
        ),
        LogMessage("info", "Epoch 1/8: train loss 1.412, val loss 1.201, val acc 58.5 %"),
        LogMessage("info", "Epoch 2/8: train loss 0.905, val loss 0.866, val acc 71.0 %"),
        LogMessage("error", "Could not write checkpoint: disk full (/runs/demo/last.pt)."),
        LogMessage("info", "Epoch 3/8: train loss 0.701, val loss 0.702, val acc 78.0 %"),
    ]
