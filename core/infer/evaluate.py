"""Evaluate a trained model on a labelled folder (class subfolders): accuracy, per-class
metrics, confusion matrix, calibration (ECE before/after the model's temperature) and the
misclassified images. Used by `python main.py evaluate`, by the end of every training run
on the dataset's test split, and by the Runs page.

Images go through the same streaming pipeline as `classify` (core.infer.inference), so
the predictions here are the ones a classify CSV holds, image for image."""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.control import RunControl
from core.data.dataset_folders import find_split_folders
from core.data.datasets import scan_dataset
from core.errors import DatasetError, LoupeError
from core.files.atomic import atomic_write_json, atomic_write_text
from core.infer.calibration import (
    ECE_BINS,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
    softmax_with_temperature,
    top1,
)
from core.infer.inference import LoadedModel, LogitsBatch, logit_batches
from core.infer.results import ClassifyProgress, UnreadableImage
from core.train.metrics import confusion_matrix, per_class_metrics

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
MISCLASSIFIED_CSV = "misclassified.csv"
REPORT_FILES = (REPORT_JSON, REPORT_HTML, MISCLASSIFIED_CSV)
REPORT_FORMAT = "loupe-evaluation"


@dataclass(frozen=True)
class LabelledImage:
    path: str
    label: str  # the class folder it lies in


@dataclass
class LabelledFolder:
    root: str  # the folder whose subfolders are the classes
    images: list[LabelledImage]
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def class_folder_root(data_dir: str) -> str:
    """The folder holding the class subfolders: a split dataset's root means its test split."""
    root = os.path.abspath(os.path.expanduser(data_dir))
    if not os.path.isdir(root):
        raise DatasetError(f"Folder not found: {root}")
    try:
        splits = find_split_folders(root)
    except OSError as exc:
        raise DatasetError(f"Cannot read {root}: {exc.strerror or exc}") from exc
    if splits is None:
        return root
    if "test" not in splits:
        raise DatasetError(
            f"{root} is a train/val dataset without a test folder: choose a folder of class "
            "subfolders to evaluate on (e.g. its val folder)."
        )
    return splits["test"]


def labelled_folder(data_dir: str) -> LabelledFolder:
    """Every readable image under the class subfolders of `data_dir` (see class_folder_root)."""
    root = class_folder_root(data_dir)
    scan = scan_dataset(root, val_split=0.0)
    names = scan.report.class_names
    images = [LabelledImage(s.path, names[s.label]) for s in scan.train + scan.val]
    unreadable = [(s.path, s.reason) for s in scan.report.skipped]
    return LabelledFolder(root, images, unreadable)


@dataclass
class EvaluationReport:
    """Everything report.json holds; `to_dict()` is its exact content."""

    model: dict[str, Any]
    data_dir: str
    class_names: list[str]
    true: list[int]  # per evaluated image, index into class_names
    pred: list[int]
    confidence: list[float]  # calibrated probability of the predicted class
    paths: list[str]
    logits: torch.Tensor  # (N, C) raw
    temperature: float
    unknown_classes: dict[str, int]  # folder classes the model does not know: image counts
    unreadable: list[tuple[str, str]]

    @property
    def images(self) -> int:
        return len(self.true)

    @property
    def accuracy(self) -> float:
        return (
            sum(t == p for t, p in zip(self.true, self.pred)) / self.images if self.images else 0.0
        )

    def misclassified(self) -> list[dict[str, Any]]:
        """Wrong predictions, the most confident first (those mislead a user the most)."""
        names = self.class_names
        k = min(5, len(names))
        wrong = []
        for row, (path, t, p, c) in enumerate(
            zip(self.paths, self.true, self.pred, self.confidence)
        ):
            if t == p:
                continue
            probs = softmax_with_temperature(self.logits[row], self.temperature)
            top = torch.topk(probs, k)
            wrong.append(
                {
                    "path": path,
                    "label": names[t],
                    "predicted": names[p],
                    "confidence": round(c, 6),
                    # the five likeliest classes, for the window's image detail
                    "top_k": [
                        [names[int(i)], round(float(v), 6)] for v, i in zip(top.values, top.indices)
                    ],
                }
            )
        return sorted(wrong, key=lambda row: (-row["confidence"], row["path"]))

    def to_dict(self) -> dict[str, Any]:
        labels = torch.tensor(self.true, dtype=torch.long)
        cm = confusion_matrix(
            labels, torch.tensor(self.pred, dtype=torch.long), len(self.class_names)
        )
        raw_conf, raw_pred = top1(self.logits, 1.0) if self.images else (np.zeros(0), np.zeros(0))
        correct_raw = raw_pred == labels.numpy()
        conf = np.asarray(self.confidence, dtype=np.float64)
        correct = np.asarray(self.true) == np.asarray(self.pred)
        per_class = per_class_metrics(cm, self.class_names)
        nll = (
            (
                negative_log_likelihood(self.logits, labels, self.temperature),
                negative_log_likelihood(self.logits, labels, 1.0),
            )
            if self.images
            else (None, None)
        )
        return {
            "format": REPORT_FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "model": self.model,
            "data_dir": self.data_dir,
            "accuracy": self.accuracy,
            "images": self.images,
            "class_names": self.class_names,
            "per_class": {
                m.name: {
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1": m.f1,
                    "support": m.support,
                }
                for m in per_class
            },
            "confusion_matrix": cm.tolist(),
            "temperature": self.temperature,
            "ece_bins": ECE_BINS,
            "ece": expected_calibration_error(conf, correct),
            "ece_uncalibrated": expected_calibration_error(raw_conf, correct_raw),
            "nll": nll[0],
            "nll_uncalibrated": nll[1],
            "reliability": {
                "calibrated": reliability_bins(conf, correct),
                "uncalibrated": reliability_bins(raw_conf, correct_raw),
            },
            "misclassified": self.misclassified(),
            "unknown_classes": dict(sorted(self.unknown_classes.items())),
            "unreadable": [{"path": p, "reason": r} for p, r in self.unreadable],
        }


