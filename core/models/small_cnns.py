"""Loupe's own small CNNs for small images (CIFAR/MNIST-sized); both work at any input size."""

from __future__ import annotations

import torch
from torch import nn


class SimpleCNN(nn.Module):
    """The network of PyTorch's classic CIFAR-10 tutorial (two 5x5 convs, three linear layers),
    exactly so at its 32 px. An adaptive pool before the linear layers (a no-op at 32 px)
    makes it accept other sizes from 16 px up. `first_padding=2` is the variant that model
    files of format 1 were trained with (same tensors, other outputs: see checkpoints)."""

    def __init__(self, num_classes: int = 10, first_padding: int = 0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, 5, padding=first_padding),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d((5, 5)),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


# Small datasets give few steps per epoch: with PyTorch's default momentum (0.1) the running
# statistics used for validation still mostly hold their initial values after the first
# epochs, and validation accuracy lags far behind training. A higher momentum (as in the fast
# CIFAR-10 training records) makes them follow the data within a few steps.
BN_MOMENTUM = 0.4


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)


def _conv_bn(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), _bn(c_out), nn.GELU()]


class _Stage(nn.Module):
    """conv -> maxpool -> BN/GELU, then a residual pair of convs (as in the fast CIFAR-10
    training records: most compute at low resolution, pooling instead of strided convs)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.MaxPool2d(2),
            _bn(c_out),
            nn.GELU(),
        )
        self.residual = nn.Sequential(*_conv_bn(c_out, c_out), *_conv_bn(c_out, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(x)
        return x + self.residual(x)


SLIM_WIDTHS = (16, 64, 128)  # loupe_net_slim: the first stage at half width


class LoupeNet(nn.Module):
    """A small, fast ResNet-style CNN: ~0.6 M parameters at the default widths. Downsamples
    three times; larger inputs get a strided stem so compute stays bounded."""

    def __init__(self, num_classes: int = 10, widths: tuple[int, int, int] = (32, 64, 128)) -> None:
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn(3, widths[0]))
        self.stages = nn.Sequential(
            _Stage(widths[0], widths[0]),
            _Stage(widths[0], widths[1]),
            _Stage(widths[1], widths[2]),
        )
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(widths[2], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > 96:
            # Big inputs: shrink early so a CPU run stays affordable.
            x = nn.functional.avg_pool2d(x, kernel_size=x.shape[-1] // 64)
        x = self.stages(self.stem(x))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))
