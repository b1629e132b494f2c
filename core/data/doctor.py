"""The dataset doctor: finds duplicates, train/val/test leaks, probably wrong labels and
outliers in a class-folder dataset. `check_dataset` is a generator of plain-data events
(DoctorProgress ..., then one DoctorFinished) that honours core.control's stop at every
batch, so the CLI and the window's job worker drive it the same way.

Stages: scan (the training's own split rules) -> decode every image once (pixel hash,
perceptual hash, small copy) -> ImageNet features of the small copies -> duplicate groups
-> out-of-sample probabilities -> confident learning (cleanlab) -> report."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np

from core.control import RunControl
from core.data.datasets import scan_dataset
from core.errors import LoupeError

REPORT_VERSION = 1
MAX_OUTLIERS = 50


@dataclass(frozen=True)
class DoctorConfig:
    data_dir: str = field(metadata={"help": "dataset folder (class folders, or train/val/test)"})
    run_dir: str | None = field(
        default=None,
        metadata={"help": "a trained run: its model scores the images it did not train on"},
    )
    val_split: float = field(
        default=0.2, metadata={"help": "held-out share when there is no val folder"}
    )
    seed: int = field(default=0, metadata={"help": "the split's seed and the folds' shuffle"})


@dataclass(frozen=True)
class DoctorProgress:
    stage: str  # words for a person: "Reading images", ...
    done: int
    total: int


@dataclass(frozen=True)
class DoctorFinished:
    status: Literal["completed", "stopped", "failed"]
    reason: str
    report: dict[str, Any] | None = None  # the doctor.json contents when completed


@dataclass
class _Images:
    root: str
    paths: list[str]  # absolute
    labels: np.ndarray  # class index per image
    splits: list[str]
    class_names: list[str]
    layout: str

    def relative(self, i: int) -> str:
        return os.path.relpath(self.paths[i], self.root).replace(os.sep, "/")


def run_split_settings(run_dir: str) -> tuple[float, int]:
    """The run's own val share and seed, so 'not trained on' means the same images."""
    from core.train.config import read_config

    config = read_config(os.path.join(run_dir, "config.json"))
    return float(config.val_split), int(config.seed)


def check_run_fits(run_dir: str, data_dir: str, class_names: list[str]) -> None:
    """Refuse a run that cannot tell which of these images it did not train on: one trained
    on another folder (its config.json says which) or on other classes (its model.json)."""
    from core.files.run_folder import read_run_summary
    from core.models.checkpoints import read_model_meta
    from core.train.config import read_config

    trained_on = read_config(os.path.join(run_dir, "config.json")).data_dir
    if not os.path.isabs(trained_on):  # as typed after `train`: run.json has it resolved
        trained_on = (read_run_summary(run_dir) or {}).get("dataset") or trained_on
    if (
        isinstance(trained_on, str)
        and os.path.isabs(trained_on)
        and not _same_folder(trained_on, data_dir)
    ):
        raise LoupeError(
            f"{run_dir} was trained on {trained_on}, not {os.path.abspath(data_dir)}, so it "
            "cannot say which of these images it never saw: leave out --run, or give the run "
            "trained on this folder."
        )
    known = read_model_meta(run_dir).class_names
    if sorted(known) != sorted(class_names):
        only_run = ", ".join(sorted(set(known) - set(class_names))) or "none"
        only_data = ", ".join(sorted(set(class_names) - set(known))) or "none"
        raise LoupeError(
            f"{run_dir} was trained on other classes than {os.path.abspath(data_dir)} holds "
            f"(only in the run: {only_run}; only in the folder: {only_data}): leave out "
            "--run, or give a run trained on these classes."
        )


def _same_folder(a: str, b: str) -> bool:
    a, b = (os.path.normcase(os.path.realpath(p)) for p in (a, b))
    return a == b


