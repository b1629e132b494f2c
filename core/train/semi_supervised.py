"""Learning from unlabelled images, FixMatch-style (Sohn et al. 2020): each step also draws
`ratio` x batch unlabelled images; the model's answer on a lightly augmented copy (flip and
crop) becomes the label of a strongly augmented copy (crop, rotation, colour, a cut-out
square) when it is confident enough, and that loss joins the labelled one.

It must never silently hurt, so a labelled-only twin of the model (same start, same
augmented labelled batches, same learning rate at every step) trains alongside and is
validated each epoch: the run says at the end whether the unlabelled images helped, at the
same epoch count. The twin costs one forward and backward of the labelled batch, about a
tenth of a semi-supervised step (which passes (1 + 2 x ratio) x batch images)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Generator
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from core.control import RunControl
from core.data.augment import augment_batch
from core.data.batches import CachedSource, StreamingSource, cache_bytes
from core.data.datasets import DatasetScan
from core.device import Precision
from core.events import LogMessage, TrainEvent
from core.files.run_folder import RunFolder
from core.train.config import AugmentConfig, TrainConfig
from core.train.cpu_tuner import CpuTuner
from core.train.evaluation import autocast, evaluate
from core.train.optim import build_optimizer, optimizer_step
from core.train.resume import load_optimizer_state
from core.train.unlabelled_data import UnlabelledImages, load_unlabelled


class RunParts(Protocol):
    """What learning from unlabelled images uses of a run's set-up: core.train.setup.Setup
    has it all (a Protocol, so this module need not import setup, which imports it)."""

    device: torch.device
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: Any
    criterion: nn.Module
    gen: torch.Generator
    val: CachedSource | StreamingSource
    class_names: list[str]
    eval_batch_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    tuner: CpuTuner


# Each process would draw its own unlabelled batches and the labelled-only twin is not shared:
# not built yet, so said plainly rather than trained wrongly.
UNLABELLED_UNDER_TORCHRUN = (
    "Learning from unlabelled images (--unlabelled) is not supported under torchrun yet: "
    "train it in one process, or leave out --unlabelled."
)
CUTOUT_SIDE = 0.5  # the cut-out square's side, at most, as a share of the image side


def pseudo_labels(
    logits: torch.Tensor, threshold: float, label_smoothing: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(class, mask): each image's most likely class, and 1.0 where the model is at least
    `threshold` sure of it. A model trained with label smoothing e can never be more than
    1 - e + e/K sure; its confidence is read relative to that ceiling, so that a threshold
    of 0.95 means the same with and without smoothing (otherwise it would never be met)."""
    probs = torch.softmax(logits.detach().float(), dim=1)
    confidence, classes = probs.max(dim=1)
    k = logits.shape[1]
    floor = label_smoothing / k
    confidence = (confidence - floor) / max(1e-12, 1.0 - label_smoothing)
    return classes, (confidence >= threshold).float()


def weak_augment(augment: AugmentConfig) -> AugmentConfig:
    """The run's flips and a mild crop: what the pseudo-label is read from."""
    return dataclasses.replace(
        augment,
        crop_scale_min=max(augment.crop_scale_min, 0.75),
        rotation_degrees=0.0,
        color_jitter=0.0,
        trivial_augment=False,
    )


def strong_augment(augment: AugmentConfig) -> AugmentConfig:
    """At least: random crops, 15 degrees of rotation and strong colour jitter; more when the
    run asks for more (TrivialAugment too). Flips follow the run (no mirrored digits)."""
    return dataclasses.replace(
        augment,
        random_resized_crop=True,
        rotation_degrees=max(augment.rotation_degrees, 15.0),
        color_jitter=max(augment.color_jitter, 0.5),
    )


