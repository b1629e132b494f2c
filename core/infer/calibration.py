"""Calibrated confidence: temperature scaling (Guo et al. 2017, "On Calibration of Modern
Neural Networks") and the expected calibration error that measures it.

One scalar T > 0 divides every logit before the softmax. It is fitted on the validation
split by minimising the negative log-likelihood with LBFGS; it never changes which class
wins (argmax is invariant), only how sure the model claims to be."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from core.infer.temperature import MAX_TEMPERATURE, MIN_TEMPERATURE
from core.train.eager_optimizers import eager

ECE_BINS = 15  # as in Guo et al.; also what report.json documents
MIN_IMAGES = 2


@dataclass(frozen=True)
class Calibration:
    temperature: float
    images: int  # validation images the temperature was fitted on
    nll_before: float  # mean negative log-likelihood at T = 1
    nll_after: float
    ece_before: float  # expected calibration error, ECE_BINS bins, at T = 1
    ece_after: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a diverged model's NaN losses become null (JSON has no NaN)."""

        def plain(value: Any) -> Any:
            if isinstance(value, float):
                return round(value, 6) if math.isfinite(value) else None
            return value

        return {
            "method": "temperature scaling (Guo et al. 2017), LBFGS on validation logits",
            **{k: plain(v) for k, v in asdict(self).items()},
        }


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return torch.softmax(logits.float() / temperature, dim=-1)


def negative_log_likelihood(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float
) -> float:
    return float(F.cross_entropy(logits.double() / temperature, labels.long()))


def expected_calibration_error(
    confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> float:
    """Sum over equal-width confidence bins of (share of images) x |accuracy - mean confidence|."""
    return sum(
        b["count"] / max(1, len(confidences)) * abs(b["accuracy"] - b["confidence"])
        for b in reliability_bins(confidences, correct, bins)
        if b["count"]
    )


def reliability_bins(
    confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> list[dict[str, float]]:
    """Per bin (lower, upper]: image count, accuracy and mean confidence (0 when empty).
    The first bin also holds confidence 0 exactly."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # right=True: a confidence of exactly 1.0 falls in the last bin, 0.0 in the first.
    index = np.clip(np.digitize(confidences, edges[1:-1], right=True), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        out.append(
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "count": n,
                "accuracy": float(correct[mask].mean()) if n else 0.0,
                "confidence": float(confidences[mask].mean()) if n else 0.0,
            }
        )
    return out


def top1(logits: torch.Tensor, temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """(confidence of the predicted class, predicted index) per row, as numpy."""
    probs = softmax_with_temperature(logits, temperature)
    values, indices = probs.max(dim=1)
    return values.double().numpy(), indices.numpy()


def ece_at(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> float:
    confidences, predicted = top1(logits, temperature)
    return expected_calibration_error(confidences, predicted == labels.numpy())


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    """The T minimising the validation NLL of softmax(logits / T); 1 when the data cannot
    support a fit (too few images, non-finite logits) or the fit would not lower the NLL."""
    if logits.shape[0] < MIN_IMAGES or not torch.isfinite(logits).all():
        return 1.0
    if bool((logits.argmax(1) == labels.to(logits.device)).all()):
        # Without a single mistake the NLL only falls as T -> 0: the fit would claim certainty
        # that the data cannot support. Keep the model's own confidences.
        return 1.0
    # The validation pass runs under inference_mode: autograd needs ordinary tensors.
    with torch.inference_mode(False), torch.enable_grad():
        # float32: a scalar fit needs no more, and a large validation set fits 3x faster.
        logits = logits.detach().to("cpu", torch.float32).clone()
        labels = labels.detach().to("cpu").long().clone()
        # LBFGS searches log T: T stays positive without a constraint.
        log_t = torch.zeros((), dtype=torch.float32, requires_grad=True)
        optimizer = eager(torch.optim.LBFGS)(  # torch's, without importing torch._dynamo
            [log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe"
        )

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            loss = F.cross_entropy(logits / log_t.exp(), labels)
            loss.backward()
            return loss

        optimizer.step(closure)
        temperature = float(log_t.detach().exp())
    if not math.isfinite(temperature):
        return 1.0
    temperature = min(max(temperature, MIN_TEMPERATURE), MAX_TEMPERATURE)
    if negative_log_likelihood(logits, labels, temperature) > negative_log_likelihood(
        logits, labels, 1.0
    ):
        return 1.0
    return temperature


def calibrate(logits: torch.Tensor, labels: torch.Tensor) -> Calibration:
    """Fit the temperature on these (validation) logits and measure it before and after."""
    logits = logits.detach().to("cpu", torch.float32)
    labels = labels.detach().to("cpu").long()
    temperature = fit_temperature(logits, labels)
    return Calibration(
        temperature=temperature,
        images=int(logits.shape[0]),
        nll_before=negative_log_likelihood(logits, labels, 1.0),
        nll_after=negative_log_likelihood(logits, labels, temperature),
        ece_before=ece_at(logits, labels, 1.0),
        ece_after=ece_at(logits, labels, temperature),
    )
