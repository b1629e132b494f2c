"""Plain-words judgements about a run, for the window, the CLI and run.json: which path it
takes and why (fine-tuning or from scratch), whether an architecture can learn from scratch
on so few images, and whether a finished run's model is only guessing. No torch."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable

from core.words import format_count

# From scratch, the torchvision architectures (millions of weights, ImageNet-sized) need
# thousands of images; below this they stay near chance (the MobileNetV3-Large on
# 240 photos stayed at 20 % for 5 classes). Loupe's own small CNNs are made for small data.
SCRATCH_MIN_IMAGES = 2000
BUNDLED_BACKBONE = "efficientnet_lite0"
# A model is "guessing" when its best validation accuracy closes less than this share of the
# gap between chance (always answering the most common class) and 100 %.
GUESSING_SHARE = 0.15
# A guessing run that made fewer optimizer steps than this is told to train longer.
MIN_STEPS = 200


def chance_accuracy(labels: Iterable[int]) -> float:
    """The accuracy of always answering the most common class of `labels`."""
    counts = Counter(int(v) for v in labels)
    total = sum(counts.values())
    return max(counts.values()) / total if total else 0.0


def is_guessing(best_val_acc: float | None, chance: float) -> bool:
    if best_val_acc is None or chance <= 0.0:
        return False
    return best_val_acc <= chance + GUESSING_SHARE * (1.0 - chance)


def cannot_learn_from_scratch(source: str, starts_trained: bool, train_images: int) -> bool:
    """A torchvision architecture from random weights on a few hundred images."""
    return source == "torchvision" and not starts_trained and train_images < SCRATCH_MIN_IMAGES


def scratch_warning(arch: str, train_images: int) -> str:
    return (
        f"{arch} trained from scratch on {train_images:,} images will most likely only guess: "
        f"it needs ImageNet weights or thousands of images. Choose 'auto' or "
        f"{BUNDLED_BACKBONE} (ImageNet weights bundled, work offline) instead."
    )


def describe_plan(
    arch: str,
    pretrained: bool,
    weights_file: str | None,
    weights_words: str,
    source: str,
    train_images: int,
) -> str:
    """Which path a run takes when the user chose the architecture, and why."""
    if weights_file:
        return (
            f"Fine-tuning {arch} from {os.path.basename(weights_file)} because you chose that "
            "weights file."
        )
    if pretrained:
        return (
            f"Fine-tuning {arch} (ImageNet weights {weights_words}) because you chose it with "
            "'Start from ImageNet weights'."
        )
    plan = f"Training {arch} from scratch because you chose it without pretrained weights."
    if cannot_learn_from_scratch(source, False, train_images):
        plan += " " + scratch_warning(arch, train_images)
    return plan


def resume_plan(run_dir: str, start_epoch: int, epochs: int, arch: str) -> str:
    """The path of a resumed run (describe_plan's words are a new run's choice)."""
    name = os.path.basename(os.path.normpath(run_dir))
    return (
        f"Resuming {name} at epoch {start_epoch + 1} of {epochs}: {arch} continues from its "
        "last checkpoint, with the settings the run was started with."
    )


def guessing_verdict(
    best_val_acc: float | None,
    chance: float,
    arch: str,
    starts_trained: bool,
    train_images: int,
    total_steps: int,
    lr_chosen: bool,
    *,
    status: str = "completed",
    epochs_auto: bool = False,
    planned_steps: int = 0,
    patience: int = 0,
) -> str:
    """'' for a model that learned something; else one paragraph saying so and what to try.
    The advice fits the run: `status` is how it ended (core.events.RunFinished), `epochs_auto`
    whether Epochs was on auto, `planned_steps` the steps it would have made (0: unknown),
    `patience` its Early stopping (0: off)."""
    if not is_guessing(best_val_acc, chance):
        return ""
    tips = []
    if not starts_trained:
        if arch == BUNDLED_BACKBONE:
            tips.append(f"tick 'Start from ImageNet weights' ({arch}'s are bundled)")
        else:
            tips.append(
                f"start from ImageNet weights (Architecture 'auto', or {BUNDLED_BACKBONE}, "
                "whose weights are bundled)"
            )
    steps = _steps_tip(total_steps, status, epochs_auto, planned_steps, patience)
    if steps:
        tips.append(steps)
    if lr_chosen:
        tips.append("let Loupe choose the learning rate (auto)")
    if train_images < 50 * 2:
        tips.append("add images (a few dozen per class at least)")
    tips.append("check that each class folder holds the right images")
    return (
        f"This model is guessing: its best validation accuracy ({best_val_acc:.0%}) is about "
        f"what always answering the most common class gives ({chance:.0%}), so its answers "
        f"mean little. What to try: {'; '.join(tips)}."
    )


def _steps_tip(
    total_steps: int, status: str, epochs_auto: bool, planned_steps: int, patience: int
) -> str:
    """Advice on the length of the run, never to set what is already set."""
    if status == "stopped":
        up_to = "up to " if epochs_auto else ""  # auto may end a run early on its own
        if planned_steps > total_steps:
            made = f"{total_steps:,} of {up_to}{planned_steps:,} steps"  # "1 of 5 steps"
        else:
            made = format_count(total_steps, "step")
        return f"let it finish (it was stopped after {made})"
    if total_steps >= MIN_STEPS:
        return ""
    made = format_count(total_steps, "step")  # "only 1 step", "only 40 steps"
    if status == "early_stopped" and patience:
        return f"train longer (Early stopping ended it after only {made}: raise it or set it 'off')"
    if status == "early_stopped":  # Epochs on auto's own rule (core.train.plateau)
        return (
            f"train longer (Epochs on auto ended it after only {made}, when "
            "validation accuracy stopped improving: set a number of Epochs)"
        )
    if epochs_auto:
        return f"train longer (Epochs on auto gave it only {made}: set a larger number of Epochs)"
    return f"train longer (more Epochs, or 'auto'; this run made only {made})"


def saved_verdict(model_path: str) -> str:
    """The verdict recorded in run.json of the run that a model path (run folder, model folder
    or model file) belongs to; '' when there is none or it cannot be read."""
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
    try:
        with open(os.path.join(folder, "run.json"), encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return ""
    verdict = summary.get("verdict") if isinstance(summary, dict) else None
    return verdict if isinstance(verdict, str) else ""
