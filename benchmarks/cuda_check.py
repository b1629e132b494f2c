"""The one-shot check of Loupe's CUDA paths (issue 14), for a machine with an NVIDIA GPU.

    .venv/bin/python benchmarks/cuda_check.py            # a few minutes on one GPU
    .venv/bin/python benchmarks/cuda_check.py --quick    # smaller data, about half the time
    .venv/bin/python benchmarks/cuda_check.py --only precision,oom

The test suite runs on the CPU, so this script is where the GPU paths prove themselves. Each
check runs the real engine (core.train.loop.fit, the GUI's job runner for the multi-GPU
run) and prints one line: "ok" or "FAIL", its name and its figure.
  precision   fp16 + GradScaler, bf16 and fp32 each through fit() and a resume, accuracy
              above chance; "auto" picks bf16 exactly when the compute capability is >= 8
  data        GPU cache, RAM cache (forced) and streaming, asserting where the images and
              labels really are
  sync        torch.cuda.set_sync_debug_mode("warn") during training and validation: host
              syncs per step and per validation batch (after the first epoch)
  oom         a real out-of-memory run (huge batch), then memory_allocated() == 0 and a
              second run in the same process that still gets the GPU cache
  multi_gpu   (more than one GPU) training on cuda:1 creates no context on GPU 0; a
              streaming run through the GUI's job runner on a QThread, on cuda:1
  speed       images/s of fit() against the pure model step (AMP + channels_last), and of
              classification against the pure forward pass

Exit status: 0 all checks passed, 1 a check failed, 3 no CUDA GPU (nothing checked)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from benchmarks.cuda_check_runs import (  # noqa: E402
    SyncCounter,
    memory_report,
    pure_forward_speed,
    pure_step_speed,
    train,
)

EXIT_FAILED = 1
EXIT_NO_GPU = 3
CHECKS = ("precision", "data", "sync", "oom", "multi_gpu", "speed")
MAX_SYNCS_PER_STEP = 0.25  # reports (every 0.25 s) and epoch ends only: far below one a step
MAX_SYNCS_PER_VAL_BATCH = 1.0  # the epoch's one read-back spread over its batches
MIN_FIT_SHARE = 0.5  # of the pure model step's images/s, with the cache on the GPU


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="One-shot check of Loupe's CUDA paths (needs an NVIDIA GPU).",
        epilog="Exit status: 0 passed, 1 a check failed, 3 no CUDA GPU (skipped).",
    )
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer epochs")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(CHECKS)}")
    parser.add_argument("--root", default="", help="folder for data and runs (default: a temp one)")
    parser.add_argument("--child", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    chosen = [c for c in args.only.split(",") if c]
    unknown = sorted(set(chosen) - set(CHECKS))
    if unknown:
        parser.error(f"unknown check(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    args.checks = chosen or list(CHECKS)
    return args


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def run(self, name: str, check: Callable[[], str]) -> None:
        t0 = time.perf_counter()
        try:
            figure = check()
        except Exception as exc:  # one line per check, then the next one
            self.failures += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(
                f"FAIL  {name}: {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})",
                flush=True,
            )
            return
        print(f"ok    {name}: {figure} ({time.perf_counter() - t0:.0f} s)", flush=True)


def _dataset(root: Path, name: str, per_class: int, size: int, ext: str = ".png") -> str:
    from tests.core.image_factory import make_shapes_dataset

    folder = root / name
    if not folder.is_dir():
        make_shapes_dataset(folder, per_class=per_class, size=size, seed=3, ext=ext)
    return str(folder)


def _accuracy_above_chance(result, classes: int = 3) -> float:
    acc = result.finished.best_val_acc or 0.0
    assert acc > 1 / classes + 0.25, f"validation accuracy {acc:.1%} is near chance"
    return acc


# -- precision ---------------------------------------------------------------------------------
def _auto_precision() -> str:
    """What "auto" must choose on GPU 0: bf16 exactly from compute capability 8.0 (Ampere)."""
    import torch

    return "bf16" if torch.cuda.get_device_capability(0)[0] >= 8 else "fp16"


def check_auto_precision() -> str:
    import torch

    from core.device import choose_precision

    dev = torch.device("cuda", 0)
    major, minor = torch.cuda.get_device_capability(dev)
    label = choose_precision(dev, "auto").label
    assert label == _auto_precision(), f"auto chose {label} at capability {major}.{minor}"
    return f"capability {major}.{minor}: auto chooses {label}"


def check_precision(data: str, out: Path, label: str, epochs: int) -> str:
    import torch

    from core.device import Precision

    forced = {
        "fp16": Precision(True, torch.float16, True),
        "bf16": Precision(True, torch.bfloat16, False),
        "fp32": None,
    }[label]
    setting = "off" if forced is None else "auto"
    first = train(data, out, precision=forced, epochs=epochs, mixed_precision=setting)
    assert first.info["precision"] == label, first.info
    assert first.info["scaler"] == (label == "fp16"), first.info
    acc = _accuracy_above_chance(first)
    again = train(
        data, out, precision=forced, epochs=epochs + 1, mixed_precision=setting, resume=True
    )
    assert again.finished.epochs_completed == epochs + 1, again.finished
    acc2 = _accuracy_above_chance(again)
    return f"val acc {acc:.1%}, after resume {acc2:.1%}, {first.speed:,.0f} img/s"


# -- data paths --------------------------------------------------------------------------------
def check_data_path(data: str, out: Path, path: str) -> str:
    overrides = {
        "gpu cache": {},
        "ram cache": {"ram_cache": True},
        "streaming": {"cache_memory_mb": 0, "num_workers": 4},
    }
    result = train(data, out, epochs=2, **overrides[path])
    info = result.info
    assert info["precision"] == _auto_precision(), info  # "auto", through the real fit()
    assert info["batch_device"] == "cuda", info  # what augmentation and the model receive
    assert info["labels_device"] == "cuda", info
    if path == "streaming":
        assert info["mode"] == "stream" and info["pinned"], info
    else:
        expected = "cuda" if path == "gpu cache" else "cpu"
        assert info["mode"] == "cache" and info["storage"] == expected, info
        assert path == "gpu cache" or info["staging"], info  # batches via pinned buffers
    _accuracy_above_chance(result)
    return f"{info}, {result.speed:,.0f} img/s"


# -- sync points -------------------------------------------------------------------------------
def check_syncs(data: str, out: Path, trivial: bool) -> str:
    from core.train.config import AugmentConfig

    augment = AugmentConfig(rotation_degrees=10, color_jitter=0.3, trivial_augment=trivial)
    counter = SyncCounter()
    # Batch 16: enough validation batches (eval batch 32) to spread its one read-back over.
    result = train(data, out, epochs=3, batch_size=16, augment=augment, syncs=counter)
    per_step = counter.train / max(1, counter.steps)
    per_val = counter.val / max(1, counter.val_batches)
    figure = (
        f"{counter.train} syncs in {counter.steps} steps ({per_step:.2f}/step), "
        f"{counter.val} in {counter.val_batches} validation batches ({per_val:.2f}/batch), "
        f"{counter.epoch_end} at epoch ends; first: {counter.first_where or '-'}"
    )
    assert result.finished.status == "completed", result.finished.reason
    assert per_step <= MAX_SYNCS_PER_STEP, figure
    assert per_val <= MAX_SYNCS_PER_VAL_BATCH, figure
    return figure


# -- out of memory -----------------------------------------------------------------------------
def check_oom(big: str, small: str, out: Path) -> str:
    import torch

    # ResNet-50 at 512 px wants some 300 MB of activations per image: 800 at once is more
    # than any single GPU has, while the cache (under 1 GB) fits on it.
    result = train(
        big,
        out / "oom",
        epochs=1,
        batch_size=800,
        arch="resnet50",
        image_size=512,
        pretrained=False,
        prediction_samples=0,
    )
    logs = " ".join(result.logs)
    assert result.info["storage"] == "cuda", result.info
    assert "moved the cache to RAM" in logs, "no retry with the cache in RAM"
    reason = result.finished.reason
    failed_with_advice = result.finished.status == "failed" and "out of memory" in reason.lower()
    recovered = result.finished.status == "completed"  # only a smaller batch can have done it
    assert failed_with_advice or recovered, reason
    allocated = torch.cuda.memory_allocated()
    assert allocated == 0, f"{allocated:,} bytes still allocated after the run ({memory_report()})"
    second = train(small, out / "after-oom", epochs=1)
    assert second.info["storage"] == "cuda", f"the next run lost the GPU cache: {second.info}"
    return f"{result.finished.reason[:90]}; then 0 bytes allocated, next run cached on the GPU"


# -- several GPUs (in a fresh process: GPU 0 must not be touched before) -------------------------
def check_multi_gpu(data: str, out: Path) -> str:
    child = subprocess.run(
        [sys.executable, __file__, "--child", data, str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in child.stdout.splitlines() if line.strip()]
    error = (child.stderr.strip().splitlines() or ["no output"])[-1]  # the assertion's line
    assert child.returncode == 0, f"{'; '.join(lines)}; {error}"
    return "; ".join(lines)


def run_child(data: str, out: str) -> int:
    """Train on cuda:1 here, then stream on cuda:1 through the GUI's job runner."""
    import torch
    from PySide6.QtCore import QCoreApplication

    from gui.jobs import JobEnded, JobRunner
    from gui.train.train_job import training_job

    dev = torch.device("cuda", 1)
    direct = train(data, Path(out) / "cuda1", epochs=2, device="cuda:1")
    assert direct.info["storage_device"] == "cuda:1", direct.info
    assert not torch._C._cuda_hasPrimaryContext(0), "training on cuda:1 created a context on GPU 0"
    print(f"cuda:1 direct: val acc {direct.finished.best_val_acc:.1%}, no context on GPU 0")
    app = QCoreApplication.instance() or QCoreApplication([])
    runner, events = JobRunner(name="train"), []
    runner.event.connect(events.append)
    cfg = direct.cfg_for(
        Path(out) / "cuda1-stream", device="cuda:1", cache_memory_mb=0, num_workers=2
    )
    runner.start(training_job(cfg), stop_at_yield=False)
    deadline = time.monotonic() + 600
    while not any(isinstance(e, JobEnded) for e in events) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    finished = [e for e in events if type(e).__name__ == "RunFinished"]
    assert finished and finished[-1].status == "completed", finished[-1:] or "no RunFinished"
    assert not torch._C._cuda_hasPrimaryContext(0), "the QThread run created a context on GPU 0"
    print(
        f"cuda:1 streaming on a QThread: val acc {finished[-1].best_val_acc:.1%}, no context on GPU 0 ({dev})"
    )
    return 0


