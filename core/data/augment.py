"""Batched augmentation on uint8 image tensors, on whatever device the batch lives on.

One affine warp per image does random-resized-crop, flips and rotation together
(a single grid_sample for the whole batch), then per-image colour jitter and
normalisation: far faster than per-image PIL transforms, and it runs on the GPU."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from core.train.config import AugmentConfig

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_device(t: torch.Tensor, device) -> torch.Tensor:
    """A small CPU tensor to `device` without a sync point: a plain copy from pageable memory
    makes the CPU wait for the GPU's queue every step; a pinned, non-blocking one does not."""
    device = torch.device(device)
    if t.device == device:
        return t
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


@functools.cache
def _stats(mean: tuple, std: tuple, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1).to(device)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1).to(device)
    return m, s


def forget_device_constants() -> None:
    """Drop the normalisation constants kept per device (a finished run frees its GPU)."""
    _stats.cache_clear()


def normalize(x: torch.Tensor, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> torch.Tensor:
    """uint8 (B,3,H,W) -> float, normalised, channels_last."""
    m, s = _stats(tuple(mean), tuple(std), x.device)  # made once per device, not per step
    if x.dtype == torch.uint8:
        x = x.float().div_(255.0)
    out = (x - m) / s
    return out.contiguous(memory_format=torch.channels_last)


def _uniform(n: int, lo: float, hi: float, gen: torch.Generator, device) -> torch.Tensor:
    return to_device(torch.rand(n, generator=gen).mul_(hi - lo).add_(lo), device)


def _affine_params(n: int, cfg: AugmentConfig, gen: torch.Generator, device) -> torch.Tensor:
    """Per-image 2x3 matrices mapping output coordinates to input coordinates in [-1, 1]."""
    if cfg.random_resized_crop:
        area = _uniform(n, cfg.crop_scale_min, 1.0, gen, "cpu")
        log_ratio = _uniform(n, math.log(3 / 4), math.log(4 / 3), gen, "cpu")
        ratio = torch.exp(log_ratio)
        sx = torch.sqrt(area * ratio).clamp(max=1.0)
        sy = torch.sqrt(area / ratio).clamp(max=1.0)
        tx = (torch.rand(n, generator=gen) * 2 - 1) * (1 - sx)
        ty = (torch.rand(n, generator=gen) * 2 - 1) * (1 - sy)
    else:
        sx = sy = torch.ones(n)
        tx = ty = torch.zeros(n)
    if cfg.hflip:
        sx = sx * torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    if cfg.vflip:
        sy = sy * torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    angle = _uniform(n, -cfg.rotation_degrees, cfg.rotation_degrees, gen, "cpu") * (math.pi / 180)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([sx * cos, -sy * sin, tx], 1), torch.stack([sx * sin, sy * cos, ty], 1)], 1
    )
    return to_device(theta, device)


def _needs_warp(cfg: AugmentConfig) -> bool:
    return cfg.random_resized_crop or cfg.hflip or cfg.vflip or cfg.rotation_degrees > 0


def _trivial_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """TrivialAugmentWide per image (its ops differ per image, so this one runs image by image),
    on the device the batch is on: a round trip through the CPU would wait for the GPU."""
    from torchvision.transforms import v2

    op = v2.TrivialAugmentWide()
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    # TrivialAugment draws its choices from the global CPU generator: seed it from `gen` (runs
    # stay reproducible) and give the caller's state back. Only the CPU generator: reseeding
    # every CUDA generator (torch.manual_seed) each step would touch every GPU.
    devices = [x.device] if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        return torch.stack([op(img) for img in x])


def _color_jitter(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    shape = (n, 1, 1, 1)
    b = _uniform(n, 1 - strength, 1 + strength, gen, x.device).view(shape)
    c = _uniform(n, 1 - strength, 1 + strength, gen, x.device).view(shape)
    s = _uniform(n, 1 - strength, 1 + strength, gen, x.device).view(shape)
    x = x * b
    gray = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    x = (x - gray.mean(dim=(2, 3), keepdim=True)) * c + gray.mean(dim=(2, 3), keepdim=True)
    gray = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    x = (x - gray) * s + gray
    return x.clamp_(0.0, 1.0)


def augment_batch(
    x: torch.Tensor,
    cfg: AugmentConfig,
    gen: torch.Generator,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
) -> torch.Tensor:
    """uint8 (B,3,H,W) on any device -> augmented, normalised float batch (channels_last).
    `gen` is a CPU generator: the random parameters are drawn there, the pixels stay put."""
    if cfg.trivial_augment:
        x = _trivial_augment(x, gen)
    x = x.float().div_(255.0)
    if _needs_warp(cfg):
        theta = _affine_params(x.shape[0], cfg, gen, x.device)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if cfg.color_jitter > 0:
        x = _color_jitter(x, cfg.color_jitter, gen)
    return normalize(x, mean, std)