def evaluate_images(
    lm: LoadedModel,
    images: Sequence[LabelledImage],
    data_dir: str,
    batch_size: int = 32,
    control: RunControl | None = None,
    unreadable: Sequence[tuple[str, str]] = (),
) -> Generator[ClassifyProgress, None, EvaluationReport]:
    """Classify `images` (yielding progress) and return the report. Images of classes the
    model does not know are counted in `unknown_classes`, not evaluated."""
    index = {name: i for i, name in enumerate(lm.class_names)}
    known = [im for im in images if im.label in index]
    unknown: dict[str, int] = {}
    for im in images:
        if im.label not in index:
            unknown[im.label] = unknown.get(im.label, 0) + 1
    label_of = {im.path: index[im.label] for im in known}
    paths, logits, failed = [], [], list(unreadable)
    for item in logit_batches(lm, [im.path for im in known], batch_size, control):
        if isinstance(item, LogitsBatch):
            paths += item.paths
            logits.append(item.logits)
        elif isinstance(item, UnreadableImage):
            failed.append((item.path, item.reason))
        else:
            yield item
    if control is not None and control.stop_requested:
        raise LoupeError("Evaluation stopped before all images were classified.")
    all_logits = torch.cat(logits) if logits else torch.zeros(0, len(lm.class_names))
    conf, pred = top1(all_logits, lm.temperature) if paths else (np.zeros(0), np.zeros(0))
    return EvaluationReport(
        model={"path": lm.path, "arch": lm.meta.arch, "image_size": lm.image_size},
        data_dir=data_dir,
        class_names=list(lm.class_names),
        true=[label_of[p] for p in paths],
        pred=[int(i) for i in pred],
        confidence=[float(c) for c in conf],
        paths=paths,
        logits=all_logits,
        temperature=lm.temperature,
        unknown_classes=unknown,
        unreadable=failed,
    )


def evaluate_folder(
    lm: LoadedModel,
    data_dir: str,
    batch_size: int = 32,
    control: RunControl | None = None,
) -> Generator[ClassifyProgress, None, EvaluationReport]:
    folder = labelled_folder(data_dir)
    if not any(im.label in lm.class_names for im in folder.images):
        found = sorted({im.label for im in folder.images})
        raise LoupeError(
            f"{folder.root}: none of its classes ({', '.join(found[:8])}) is one the model knows "
            f"({', '.join(lm.class_names[:8])})."
        )
    return (
        yield from evaluate_images(
            lm, folder.images, folder.root, batch_size, control, folder.unreadable
        )
    )


def existing_report_files(out_dir: str) -> list[str]:
    return [
        os.path.join(out_dir, n) for n in REPORT_FILES if os.path.exists(os.path.join(out_dir, n))
    ]


def write_report(report: EvaluationReport, out_dir: str) -> dict[str, Any]:
    """Write report.json, misclassified.csv and report.html (in that order: the HTML is
    made from the JSON). Returns the report's dict."""
    from core.infer.report_html import misclassified_csv, render_report_html

    os.makedirs(out_dir, exist_ok=True)
    data = report.to_dict()
    atomic_write_json(os.path.join(out_dir, REPORT_JSON), data)
    atomic_write_text(
        os.path.join(out_dir, MISCLASSIFIED_CSV),
        misclassified_csv(data["misclassified"]),
        newline="",
    )
    atomic_write_text(os.path.join(out_dir, REPORT_HTML), render_report_html(data))
    return data