# -- speed -------------------------------------------------------------------------------------
def check_speed(photos: str, out: Path, epochs: int) -> str:
    from core.infer.inference import classify_folder, load_model_for_inference
    from core.infer.results import ClassifiedImage

    batch, size = 128, 128
    result = train(
        photos,
        out / "speed",
        epochs=epochs,
        batch_size=batch,
        arch="resnet18",
        image_size=size,
        pretrained=False,
    )
    pure = pure_step_speed("resnet18", 3, batch, size, result.info["precision"])
    share = result.speed / pure
    lm = load_model_for_inference(str(out / "speed"), "cuda")
    t0 = time.perf_counter()
    n = sum(isinstance(r, ClassifiedImage) for r in classify_folder(lm, photos, batch_size=256))
    classify_speed = n / (time.perf_counter() - t0)
    forward = pure_forward_speed(lm, 256)
    figure = (
        f"fit {result.speed:,.0f} img/s = {share:.0%} of the pure step ({pure:,.0f}); "
        f"classify {classify_speed:,.0f} img/s = {classify_speed / forward:.0%} of the pure "
        f"forward ({forward:,.0f}; JPEG decoding on the CPU bounds it)"
    )
    assert share >= MIN_FIT_SHARE, figure
    return figure


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if args.child:
        return run_child(*args.child)
    if not torch.cuda.is_available():
        print("no CUDA GPU: skipped (this check needs an NVIDIA GPU; exit status 3)")
        return EXIT_NO_GPU
    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    print(
        f"GPUs: {', '.join(names)}; torch {torch.__version__}, CUDA {torch.version.cuda}",
        flush=True,
    )
    report = Report()
    quick = args.quick
    with tempfile.TemporaryDirectory(prefix="loupe-cuda-") as tmp:
        root = Path(args.root or tmp)
        small = _dataset(root, "small", 300 if quick else 800, 32)
        out = root / "runs"
        epochs = 2 if quick else 3
        if "precision" in args.checks:
            report.run("precision auto", check_auto_precision)
            for label in ("fp16", "bf16", "fp32"):
                if label == "bf16" and not torch.cuda.is_bf16_supported():
                    print("skip  precision bf16: this GPU has no bf16 at all")
                    continue
                report.run(
                    f"precision {label} + resume",
                    lambda la=label: check_precision(small, out / f"p-{la}", la, epochs),
                )
        if "data" in args.checks:
            for path in ("gpu cache", "ram cache", "streaming"):
                report.run(
                    f"data {path}", lambda p=path: check_data_path(small, out / f"d-{p[:3]}", p)
                )
        if "sync" in args.checks:
            report.run("sync points", lambda: check_syncs(small, out / "sync", trivial=False))
            report.run(
                "sync points, TrivialAugment",
                lambda: check_syncs(small, out / "sync-ta", trivial=True),
            )
        if "oom" in args.checks:
            big = _dataset(root, "big", 330, 32)
            report.run("out of memory", lambda: check_oom(big, small, out))
        if "multi_gpu" in args.checks:
            if torch.cuda.device_count() > 1:
                report.run("multi-GPU (cuda:1)", lambda: check_multi_gpu(small, out))
            else:
                print("skip  multi-GPU: one GPU")
        if "speed" in args.checks:
            photos = _dataset(root, "photos", 400 if quick else 1000, 160, ".jpg")
            report.run("speed", lambda: check_speed(photos, out, epochs + 1))
    print("cuda check passed" if not report.failures else f"cuda check FAILED ({report.failures})")
    return EXIT_FAILED if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