def _scan(config: DoctorConfig) -> _Images:
    scan = scan_dataset(config.data_dir, config.val_split, config.seed)
    paths, labels, splits = [], [], []
    for split, samples in (("train", scan.train), ("val", scan.val), ("test", scan.test)):
        for sample in samples:
            paths.append(sample.path)
            labels.append(sample.label)
            splits.append(split)
    names = scan.report.class_names
    return _Images(
        scan.report.root, paths, np.array(labels, dtype=int), splits, names, scan.report.layout
    )


def check_dataset(config: DoctorConfig, control: RunControl | None = None) -> Iterator:
    """Yields DoctorProgress events, then exactly one DoctorFinished."""
    control = control or RunControl()
    try:
        report = yield from _check(config, control)
    except LoupeError as exc:
        yield DoctorFinished("failed", str(exc))
        return
    if report is None:
        yield DoctorFinished("stopped", "Dataset check stopped; nothing was written.")
        return
    yield DoctorFinished("completed", summary_line(report), report)


def _check(config: DoctorConfig, control: RunControl):
    from core.data import doctor_groups as groups
    from core.data import doctor_labels as labels_mod
    from core.data.doctor_decode import decode_all

    def stop() -> bool:
        return control.stop_requested

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    yield DoctorProgress("Scanning the folder", 0, 1)
    images = _scan(config)
    if config.run_dir:  # before any work: a wrong run would make every label finding false
        check_run_fits(config.run_dir, config.data_dir, images.class_names)
    seconds["scan"] = time.perf_counter() - t0
    n = len(images.paths)

    t0 = time.perf_counter()
    decoded = yield from _stage("Reading images", decode_all(images.paths, stop))
    if decoded is None:
        return None
    seconds["decode"] = time.perf_counter() - t0
    rows = np.flatnonzero(decoded.readable)

    t0 = time.perf_counter()
    raw = yield from _stage(
        "Describing images", labels_mod.image_features(decoded.small[rows], stop)
    )
    if raw is None:
        return None
    reduced_rows = labels_mod.reduce_features(raw, config.seed) if len(rows) > 2 else None
    reduced = None
    if reduced_rows is not None:
        reduced = np.zeros((n, reduced_rows.shape[1]), dtype=np.float32)
        reduced[rows] = reduced_rows
    seconds["features"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    yield DoctorProgress("Finding duplicates", 0, 1)
    exact = groups.exact_groups(decoded.pixel_hashes)
    unit = np.zeros((n, raw.shape[1]), dtype=np.float32)
    unit[rows] = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
    near = groups.near_groups(n, groups.near_pairs(decoded.perceptual, unit, rows), exact)
    same_picture = groups.merged(exact, near, n)
    leaks = groups.leak_groups(same_picture, images.splits)
    conflicts = [g for g in same_picture if len({int(images.labels[i]) for i in g}) > 1]
    seconds["duplicates"] = time.perf_counter() - t0
    if stop():
        return None

    t0 = time.perf_counter()
    yield DoctorProgress("Checking labels", 0, 1)
    if config.run_dir:
        probs, scored, method = yield from _run_probabilities(config.run_dir, images, rows, control)
        if probs is None:
            return None
    elif reduced is not None:
        probs = np.zeros((n, len(images.class_names)))
        probs[rows] = labels_mod.cross_validated_probabilities(
            reduced[rows], images.labels[rows], len(images.class_names), config.seed
        )
        scored = rows
        method = (
            f"{labels_mod.FOLDS}-fold cross-validation of logistic regression on image features"
        )
    else:
        probs, scored, method = np.zeros((n, len(images.class_names))), rows[:0], "too few images"
    issues = labels_mod.find_label_issues(images.labels, probs, scored)
    outlier = (
        labels_mod.outlier_scores(reduced[rows], images.labels[rows])
        if reduced is not None
        else np.zeros(len(rows))
    )
    seconds["labels"] = time.perf_counter() - t0
    if stop():
        return None

    return _report(
        images, decoded, exact, near, conflicts, leaks, issues, rows, outlier, method, seconds
    )


def _stage(words: str, work):
    """Run a sub-generator of (done, total), turning its progress into DoctorProgress."""
    result = None
    try:
        while True:
            done, total = next(work)
            yield DoctorProgress(words, done, total)
    except StopIteration as finished:
        result = finished.value
    return result


def _run_probabilities(run_dir: str, images: _Images, rows: np.ndarray, control: RunControl):
    """The run's calibrated probabilities for the readable val/test images only."""
    from core.infer.inference import classify_paths, load_model_for_inference
    from core.infer.results import ClassifiedImage, ClassifyProgress

    model = load_model_for_inference(run_dir, "cpu")
    column = {
        name: images.class_names.index(name)
        for name in model.class_names
        if name in images.class_names
    }
    held_out = [i for i in rows.tolist() if images.splits[i] != "train"]
    index_of = {images.paths[i]: i for i in held_out}
    probs = np.zeros((len(images.paths), len(images.class_names)))
    scored = []
    every_class = len(model.class_names)
    for item in classify_paths(
        model, [images.paths[i] for i in held_out], 64, every_class, control
    ):
        if isinstance(item, ClassifiedImage):
            i = index_of[item.path]
            for name, p in item.top_k:
                if name in column:
                    probs[i, column[name]] = p
            scored.append(i)
        elif isinstance(item, ClassifyProgress):
            yield DoctorProgress("Checking labels with the run's model", item.done, item.total)
    if control.stop_requested:
        return None, None, ""
    method = f"the model of {run_dir} on the {len(scored)} images it did not train on"
    return probs, np.array(sorted(scored), dtype=int), method


def _report(
    images, decoded, exact, near, conflicts, leaks, issues, rows, outlier, method, seconds
) -> dict[str, Any]:
    rel = images.relative
    names = images.class_names
    by_score = np.argsort(-outlier)[: min(MAX_OUTLIERS, max(1, len(rows) // 200))]
    report: dict[str, Any] = {
        "loupe_doctor": REPORT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_dir": images.root,
        "layout": images.layout,
        "classes": names,
        "images": len(images.paths),
        "label_method": method,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "exact_duplicates": [[rel(i) for i in g] for g in exact],
        "near_duplicates": [[rel(i) for i in g] for g in near],
        "label_conflicts": [[rel(i) for i in g] for g in conflicts],
        "leaks": [[rel(i) for i in g] for g in leaks],
        "label_issues": [
            {
                "path": rel(x.index),
                "label": names[images.labels[x.index]],
                "suggested": names[x.suggested],
                "score": round(x.score, 4),
            }
            for x in issues
        ],
        "outliers": [
            {
                "path": rel(int(rows[k])),
                "label": names[images.labels[rows[k]]],
                "score": round(float(outlier[k]), 4),
            }
            for k in by_score
            if outlier[k] > 0
        ],
        "unreadable": [
            {"path": os.path.relpath(p, images.root), "reason": r} for p, r in decoded.unreadable
        ],
    }
    mentioned = {
        p
        for key in ("exact_duplicates", "near_duplicates", "leaks")
        for g in report[key]
        for p in g
    }
    mentioned |= {x["path"] for x in report["label_issues"] + report["outliers"]}
    report["files"] = {
        rel(i): {"label": names[images.labels[i]], "split": images.splits[i]}
        for i in range(len(images.paths))
        if rel(i) in mentioned
    }
    return report


def summary_line(report: dict[str, Any]) -> str:
    """One sentence counting every kind of finding the report lists (the review list shows
    them all: a kind left out of the count reads as "nothing found" above a list of them)."""

    def count(key: str, one: str, many: str) -> str:
        k = len(report[key])
        return f"{k:,} {one if k == 1 else many}"

    return (
        f"Checked {report['images']:,} images: "
        + ", ".join(
            [
                count("exact_duplicates", "exact-duplicate group", "exact-duplicate groups"),
                count("near_duplicates", "near-duplicate group", "near-duplicate groups"),
                count("leaks", "group leaking across splits", "groups leaking across splits"),
                count(
                    "label_conflicts",
                    "picture in different classes",
                    "pictures in different classes",
                ),
                count("label_issues", "probable label error", "probable label errors"),
                count("outliers", "outlier", "outliers"),
            ]
        )
        + "."
    )
