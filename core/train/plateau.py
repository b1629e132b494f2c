"""Epochs on auto are a ceiling: a run whose validation has stopped improving ends early.

Auto gives a fine-tuning run (or photos trained from scratch) enough optimizer steps for its
data ("up to 25 epochs" for a few hundred photos), but pretrained features often settle in a
handful of epochs: the small-photo benchmark was at 100 % validation accuracy from epoch 5 of
25, on a CPU where each epoch took half a minute. The rule below stops such a run once it has
plateaued and keeps its best model (the loop saves the best epoch's weights anyway).

"Still improving" is judged on both validation figures, so that a run is not cut while it
gets better in a way accuracy on a small validation set cannot show (one image is 1.7 % of
60): an epoch counts as progress when validation accuracy beats its best so far, or when the
validation loss falls at least LOSS_PROGRESS below its lowest so far. Once the training
images are learnt (training accuracy >= LEARNT, measured on augmented images), only
accuracy counts: the loss then keeps
falling because the model grows more confident on what it already gets right (and likewise
once validation accuracy is 100 %: there is nothing left for it to show).

Not applied to small images trained from scratch: their auto count is a calibrated cosine
schedule whose last, low-rate epochs give the best model, so a flat stretch at a high rate
says nothing. Not applied when the user set the epochs, nor when they set Early stopping
(--early-stopping N): their patience then decides alone. Pure Python: tested on sequences."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.train.defaults import is_small_from_scratch, stops_on_plateau
from core.words import format_count

if TYPE_CHECKING:
    from core.train.setup import Setup

LOSS_PROGRESS = 0.05  # a validation loss 5 % below its lowest so far is progress
LEARNT = 0.98  # training accuracy from which only validation accuracy counts
PATIENCE_SHARE = 0.15  # patience: this share of the ceiling, at least MIN_PATIENCE epochs
MIN_PATIENCE = 3
MIN_SHARE = 0.25  # never stop before this share of the ceiling (and patience + 2 epochs)


@dataclass(frozen=True)
class PlateauRule:
    max_epochs: int
    patience: int
    min_epochs: int


def plateau_rule(max_epochs: int) -> PlateauRule:
    patience = max(MIN_PATIENCE, round(max_epochs * PATIENCE_SHARE))
    min_epochs = max(patience + 2, math.ceil(max_epochs * MIN_SHARE))
    return PlateauRule(max_epochs, patience, min_epochs)


class PlateauWatch:
    """Fed each epoch's validation figures; says when the run should stop, and why."""

    def __init__(self, rule: PlateauRule) -> None:
        self.rule = rule
        self.epochs = 0
        self.best_acc = -1.0
        self.lowest_loss = math.inf
        self.since_progress = 0

    def add(self, val_acc: float, val_loss: float, train_acc: float) -> bool:
        """Records an epoch; True when the run should stop after it."""
        self.epochs += 1
        better_acc = val_acc > self.best_acc
        lower_loss = math.isfinite(val_loss) and val_loss < self.lowest_loss * (1 - LOSS_PROGRESS)
        learnt = train_acc >= LEARNT or self.best_acc >= 1.0
        progress = better_acc or (lower_loss and not learnt)
        self.since_progress = 0 if progress else self.since_progress + 1
        self.best_acc = max(self.best_acc, val_acc)
        if math.isfinite(val_loss):
            self.lowest_loss = min(self.lowest_loss, val_loss)
        return (
            self.epochs >= self.rule.min_epochs
            and self.since_progress >= self.rule.patience
            and self.epochs < self.rule.max_epochs
        )

    def reason(self, best_acc: float | None, best_epoch: int | None) -> str:
        """Why the run ended early, in the words the Train page and the log show."""
        kept = (
            f"; kept the best model (validation accuracy {best_acc:.1%} at epoch {best_epoch + 1})"
            if best_acc is not None and best_epoch is not None
            else ""
        )
        return (
            f"Stopped after {self.epochs} of up to {self.rule.max_epochs} epochs: validation "
            f"accuracy had not improved for {format_count(self.since_progress, 'epoch')}{kept}."
        )


def auto_epochs_watch(
    s: Setup, epochs_on_auto: bool, history: Iterable[dict]
) -> PlateauWatch | None:
    """The watch for a run whose epochs the user left on auto (None when the rule does not
    apply: core.train.defaults.stops_on_plateau), fed the epochs already in its history, so
    that a resumed run stops where an uninterrupted one would have."""
    small = is_small_from_scratch(s.cfg, s.report)
    if not stops_on_plateau(small, s.cfg.early_stopping_patience, epochs_on_auto):
        return None
    watch = PlateauWatch(plateau_rule(s.cfg.epochs))
    for row in history:
        if int(row["epoch"]) < s.start_epoch:
            watch.add(float(row["val_acc"]), float(row["val_loss"]), float(row["train_acc"]))
    return watch
