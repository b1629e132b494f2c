"""Optimizers, learning-rate schedules and losses, built from a TrainConfig."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from core.train.config import TrainConfig
from core.train.eager_optimizers import eager


def build_optimizer(params, cfg: TrainConfig, lr: float) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    # On CUDA the fused kernels: one launch for all parameters, and GradScaler hands them
    # its inf check on the device (an unfused step reads it back: a sync every step).
    on_cuda = bool(params) and params[0].device.type == "cuda"
    fused = {"fused": True} if on_cuda else {}
    if cfg.optimizer in ("sgd", "nesterov"):
        return eager(torch.optim.SGD)(
            params,
            lr=lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            nesterov=cfg.optimizer == "nesterov" and cfg.momentum > 0,
            **fused,
        )
    if cfg.optimizer == "adam":
        return eager(torch.optim.Adam)(params, lr=lr, weight_decay=cfg.weight_decay, **fused)
    if cfg.optimizer == "adamw":
        return eager(torch.optim.AdamW)(params, lr=lr, weight_decay=cfg.weight_decay, **fused)
    if cfg.optimizer == "rmsprop":
        return eager(torch.optim.RMSprop)(
            params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, eps=1e-3
        )
    raise ValueError(f"unknown optimizer {cfg.optimizer}")


def lr_factor(cfg: TrainConfig, step: int, total_steps: int, steps_per_epoch: int) -> float:
    """Multiplier of the base learning rate at optimizer step `step` (0-based).
    A pure function of the step, so resuming (or extending) a run needs no saved state."""
    total_steps = max(1, total_steps)
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "step":
        return cfg.step_gamma ** ((step // max(1, steps_per_epoch)) // max(1, cfg.step_size))
    if cfg.schedule == "onecycle":
        # Warm up from lr/25 over 30 % of the run, then cosine-anneal to lr/1e4 (Smith's 1cycle).
        peak = max(1, int(0.3 * total_steps))
        if step < peak:
            return 1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * step / peak)) / 2
        t = min(1.0, (step - peak) / max(1, total_steps - peak))
        return 1e-4 + (1 - 1e-4) * (1 + math.cos(math.pi * t)) / 2
    # cosine with linear warm-up
    # Short runs must not spend half their steps warming up: at most a fifth of the run.
    warmup = min(int(cfg.warmup_epochs * steps_per_epoch), total_steps // 5)
    if step < warmup:
        return (step + 1) / (warmup + 1)
    t = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return 0.5 * (1 + math.cos(math.pi * t))


def make_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int, start_step: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """The schedule of `lr_factor` over the run, with base rate cfg.lr, placed at optimizer step
    `start_step` (the next step takes its rate from there)."""
    total_steps = steps_per_epoch * cfg.epochs

    def factor(step: int) -> float:
        return lr_factor(cfg, step, total_steps, steps_per_epoch)

    for group in optimizer.param_groups:
        group.pop("initial_lr", None)  # LambdaLR takes the base rate from "lr" when absent
        group["lr"] = cfg.lr
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    if start_step:
        scheduler.last_epoch = start_step
        for group in optimizer.param_groups:
            group["lr"] = cfg.lr * factor(start_step)
    return scheduler


class FocalLoss(nn.Module):
    """Cross-entropy that down-weights easy examples (Lin et al. 2017), for imbalanced data."""

    def __init__(self, gamma: float, weight: torch.Tensor | None, label_smoothing: float) -> None:
        super().__init__()
        self.gamma = gamma
        self.register_buffer("weight", weight)
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(
            logits,
            target,
            weight=self.weight,
            reduction="none",
            label_smoothing=self.label_smoothing,
        )
        p_true = torch.softmax(logits.float(), 1).gather(1, target[:, None]).squeeze(1)
        return ((1 - p_true) ** self.gamma * ce).mean()


def class_weights(counts: list[int]) -> torch.Tensor:
    """Inverse-frequency weights, normalised so that the average weight per image is 1."""
    c = torch.tensor([max(1, n) for n in counts], dtype=torch.float32)
    w = c.sum() / (len(c) * c)
    return w


def build_loss(cfg: TrainConfig, train_counts: list[int]) -> nn.Module:
    weight = class_weights(train_counts) if cfg.class_balanced else None
    if cfg.loss == "focal":
        return FocalLoss(cfg.focal_gamma, weight, cfg.label_smoothing)
    return nn.CrossEntropyLoss(weight=weight, label_smoothing=cfg.label_smoothing)


def optimizer_step(optimizer: torch.optim.Optimizer, scaler, loss: torch.Tensor) -> None:
    """Backward and step, through the gradient scaler when there is one (fp16)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
