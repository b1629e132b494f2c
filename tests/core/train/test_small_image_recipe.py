"""Loupe's recipe for small images trained from scratch: native size, SGD with Nesterov
momentum, epochs by data size, mild crops and no mirroring of grayscale images."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.data.batches import CachedSource
from core.data.datasets import DatasetReport
from core.train.config import TrainConfig
from core.train.defaults import (
    adapt_augmentation,
    expected_arch,
    resolve_auto,
    small_image_epochs,
)


def _report(side: int, images: int) -> DatasetReport:
    per_class = {str(d): images // 10 for d in range(10)}
    return DatasetReport(
        root="/d", layout="flat", class_names=list(per_class), counts={"train": per_class},
        median_size=(side, side),
    )  # fmt: skip


def _resolve(cfg: TrainConfig, side: int, images: int):
    return resolve_auto(cfg, _report(side, images), "cpu", lambda arch: False, images)


def test_28px_digits_get_the_small_image_recipe():
    cfg, notes = _resolve(TrainConfig(data_dir="/d", out_dir="/o"), 28, 2400)
    assert (cfg.arch, cfg.image_size) == ("loupe_net_slim", 28)  # not enlarged to 32
    assert (cfg.optimizer, cfg.lr, cfg.epochs) == ("nesterov", pytest.approx(0.05), 10)
    assert any("Nesterov" in n for n in notes)
    assert any(n.startswith("10 epochs") and "24,000 images seen" in n for n in notes)


def test_auto_matches_loupe_net_to_small_sets_of_tiny_images():
    """The slim loupe_net (half the first stage's width) for a few thousand images of at most
    32 px; more images, larger images or a larger chosen size keep loupe_net; the run folder's
    name (expected_arch) agrees with what the run trains."""
    auto = TrainConfig(data_dir="/d", out_dir="/o")
    for side, images, size, arch in (
        (28, 3000, 0, "loupe_net_slim"),
        (32, 5000, 0, "loupe_net_slim"),
        (28, 10_000, 0, "loupe_net"),
        (48, 3000, 0, "loupe_net"),
        (28, 3000, 64, "loupe_net"),
    ):
        given = dataclasses.replace(auto, image_size=size)
        cfg, notes = _resolve(given, side, images)
        assert cfg.arch == arch, (side, images, size)
        assert expected_arch("auto", _report(side, images), size) == arch
        assert ("slim" in notes[0]) == (arch == "loupe_net_slim")
    explicit = dataclasses.replace(auto, arch="loupe_net")  # the user's choice stays
    assert _resolve(explicit, 28, 3000)[0].arch == "loupe_net"


def test_explicit_choices_are_kept():
    given = TrainConfig(data_dir="/d", out_dir="/o", optimizer="adamw", epochs=4)
    cfg, _ = _resolve(given, 28, 2400)
    assert (cfg.optimizer, cfg.epochs) == ("adamw", 4)


def test_photos_and_a_few_dozen_small_images_keep_adamw():
    cfg, _ = _resolve(TrainConfig(data_dir="/d", out_dir="/o"), 300, 600)
    assert cfg.optimizer == "adamw"
    cfg, _ = _resolve(TrainConfig(data_dir="/d", out_dir="/o"), 28, 90)
    assert cfg.optimizer == "adamw"


def test_epochs_follow_the_data_size():
    assert small_image_epochs(2500) == 10
    assert small_image_epochs(10_000) == 5
    assert small_image_epochs(60_000) == 3  # a few minutes, not an hour, on a CPU
    assert small_image_epochs(300) == 29


def _small(**augment) -> TrainConfig:
    cfg = TrainConfig(data_dir="/d", out_dir="/o", image_size=28)
    return dataclasses.replace(cfg, augment=dataclasses.replace(cfg.augment, **augment))


def test_grayscale_small_images_are_not_mirrored_and_crops_stay_mild():
    cfg, notes = adapt_augmentation(_small(), grayscale=True)
    assert not cfg.augment.hflip and cfg.augment.crop_scale_min == 0.75
    assert len(notes) == 2 and "not mirrored" in notes[1]
    colour, _ = adapt_augmentation(_small(), grayscale=False)
    assert colour.augment.hflip and colour.augment.crop_scale_min == 0.75


def test_adaptation_can_be_turned_off_and_leaves_photos_alone():
    as_set, notes = adapt_augmentation(_small(adapt=False), grayscale=True)
    assert as_set == _small(adapt=False) and notes == []
    photos = dataclasses.replace(_small(), image_size=128)
    assert adapt_augmentation(photos, grayscale=True) == (photos, [])


def test_grayscale_is_read_from_the_cache():
    gray = np.repeat(np.arange(4 * 8 * 8, dtype=np.uint8).reshape(4, 8, 8, 1), 3, axis=3)
    source = CachedSource(
        gray, [0, 1, 0, 1], list("abcd"), torch.device("cpu"), torch.device("cpu")
    )
    assert source.is_grayscale()
    gray[2, 3, 3] = (10, 20, 30)
    source = CachedSource(
        gray, [0, 1, 0, 1], list("abcd"), torch.device("cpu"), torch.device("cpu")
    )
    assert not source.is_grayscale()
