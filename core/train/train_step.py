"""One optimizer step: batched augmentation on the device, the forward pass under the
run's precision, backward (through the gradient scaler for fp16) and the schedule.
A run that also learns from unlabelled images takes its step from core.train.semi_supervised."""

from __future__ import annotations

import torch

from core.data.augment import augment_batch
from core.device import Precision
from core.train.config import AugmentConfig
from core.train.evaluation import autocast
from core.train.optim import optimizer_step
from core.train.setup import Setup


def train_step(
    s: Setup,
    augment: AugmentConfig,
    images: torch.Tensor,
    labels: torch.Tensor,
    precision: Precision,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on a uint8 batch; returns its logits and loss (on the device)."""
    if s.semi is not None:
        return s.semi.train_step(s, augment, images, labels, precision)
    x = augment_batch(images, augment, s.gen, s.mean, s.std)
    with autocast(s.device, precision):
        model = s.model if s.parallel is None else s.parallel  # DDP under torchrun
        logits = model(x)
        loss = s.criterion(logits, labels)
    optimizer_step(s.optimizer, s.scaler, loss)
    s.scheduler.step()
    return logits, loss