def cutout(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Sets a random square of each (normalised) image to 0, the dataset mean: one mask for
    the whole batch, made on the device from a few random numbers drawn on the CPU."""
    n, _, h, w = x.shape
    side = torch.rand(n, generator=gen) * CUTOUT_SIDE
    cy, cx = torch.rand(n, generator=gen), torch.rand(n, generator=gen)
    params = torch.stack([cy - side / 2, cy + side / 2, cx - side / 2, cx + side / 2], 1)
    params = params.to(x.device, non_blocking=True)
    ys = (torch.arange(h, device=x.device) + 0.5) / h
    xs = (torch.arange(w, device=x.device) + 0.5) / w
    inside_y = (ys[None] >= params[:, 0:1]) & (ys[None] < params[:, 1:2])
    inside_x = (xs[None] >= params[:, 2:3]) & (xs[None] < params[:, 3:4])
    keep = ~(inside_y[:, :, None] & inside_x[:, None, :])
    return x * keep[:, None].to(x.dtype)


def start_semi_supervised(
    cfg: TrainConfig,
    scan: DatasetScan,
    train,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    ckpt: dict[str, Any] | None,
    device: torch.device,
    control: RunControl,
) -> Generator[TrainEvent, None, SemiSupervised | None]:
    """The run's SemiSupervised when it has an unlabelled folder (None without one, or when
    stopped meanwhile: the caller checks the control). Called after a resume restored the
    model, which a twin without saved state starts from."""
    if not cfg.unlabelled.folder:
        return None
    labelled = [x.path for x in (*scan.train, *scan.val, *scan.test)]
    cached = isinstance(train, CachedSource)
    used = cache_bytes(len(scan.train) + len(scan.val), cfg.image_size) if cached else 0
    images = yield from load_unlabelled(cfg, labelled, used, scan.report, device, control)
    if images is None:
        return None
    semi = SemiSupervised(cfg, images, model)
    if ckpt is not None:
        semi.load_state(ckpt.get("unlabelled"), model, optimizer)
    yield LogMessage(
        "info",
        f"Also learning from {len(images):,} unlabelled images (pseudo-labels at "
        f"{cfg.unlabelled.threshold:.0%} confidence, {cfg.unlabelled.ratio} per labelled "
        "image); a labelled-only model trains alongside for comparison.",
    )
    return semi


class SemiSupervised:
    """The unlabelled images, the labelled-only twin, and the per-epoch figures."""

    def __init__(self, cfg: TrainConfig, images: UnlabelledImages, model: nn.Module) -> None:
        self.cfg = cfg
        self.settings = cfg.unlabelled
        self.images = images
        self.twin = copy.deepcopy(model)  # the same start as the model: a paired comparison
        self.twin_optimizer = build_optimizer(self.twin.parameters(), cfg, cfg.lr)
        self.twin_scaler: Any = None
        self.twin_best_acc: float | None = None
        self.twin_best_epoch: int | None = None
        self.last_confident_share: float | None = None
        self._confident = torch.zeros((), device=images.device)  # no per-step sync
        self._seen = 0

    # -- training ----------------------------------------------------------------------
    def train_step(
        self,
        s: RunParts,
        augment: AugmentConfig,
        images: torch.Tensor,
        labels: torch.Tensor,
        precision: Precision,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of the model on labelled + unlabelled images and one of the twin on the
        labelled ones; returns the labelled logits and loss, comparable to a plain run's."""
        n = images.shape[0]
        m = n * self.settings.ratio
        x = augment_batch(images, augment, s.gen, s.mean, s.std)
        u = self.images.batch(m, s.gen)
        weak = augment_batch(u, weak_augment(augment), s.gen, s.mean, s.std)
        strong = cutout(augment_batch(u, strong_augment(augment), s.gen, s.mean, s.std), s.gen)
        with autocast(s.device, precision):
            # One pass for all three: batch norm sees labelled and unlabelled images together.
            logits = s.model(torch.cat([x, weak, strong]))
            logits_x, logits_weak, logits_strong = logits[:n], logits[n : n + m], logits[n + m :]
            loss_x = s.criterion(logits_x, labels)
            targets, mask = pseudo_labels(logits_weak, self.settings.threshold, self._smoothing)
            per_image = F.cross_entropy(
                logits_strong.float(), targets, reduction="none", label_smoothing=self._smoothing
            )
            loss = loss_x + self.settings.weight * (per_image * mask).mean()
        optimizer_step(s.optimizer, s.scaler, loss)
        self._confident += mask.sum()
        self._seen += m
        self._twin_step(s, x, labels, precision)
        s.scheduler.step()
        return logits_x, loss_x

    @property
    def _smoothing(self) -> float:
        return self.cfg.label_smoothing

    def _twin_step(
        self, s: RunParts, x: torch.Tensor, labels: torch.Tensor, precision: Precision
    ) -> None:
        if not self.twin.training:
            self.twin.train()  # validation left it in eval mode
        if s.scaler is not None and self.twin_scaler is None:
            self.twin_scaler = torch.amp.GradScaler(s.device.type)
        # The same learning rate as the model at this step: the schedule is the model's.
        for twin_group, group in zip(
            self.twin_optimizer.param_groups, s.optimizer.param_groups, strict=False
        ):
            twin_group["lr"] = group["lr"]
        with autocast(s.device, precision):
            loss = s.criterion(self.twin(x), labels)
        optimizer_step(self.twin_optimizer, self.twin_scaler, loss)

    # -- each epoch --------------------------------------------------------------------
    def end_epoch(
        self, s: RunParts, epoch: int, should_stop: Callable[[], bool]
    ) -> tuple[dict[str, float], str] | None:
        """Validate the twin; the epoch's metrics.csv columns and its log line (None when
        stopped during the twin's validation)."""
        ev = evaluate(
            self.twin,
            s.val,
            s.eval_batch_size,
            len(s.class_names),
            s.device,
            s.tuner.precision,
            s.mean,
            s.std,
            [],
            [],
            should_stop=should_stop,
        )
        if ev is None:
            return None
        if self.twin_best_acc is None or ev.accuracy > self.twin_best_acc:
            self.twin_best_acc, self.twin_best_epoch = ev.accuracy, epoch
        seen = self._seen
        share = float(self._confident) / max(1, seen)  # the epoch's one sync for this
        self.last_confident_share = share
        self._confident.zero_()
        self._seen = 0
        line = (
            f"Unlabelled images: {share:.0%} of the {seen:,} drawn this epoch were above the "
            f"{self.settings.threshold:.0%} confidence threshold; the labelled-only model "
            f"reached {ev.accuracy:.1%} validation accuracy."
        )
        columns = {"unlabelled_confident": round(share, 4), "labelled_only_val_acc": ev.accuracy}
        return columns, line

    # -- the run's records -------------------------------------------------------------
    def summary(self, best_acc: float | None = None) -> dict[str, Any]:
        """run.json's "unlabelled" record."""
        record: dict[str, Any] = {
            "folder": self.settings.folder,
            "images": len(self.images),
            "found": self.images.found,
            "left_out_as_dataset_copies": self.images.copies,
            "unreadable": self.images.unreadable,
            "left_out_for_memory": self.images.left_out_for_memory,
            "threshold": self.settings.threshold,
            "weight": self.settings.weight,
            "ratio": self.settings.ratio,
            "last_confident_share": self.last_confident_share,
            "labelled_only_best_val_acc": self.twin_best_acc,
            "labelled_only_best_epoch": self.twin_best_epoch,
        }
        if best_acc is not None and self.twin_best_acc is not None:
            record["helped"] = best_acc > self.twin_best_acc
            record["verdict"] = self.verdict(best_acc)
        return record

    def verdict(self, best_acc: float | None) -> str:
        """Whether the unlabelled images helped, in one sentence ('' before any epoch)."""
        if best_acc is None or self.twin_best_acc is None:
            return ""
        figures = f"{best_acc:.1%} vs {self.twin_best_acc:.1%} without them"
        if best_acc > self.twin_best_acc:
            return f"Unlabelled images improved validation accuracy ({figures})."
        if best_acc == self.twin_best_acc:
            return (
                f"Unlabelled images did not improve validation accuracy ({figures}): the "
                "labelled images alone did as well."
            )
        return (
            f"Unlabelled images did not improve validation accuracy ({figures}): their "
            "pseudo-labels may be wrong, or the images unlike the dataset's classes. Train "
            "without them, or raise Unlabelled confidence (--unlabelled-threshold)."
        )

    def finish(
        self, folder: RunFolder, best_acc: float | None, reason: str
    ) -> Generator[TrainEvent, None, str]:
        """At the run's end: the verdict into run.json, the log and the run's reason."""
        folder.update_summary(unlabelled=self.summary(best_acc))
        said = self.verdict(best_acc)
        if not said:
            return reason
        yield LogMessage("info" if best_acc > self.twin_best_acc else "warning", said)
        return f"{reason} {said}"

    def state(self) -> dict[str, Any]:
        """What last.ckpt keeps of the twin, so a resumed run compares as an uninterrupted one."""
        return dict(
            model=self.twin.state_dict(),
            optimizer=self.twin_optimizer.state_dict(),
            scaler=self.twin_scaler.state_dict() if self.twin_scaler is not None else {},
            best_acc=self.twin_best_acc,
            best_epoch=self.twin_best_epoch,
        )

    def load_state(self, saved: dict[str, Any] | None, model: nn.Module, optimizer) -> None:
        """From last.ckpt; a run that trained without unlabelled images until now was itself
        the labelled-only model: the twin continues from it."""
        if not saved:
            self.twin.load_state_dict(model.state_dict())
            load_optimizer_state(self.twin_optimizer, optimizer.state_dict())
            return
        self.twin.load_state_dict(saved["model"])
        load_optimizer_state(self.twin_optimizer, saved["optimizer"])
        if saved.get("scaler"):
            self.twin_scaler = torch.amp.GradScaler(next(self.twin.parameters()).device.type)
            self.twin_scaler.load_state_dict(saved["scaler"])
        self.twin_best_acc = saved.get("best_acc")
        self.twin_best_epoch = saved.get("best_epoch")
