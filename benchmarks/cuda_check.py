"""One prepared check of Loupe's CUDA paths, for a machine with an NVIDIA GPU.

    .venv/bin/python benchmarks/cuda_check.py            # about 2-4 minutes

The test suite runs on the CPU (CI has no GPU), so this script exercises what only a GPU
reaches: the uint8 cache stored on the GPU, batched augmentation there, bf16/fp16 autocast
(fp16 with a GradScaler), channels_last + cudnn.benchmark, the streaming DataLoader with
pinned memory and GPU inference (the out-of-memory message is unit-tested on the CPU). It prints one line per check
and throughput figures, and exits non-zero when a check fails."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _dataset(root: Path, per_class: int, size: int) -> str:
    from tests.core.image_factory import make_shapes_dataset

    return str(make_shapes_dataset(root, per_class=per_class, size=size, seed=3, ext=".jpg"))


def _train(data: str, out: str, **overrides):
    from core.events import RunStarted, StepEnded
    from core.train.config import TrainConfig
    from core.train.loop import fit

    cfg = TrainConfig(data_dir=data, out_dir=out, device="cuda", **overrides)
    speeds, started, last = [], None, None
    for event in fit(cfg):
        if isinstance(event, RunStarted):
            started = event
        if isinstance(event, StepEnded) and event.epoch > 0:
            speeds.append(event.images_per_second)
        last = event
    assert last.status == "completed", last.reason
    speeds.sort()
    median = speeds[len(speeds) // 2] if speeds else 0.0
    return started, last, median


def main() -> int:
    import torch

    from core.train.config import AugmentConfig

    if not torch.cuda.is_available():
        print("no CUDA GPU visible: nothing to check")
        return 2
    print(
        f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
        f"bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}"
    )
    failures = 0
    with tempfile.TemporaryDirectory(prefix="loupe-cuda-") as tmp:
        tmp_path = Path(tmp)
        small = _dataset(tmp_path / "small", per_class=400, size=32)
        photos = _dataset(tmp_path / "photos", per_class=60, size=320)
        checks = [
            (
                "cache on GPU, bf16/auto, loupe_net 32 px",
                lambda: _train(small, str(tmp_path / "r1"), epochs=3, batch_size=256),
            ),
            (
                "streaming + pinned memory, resnet18 128 px",
                lambda: _train(
                    photos,
                    str(tmp_path / "r2"),
                    epochs=2,
                    batch_size=64,
                    arch="resnet18",
                    image_size=128,
                    cache_memory_mb=0,
                    num_workers=4,
                ),
            ),
            (
                "fp32 (mixed precision off), resnet18 128 px",
                lambda: _train(
                    photos,
                    str(tmp_path / "r3"),
                    epochs=2,
                    batch_size=64,
                    arch="resnet18",
                    image_size=128,
                    mixed_precision="off",
                ),
            ),
            (
                "TrivialAugment + rotation + jitter on GPU batches",
                lambda: _train(
                    small,
                    str(tmp_path / "r4"),
                    epochs=2,
                    batch_size=256,
                    augment=AugmentConfig(
                        rotation_degrees=15, color_jitter=0.3, trivial_augment=True
                    ),
                ),
            ),
        ]
        for name, check in checks:
            t0 = time.perf_counter()
            try:
                started, finished, ips = check()
                print(
                    f"ok    {name}: {started.data_mode}, val acc {finished.best_val_acc:.1%}, "
                    f"{ips:,.0f} img/s ({time.perf_counter() - t0:.0f} s)"
                )
            except Exception as exc:  # report and go on: one line per check
                failures += 1
                print(f"FAIL  {name}: {type(exc).__name__}: {exc}")
        failures += _check_inference(tmp_path, small)
        failures += _check_fp16_scaler()
    print("cuda check passed" if not failures else f"cuda check FAILED ({failures})")
    return 1 if failures else 0


def _check_inference(tmp_path: Path, data: str) -> int:
    from core.infer.inference import classify_folder, load_model_for_inference
    from core.infer.results import ClassifiedImage

    try:
        lm = load_model_for_inference(str(tmp_path / "r1"), "cuda")
        t0 = time.perf_counter()
        n = sum(isinstance(r, ClassifiedImage) for r in classify_folder(lm, data, batch_size=256))
        print(
            f"ok    GPU inference: {n} images, {n / (time.perf_counter() - t0):,.0f} img/s "
            f"({lm.precision.label})"
        )
        return 0
    except Exception as exc:
        print(f"FAIL  GPU inference: {type(exc).__name__}: {exc}")
        return 1


def _check_fp16_scaler() -> int:
    """GPUs without bf16 take fp16 with a GradScaler: run that path explicitly."""
    import torch

    from core.device import Precision
    from core.models.registry import build_model

    try:
        model = build_model("loupe_net", 3).cuda().to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.amp.GradScaler("cuda")
        precision = Precision(True, torch.float16, True)
        x = torch.randn(32, 3, 32, 32, device="cuda").contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 3, (32,), device="cuda")
        for _ in range(3):
            with torch.autocast("cuda", dtype=precision.dtype):
                loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        assert torch.isfinite(loss).item()
        print(f"ok    fp16 + GradScaler step (loss {loss.item():.3f})")
        return 0
    except Exception as exc:
        print(f"FAIL  fp16 + GradScaler: {type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
