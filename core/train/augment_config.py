"""The settings of training-time augmentation: what each batch's random warp and colour
changes may do. Plain Python, no torch (the window reads the fields' settings at start-up);
core.data.augment applies them, core.train.defaults adapts them to small images."""

from __future__ import annotations

from dataclasses import dataclass

from core.train.settings import setting


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation, applied in batches on tensors (on the GPU when there is one)."""

    hflip: bool = setting(
        True,
        "Mirror left-right",
        "Randomly mirror images left-right. Right for most photos; wrong when direction "
        "matters (text, arrows).",
        flag="--hflip",
    )
    vflip: bool = setting(
        False,
        "Flip upside down",
        "Randomly turn images upside down. Only for pictures without an up, such as "
        "microscope slides or satellite images.",
        flag="--vflip",
    )
    random_resized_crop: bool = setting(
        True,
        "Random crops",
        "Train on random zoomed-in parts of each image, so the model does not depend on "
        "exact position and scale.",
        flag="--random-crop",
    )
    crop_scale_min: float = setting(
        0.35,
        "Crop keeps at least",
        "Random crops keep at least this share of the image area (0.35 = 35 %).",
        minimum=0.05,
        maximum=1.0,
    )
    rotation_degrees: float = setting(
        0.0,
        "Rotation",
        "Randomly rotate images by up to this many degrees either way.",
        flag="--rotation",
        minimum=0,
        maximum=180,
        unit="degrees",
    )
    color_jitter: float = setting(
        0.0,
        "Colour jitter",
        "Randomly change brightness, contrast and saturation (0 = off, 1 = strong). Helps "
        "when lighting varies.",
        minimum=0.0,
        maximum=1.0,
    )
    trivial_augment: bool = setting(
        False,
        "TrivialAugment",
        "Apply one random strong change per image (TrivialAugment). Often more accurate for "
        "long runs; slower, because it runs on the CPU.",
    )
    adapt: bool = setting(
        True,
        "Adapt to small images",
        "For images of at most 64 px: crops keep at least 75 % of the image (a 28 px digit "
        "cropped to a third is no longer a digit), and grayscale images are not mirrored "
        "(digits and letters change meaning when mirrored).",
        flag="--adapt-augment",
        in_window=False,
    )
