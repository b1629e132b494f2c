"""A run folder as training leaves it (model files, config.json, run.json), made in
milliseconds without training: for tests about what may and may not touch a run."""

from __future__ import annotations

import json
from pathlib import Path

META = dict(
    arch="loupe_net",
    num_classes=3,
    class_names=["circle", "square", "triangle"],
    image_size=32,
    resize_mode="crop",
    normalization=dict(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25]),
)


def make_run_folder(folder: Path, seed: int = 0) -> Path:
    import torch

    from core.models.checkpoints import save_model
    from core.models.registry import build_model

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(build_model("loupe_net", 3).eval(), str(folder), dict(META))
    (folder / "config.json").write_text(json.dumps({"data_dir": "/d", "out_dir": str(folder)}))
    (folder / "run.json").write_text(json.dumps({"status": "completed"}))
    return folder


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, except the run lock's (it names whoever last held the folder)."""
    from core.files.run_lock import LOCK_FILE

    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != LOCK_FILE
    }
