"""Which feature map Grad-CAM looks at, per architecture family.

The right layer is the last one that still has a spatial layout: late enough to carry
class-level meaning, early enough to say where. Families are recognised by their class
(torchvision's and Loupe's own; timm's EfficientNet family by its `conv_head`); anything
else gets the last module whose output is an (N, C, H, W) map, found by a probe pass."""

from __future__ import annotations

import torch
from torch import nn

from core.errors import LoupeError


def prepare_for_gradients(model: nn.Module) -> nn.Module:
    """In-place activations overwrite the very tensors Captum's hooks keep: switch them off
    (same results, a little more memory)."""
    for module in model.modules():
        if hasattr(module, "inplace") and isinstance(module.inplace, bool):
            module.inplace = False
    for parameter in model.parameters():
        parameter.requires_grad_(True)  # a frozen backbone still needs a gradient path
    return model


class _TokenGrid(nn.Module):
    """Wraps a ViT layer whose output is tokens (N, 1 + h*w, D): its patch tokens pass
    through `grid` as an (N, D, h, w) map (the layer Grad-CAM watches) and back."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.grid = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        n, length, d = y.shape
        side = int(round((length - 1) ** 0.5))
        if side * side != length - 1:
            raise LoupeError("Cannot lay this transformer's tokens out as a square grid.")
        patches = y[:, 1:].transpose(1, 2).reshape(n, d, side, side)
        patches = self.grid(patches)
        return torch.cat([y[:, :1], patches.flatten(2).transpose(1, 2)], dim=1)


def _family_layer(model: nn.Module) -> nn.Module | None:
    from core.models.small_cnns import LoupeNet, SimpleCNN

    kind = type(model).__name__
    if isinstance(model, LoupeNet):
        return model.stages
    if isinstance(model, SimpleCNN):
        return model.features[4]  # the ReLU after the second convolution
    if kind == "VisionTransformer":
        last = model.encoder.layers[-1]
        if not isinstance(last.ln_1, _TokenGrid):
            last.ln_1 = _TokenGrid(last.ln_1)
        return last.ln_1.grid
    by_attribute = {
        "ResNet": "layer4",  # also ResNeXt and Wide ResNet
        "RegNet": "trunk_output",
        "ShuffleNetV2": "conv5",
        "MNASNet": "layers",
        "SwinTransformer": "permute",  # features are (N, H, W, C); `permute` makes them NCHW
    }
    if kind in by_attribute:
        return getattr(model, by_attribute[kind])
    if kind == "MaxVit":
        return model.blocks[-1]  # a ModuleList: only its blocks are called
    if hasattr(model, "conv_head") and hasattr(model, "bn2"):  # timm EfficientNet(-Lite)
        return model.bn2
    # VGG, AlexNet, MobileNetV2/V3, torchvision EfficientNet, ConvNeXt, DenseNet
    features = getattr(model, "features", None)
    return features if isinstance(features, nn.Module) else None


def _probe_last_map(model: nn.Module, image_size: int) -> nn.Module | None:
    """The last module (in execution order) whose output is a 4-D map larger than 1x1."""
    found: list[nn.Module] = []
    hooks = []

    def record(module: nn.Module, _inputs, output) -> None:
        if isinstance(output, torch.Tensor) and output.dim() == 4 and min(output.shape[-2:]) > 1:
            found.append(module)

    for module in model.modules():
        if module is not model:
            hooks.append(module.register_forward_hook(record))
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(1, 3, image_size, image_size, device=device))
    finally:
        for hook in hooks:
            hook.remove()
    return found[-1] if found else None


def target_layer(model: nn.Module, image_size: int) -> nn.Module:
    layer = _family_layer(model) or _probe_last_map(model, image_size)
    if layer is None:
        raise LoupeError(f"Cannot explain a {type(model).__name__}: it has no spatial feature map.")
    return layer
