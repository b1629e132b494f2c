"""The unlabelled images of a semi-supervised run: found below the chosen folder, copies of
the dataset's own images left out, decoded once into a uint8 cache by the same code as the
dataset's (unreadable files skipped and reported the same way), and drawn in random batches."""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import torch

from core.control import RunControl
from core.data.augment import to_device
from core.data.batches import cache_bytes
from core.data.dataset_folders import images_under
from core.data.datasets import DatasetReport, add_skipped
from core.data.file_copies import dataset_copies
from core.errors import LoupeError
from core.events import LogMessage, TrainEvent
from core.train.config import TrainConfig
from core.train.progress_log import SHOWN_SKIPPED, decoded_with_progress


@dataclass
class UnlabelledImages:
    """Decoded unlabelled images (N,S,S,3) uint8 on `storage`, handed out on `device`."""

    images: torch.Tensor
    paths: list[str]
    device: torch.device
    found: int = 0  # image files below the folder
    copies: int = 0  # files that are also in the dataset: left out
    unreadable: int = 0
    left_out_for_memory: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    def batch(self, count: int, gen: torch.Generator) -> torch.Tensor:
        """`count` images drawn at random (with replacement: the unlabelled set is usually
        far larger than what one epoch of labelled steps draws), uint8 (B,3,S,S)."""
        idx = torch.randint(len(self.paths), (count,), generator=gen)
        picked = self.images[to_device(idx, self.images.device)]
        return to_device(picked, self.device).permute(0, 3, 1, 2)


def _fitting(paths: list[str], budget: int, size: int, seed: int) -> list[str]:
    """A seeded random subset of `paths` that fits `budget` bytes of cache (all when it fits)."""
    room = budget // cache_bytes(1, size)
    if room >= len(paths):
        return paths
    order = np.random.default_rng(seed).permutation(len(paths))[:room]
    return [paths[i] for i in sorted(order)]


def load_unlabelled(
    cfg: TrainConfig,
    labelled: list[str],
    cache_used: int,
    report: DatasetReport,
    device: torch.device,
    control: RunControl,
) -> Generator[TrainEvent, None, UnlabelledImages | None]:
    """Find, filter and decode the unlabelled images; None when stopped meanwhile.
    `cache_used`: bytes the labelled images' cache already takes of the cache budget."""
    folder = os.path.expanduser(cfg.unlabelled.folder or "")
    paths, _ignored = images_under(folder)
    if not paths:
        raise LoupeError(f"{cfg.unlabelled.folder} holds no images to learn from.")
    copies = dataset_copies(paths, labelled)
    if copies:
        yield LogMessage(
            "warning",
            f"{len(copies):,} of the {len(paths):,} unlabelled images "
            f"{'is' if len(copies) == 1 else 'are'} also in the dataset "
            f"(e.g. {sorted(copies)[0]}): left out, since their labels are known.",
        )
    found = len(paths)
    paths = [p for p in paths if p not in copies]
    if not paths:
        raise LoupeError(
            f"Every image in {cfg.unlabelled.folder} is also in the dataset: nothing unlabelled "
            "is left to learn from."
        )
    size = cfg.image_size
    budget = cfg.cache_memory_mb * 2**20 - cache_used
    fitting = _fitting(paths, budget, size, cfg.seed)
    if not fitting:
        raise LoupeError(
            f"The Image cache (--cache-mb {cfg.cache_memory_mb}) leaves no room for the "
            "unlabelled images: raise it."
        )
    if len(fitting) < len(paths):
        yield LogMessage(
            "warning",
            f"Only {len(fitting):,} of the {len(paths):,} unlabelled images fit the image "
            f"cache at {size} px: training on a random {len(fitting):,} of them (raise the "
            "Image cache, --cache-mb, to use all).",
        )
    yield LogMessage(
        "info", f"Decoding {len(fitting):,} unlabelled images from {folder} into memory ..."
    )
    decoded = yield from decoded_with_progress(fitting, size, control, "unlabelled images")
    if decoded is None:
        return None
    arrays, kept, skipped = decoded
    for path, reason in skipped:
        add_skipped(report, path, reason, split="unlabelled")
    for path, reason in skipped[:SHOWN_SKIPPED]:
        yield LogMessage("warning", f"Skipped {path}: {reason}")
    if len(skipped) > SHOWN_SKIPPED:
        yield LogMessage(
            "warning", f"... and {len(skipped) - SHOWN_SKIPPED} more skipped unlabelled files."
        )
    if not kept:
        raise LoupeError(f"None of the images in {cfg.unlabelled.folder} could be read.")
    return UnlabelledImages(
        images=torch.from_numpy(arrays),  # in RAM: a batch is one gather and one copy
        paths=[fitting[i] for i in kept],
        device=device,
        found=found,
        copies=len(copies),
        unreadable=len(skipped),
        left_out_for_memory=len(paths) - len(fitting),
        skipped=skipped,
    )
