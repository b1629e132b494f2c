"""The settings of learning from unlabelled images (semi-supervised training), and the checks
of the folder that can be made before a run folder exists. Plain Python, no torch: the window
imports this at start-up and checks the folder live (core.train.validation)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.train.settings import setting

# One process per GPU would each draw their own unlabelled batches, and the labelled-only twin is
# not shared between them: not built yet, so refused before anything starts (also under torchrun).
UNLABELLED_ON_ALL_GPUS = (
    "Unlabelled images (--unlabelled) cannot be used with 'All GPUs' yet: choose one GPU in "
    "Device (--device), or no unlabelled folder."
)


@dataclass(frozen=True)
class UnlabelledConfig:
    """FixMatch-style training: each step also takes `ratio` x batch unlabelled images; the
    model's answer on a lightly augmented copy becomes the label of a strongly augmented copy
    when its confidence reaches `threshold`; that loss counts `weight` times."""

    folder: str | None = setting(
        None,
        "Unlabelled images",
        "Also learn from unlabelled images: a folder of images without labels (any layout). "
        "The model's confident answers on them become extra training labels (FixMatch). "
        "Helps most with few labelled images per class. A labelled-only model trains "
        "alongside, so the run says whether the unlabelled images helped.",
        flag="--unlabelled",
    )
    threshold: float = setting(
        0.95,
        "Unlabelled confidence",
        "An unlabelled image is learnt from only when the model is at least this sure of its "
        "class (0.95 = 95 %; with label smoothing, relative to the most sure it can be). "
        "Lower: more images, more wrong labels.",
        flag="--unlabelled-threshold",
        minimum=0.5,
        maximum=1.0,
    )
    weight: float = setting(
        1.0,
        "Unlabelled weight",
        "How much the unlabelled images' loss counts against the labelled images' loss.",
        flag="--unlabelled-weight",
        minimum=0.0,
        maximum=10.0,
    )
    ratio: int = setting(
        4,
        "Unlabelled per labelled",
        "Unlabelled images per labelled image in each step (FixMatch's mu). More: more "
        "learning from unlabelled images per step, and slower steps.",
        flag="--unlabelled-ratio",
        minimum=1,
        maximum=16,
        in_window=False,
    )


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def has_image(folder: str) -> bool:
    """Whether any visible image file lies below `folder` (stops at the first one)."""
    from core.data.dataset_folders import is_hidden  # numpy and PIL: not at start-up
    from core.data.imaging import is_image_name

    for _current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_hidden(d)]
        if any(not is_hidden(name) and is_image_name(name) for name in files):
            return True
    return False


def unlabelled_problems(folder: str | None, data_dir: str, name: str) -> list[str]:
    """Why `folder` cannot serve as the unlabelled images of a run on `data_dir` ([] when it
    can, or when none is chosen). `name` is how messages name the setting."""
    if not folder:
        return []
    path = os.path.expanduser(folder)
    if not os.path.isdir(path):
        return [f"{name}: folder not found: {folder}"]
    overlap = _inside(path, data_dir) or _inside(data_dir, path)
    if data_dir and os.path.isdir(data_dir) and overlap:
        return [
            f"{name}: {folder} and the dataset folder {data_dir} overlap; choose a folder "
            "outside the dataset (its images have labels already)."
        ]
    if not has_image(path):
        from core.data.imaging import IMAGE_EXTENSIONS

        extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
        return [f"{name}: {folder} holds no images ({extensions})."]
    return []
