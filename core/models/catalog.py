"""The architectures Loupe offers first, with their one-line descriptions. Torch-free, so the
window can list them at start-up, before torch has loaded (core.models.registry builds them)."""

from __future__ import annotations

LOUPE_ARCHITECTURES: dict[str, str] = {
    "loupe_net": "Loupe's small, fast ResNet-style CNN for small images (default up to 64 px)",
    "loupe_net_slim": "loupe_net with a narrow first stage (16 channels, not 32): ~40 % less "
    "compute, as accurate on small sets of images up to 32 px (auto's choice there)",
    "simple_cnn": "The small CNN of PyTorch's CIFAR-10 tutorial: a baseline, 16 px and up",
    "efficientnet_lite0": "EfficientNet-Lite0: ImageNet weights bundled (offline), fine-tunes "
    "photos quickly on a CPU",
}

# Weights states with which "Start from ImageNet weights" works (see registry.weights_status).
USABLE_WEIGHTS: tuple[str, ...] = ("bundled", "cached", "downloadable")

# One-line descriptions for the models the GUI offers first; every other torchvision
# classification model is still available by name (`models --all`).
FEATURED: dict[str, str] = {
    "resnet18": "ResNet-18: a sturdy all-rounder, fast to fine-tune",
    "resnet34": "ResNet-34: deeper ResNet, a little more accurate, 2x the compute of ResNet-18",
    "resnet50": "ResNet-50: the classic strong baseline for photos (GPU recommended)",
    "mobilenet_v3_small": "MobileNetV3-Small: tiny and very fast, good on a CPU",
    "mobilenet_v3_large": "MobileNetV3-Large: fast and accurate for its size, good on a CPU",
    "efficientnet_b0": "EfficientNet-B0: high accuracy per compute at 224 px",
    "efficientnet_b2": "EfficientNet-B2: more accurate EfficientNet, likes 260-288 px",
    "convnext_tiny": "ConvNeXt-Tiny: modern CNN, top accuracy for fine-tuning (GPU)",
    "regnet_y_400mf": "RegNetY-400MF: light and efficient, good speed/accuracy balance",
    "vit_b_16": "ViT-B/16: Vision Transformer, needs 224 px and a GPU; best with pretraining",
}
