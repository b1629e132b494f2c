"""Which labels are probably wrong: out-of-sample predicted probabilities + confident learning.

The probabilities come either from k-fold cross-validation of a fast model (logistic regression
on ImageNet features of the small copies, fitted k times, each fold predicted by the model that
never saw it), or from a trained run's model on the images it did not train on. cleanlab's
confident learning then picks the issues and ranks them; Loupe only supplies the probabilities.

Features: EfficientNet-Lite0 (the bundled ImageNet weights) pooled to 1280 numbers per image;
where the weights are missing, the pixels themselves at 16 px (weaker, but never nothing)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

FEATURE_BATCH = 128  # images per forward pass: bounded memory, ~10 stop checks per 1k images
FEATURE_DIMS = 128  # PCA dimensions for the fast model and the near-duplicate search
FOLDS = 5


@dataclass(frozen=True)
class LabelIssue:
    index: int  # into the doctor's image list
    suggested: int  # class index the out-of-sample model prefers
    score: float  # 0..1, higher = more suspicious (1 - cleanlab's label quality)


def image_features(
    small: np.ndarray, should_stop: Callable[[], bool] | None = None
) -> Generator[tuple[int, int], None, np.ndarray | None]:
    """(N, D) float32 features of the small uint8 copies; yields (done, total)."""
    import torch

    from core.models.efficientnet_lite import (
        LITE_MEAN,
        LITE_STD,
        EfficientNetLite0,
        bundled_weights_path,
        state_by_position,
    )

    path = bundled_weights_path()
    if path is None:
        yield len(small), len(small)
        return pixel_features(small)
    from core.models.registry import read_state_dict

    net = EfficientNetLite0()
    net.load_state_dict(state_by_position(read_state_dict(path), net.state_dict()))
    net.eval().to(memory_format=torch.channels_last)  # 1.5x faster on CPU, measured
    mean = torch.tensor(LITE_MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(LITE_STD).view(1, 3, 1, 1) * 255
    out = np.zeros((len(small), 1280), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(small), FEATURE_BATCH):
            if should_stop and should_stop():
                return None
            batch = torch.from_numpy(small[start : start + FEATURE_BATCH]).permute(0, 3, 1, 2)
            x = ((batch.float() - mean) / std).contiguous(memory_format=torch.channels_last)
            out[start : start + len(batch)] = net.pool(net.features(x)).flatten(1).numpy()
            yield start + len(batch), len(small)
    return out


def pixel_features(small: np.ndarray) -> np.ndarray:
    side = 16
    step = small.shape[1] // side
    reduced = small.reshape(len(small), side, step, side, step, 3).mean(axis=(2, 4))
    return reduced.reshape(len(small), -1).astype(np.float32) / 255.0


def reduce_features(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """Standardised, PCA-reduced and L2-normalised: cosine similarity is then a dot product."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(features)
    dims = min(FEATURE_DIMS, *scaled.shape)
    reduced = (
        PCA(dims, svd_solver="randomized", random_state=seed)
        .fit_transform(scaled)
        .astype(np.float32)
    )
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return reduced / np.maximum(norms, 1e-12)


def cross_validated_probabilities(
    features: np.ndarray, labels: np.ndarray, n_classes: int, seed: int = 0
) -> np.ndarray:
    """(N, C) probabilities, each row from a model fitted without that image."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, StratifiedKFold

    counts = np.bincount(labels, minlength=n_classes)
    present = counts[counts > 0]
    folds = int(min(FOLDS, max(2, present.min() if len(present) else 2)))
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=seed)
        if present.min() >= folds
        else KFold(folds, shuffle=True, random_state=seed)
    )
    probs = np.zeros((len(labels), n_classes), dtype=np.float64)
    for fit_rows, predict_rows in splitter.split(features, labels):
        known = np.unique(labels[fit_rows])
        if len(known) < 2:  # a fold that saw one class can only say "that class"
            probs[np.ix_(predict_rows, known)] = 1.0
            continue
        model = LogisticRegression(C=0.5, max_iter=300)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes: 300 steps are plenty here
            model.fit(features[fit_rows], labels[fit_rows])
        probs[np.ix_(predict_rows, model.classes_)] = model.predict_proba(features[predict_rows])
    return probs


def find_label_issues(labels: np.ndarray, probs: np.ndarray, rows: np.ndarray) -> list[LabelIssue]:
    """Confident learning (cleanlab) on the rows that have out-of-sample probabilities;
    most suspicious first. Classes with no example in `rows` are left out of the analysis."""
    from cleanlab.filter import find_label_issues as cleanlab_issues
    from cleanlab.rank import get_label_quality_scores

    if len(rows) < 2:
        return []
    sub_labels, sub_probs = labels[rows], probs[rows]
    classes = np.unique(sub_labels)
    if len(classes) < 2:
        return []
    # cleanlab wants labels 0..K-1 with every class present: renumber the present ones.
    renumber = {c: i for i, c in enumerate(classes)}
    dense = np.array([renumber[c] for c in sub_labels])
    dense_probs = sub_probs[:, classes] + 1e-9
    dense_probs /= dense_probs.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = cleanlab_issues(
            dense, dense_probs, return_indices_ranked_by="self_confidence", n_jobs=1
        )
        quality = get_label_quality_scores(dense, dense_probs)
    issues = []
    for k in flagged:
        suggested = int(classes[int(np.argmax(dense_probs[k]))])
        issues.append(LabelIssue(int(rows[k]), suggested, float(1.0 - quality[k])))
    return issues


def outlier_scores(reduced: np.ndarray, labels: np.ndarray, neighbours: int = 5) -> np.ndarray:
    """Mean cosine distance to the nearest images of the same class: high = unlike its class."""
    from sklearn.neighbors import NearestNeighbors

    scores = np.zeros(len(reduced))
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        k = min(neighbours + 1, len(rows))
        if k < 2:
            continue
        distances, _ = NearestNeighbors(n_neighbors=k).fit(reduced[rows]).kneighbors(reduced[rows])
        scores[rows] = (distances[:, 1:] ** 2 / 2).mean(axis=1)  # unit vectors: 1 - cosine
    return scores
