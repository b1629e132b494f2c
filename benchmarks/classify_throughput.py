"""How fast does Loupe classify a folder of photos, and does memory stay flat?

Compares, on the same model, device and photos:
  (a) Loupe: core.infer.inference.classify_folder (parallel decode with JPEG draft, batched inference)
  (b) a naive loop: PIL open + torchvision Resize/CenterCrop/ToTensor/Normalize, one image per
      forward pass (the same preprocessing as (a): shorter side to the model size, centre crop)
  (c) the model alone: forward passes on synthetic tensors at (a)'s batch size (the ceiling)
and measures peak memory (max RSS) of classify_folder over 1,000 and 10,000 small JPEGs
(640x480, model input 128 px by default to keep the run short), each in its own subprocess.

Photos are synthesised (smooth gradients + shapes + sensor-like noise, so JPEG sizes are like
a camera's: ~0.3-0.6 bytes/pixel) and cached under --cache-dir. The model is untrained
(build_model + save_model with a proper model.json): speed does not depend on the weights.

    python benchmarks/classify_throughput.py                  # ~3-5 min on 2 CPU cores
    python benchmarks/classify_throughput.py --photos 300 --memory-sizes 1000 10000 50000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLASSES = ["cats", "dogs", "birds", "cars", "flowers"]
ASPECTS = [(4, 3), (3, 2), (16, 9), (3, 4), (1, 1)]
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# -- photos ----------------------------------------------------------------------------------
def synth_photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A camera-like picture: a smooth two-colour gradient, a few soft shapes, fine noise."""
    low_w, low_h = max(2, width // 64), max(2, height // 64)
    base = rng.uniform(30, 225, size=(low_h, low_w, 3)).astype(np.float32)
    # Smooth illumination: a tiny random image upscaled bilinearly (cheap at 12 MP).
    img = Image.fromarray(base.astype(np.uint8), "RGB").resize(
        (width, height), Image.Resampling.BILINEAR
    )
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(4, 10))):
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.05, 0.3) * min(width, height)
        fill = tuple(int(v) for v in rng.integers(0, 256, size=3))
        box = (x0 - r, y0 - r * rng.uniform(0.5, 1.5), x0 + r, y0 + r)
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    pixels = np.asarray(img, dtype=np.int16)
    # Sensor noise and texture: what makes real photos 0.3-0.6 bytes/pixel as JPEG.
    noise = rng.integers(-14, 15, size=(height, width, 1), dtype=np.int16)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def make_photos(
    folder: Path, count: int, min_mp: float, max_mp: float, seed: int = 0
) -> list[Path]:
    """`count` JPEGs between min_mp and max_mp megapixels (random mix), cached on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        mp = rng.uniform(min_mp, max_mp)
        aw, ah = ASPECTS[int(rng.integers(len(ASPECTS)))]
        height = int((mp * 1e6 * ah / aw) ** 0.5)
        width = int(height * aw / ah)
        path = folder / CLASSES[i % len(CLASSES)] / f"IMG_{i:05d}.jpg"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            synth_photo(rng, width, height).save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def make_small_jpegs(folder: Path, count: int, size: tuple[int, int] = (640, 480)) -> None:
    """`count` small JPEGs: 100 distinct pictures written under distinct names (the content
    repeats; for a memory measurement only the file count and sizes matter)."""
    marker = folder / f".complete-{count}"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    blobs = []
    for _ in range(100):
        tmp = folder / ".tmp.jpg"
        synth_photo(rng, *size).save(tmp, "JPEG", quality=90)
        blobs.append(tmp.read_bytes())
    tmp.unlink()
    for i in range(count):
        sub = folder / f"batch{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"img_{i:06d}.jpg").write_bytes(blobs[i % len(blobs)])
    marker.touch()


# -- model -------------------------------------------------------------------------------------
def make_model(folder: Path, arch: str, image_size: int) -> Path:
    from core.models.checkpoints import save_model
    from core.models.registry import build_model

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "model.json").exists():
        model = build_model(arch, num_classes=len(CLASSES)).eval()
        meta = dict(
            arch=arch,
            num_classes=len(CLASSES),
            class_names=CLASSES,
            image_size=image_size,
            resize_mode="crop",
            normalization=dict(mean=list(MEAN), std=list(STD)),
            best=dict(epoch=None, val_acc=None, val_loss=None),
        )
        save_model(model, str(folder), meta)
    return folder


# -- measurements ------------------------------------------------------------------------------
def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_loupe(lm, folder: Path, batch_size: int) -> tuple[float, int]:
    from core.infer.inference import classify_folder
    from core.infer.results import ClassifiedImage

    started = time.perf_counter()
    n = sum(
        isinstance(r, ClassifiedImage)
        for r in classify_folder(lm, str(folder), batch_size=batch_size)
    )
    return time.perf_counter() - started, n


def time_naive(lm, paths: list[Path]) -> tuple[float, int]:
    import torch
    from torchvision import transforms

    size = lm.image_size
    transform = transforms.Compose(
        [
            transforms.Resize(size),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]
    )
    started = time.perf_counter()
    with torch.no_grad():
        for path in paths:
            x = transform(Image.open(path).convert("RGB")).unsqueeze(0).to(lm.device)
            probs = torch.softmax(lm.model(x), dim=1)
            probs.argmax().item()  # the result is read: one sync per image, like a real loop
    return time.perf_counter() - started, len(paths)


def time_forward(lm, batch_size: int, batches: int) -> float:
    import torch

    from core.train.evaluation import autocast

    x = torch.randn(batch_size, 3, lm.image_size, lm.image_size, device=lm.device)
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), autocast(lm.device, lm.precision):
        lm.model(x)  # warm-up (cuDNN autotune, allocator)
        sync(lm.device)
        started = time.perf_counter()
        for _ in range(batches):
            lm.model(x)
        sync(lm.device)
    return batch_size * batches / (time.perf_counter() - started)


def rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_run(model_dir: str, folder: str, device: str, batch_size: int) -> None:
    """Subprocess body: load, classify `folder`, print peak RSS as JSON."""
    from core.infer.inference import classify_folder, load_model_for_inference
    from core.infer.results import ClassifiedImage

    lm = load_model_for_inference(model_dir, device)
    baseline = rss_now_mb()
    started = time.perf_counter()
    n = sum(
        isinstance(r, ClassifiedImage) for r in classify_folder(lm, folder, batch_size=batch_size)
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps(dict(images=n, seconds=seconds, baseline_mb=baseline, peak_mb=peak)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=40, help="photos for the throughput runs")
    parser.add_argument("--min-mp", type=float, default=1.0)
    parser.add_argument("--max-mp", type=float, default=12.0)
    parser.add_argument(
        "--naive-photos", type=int, default=0, help="photos for (b); 0 = same as --photos"
    )
    parser.add_argument("--arch", default="mobilenet_v3_small")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument(
        "--memory-image-size",
        type=int,
        default=128,
        help="model input size for the memory runs (smaller = faster; memory stays flat either "
        "way); 0 = --image-size",
    )
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "loupe-bench"))
    parser.add_argument(
        "--memory-run", nargs=2, metavar=("MODEL", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_run:
        memory_run(args.memory_run[0], args.memory_run[1], args.device, args.batch_size)
        return

    cache = Path(args.cache_dir)
    t0 = time.perf_counter()
    photos_dir = cache / f"photos-v2-{args.min_mp:g}-{args.max_mp:g}mp"
    paths = make_photos(photos_dir, args.photos, args.min_mp, args.max_mp)
    # The folder may hold more photos from an earlier, bigger run: classify exactly these.
    run_dir = cache / f"run-v2-{args.min_mp:g}-{args.max_mp:g}mp-{args.photos}"
    if not run_dir.exists():
        for p in paths:
            target = run_dir / p.parent.name / p.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(p, target)
    sizes = [Image.open(p).size for p in paths]
    mp = [w * h / 1e6 for w, h in sizes]
    mb = [p.stat().st_size / 2**20 for p in paths]
    print(
        f"photos: {len(paths)} JPEGs, {min(mp):.1f}-{max(mp):.1f} MP (mean {np.mean(mp):.1f}), "
        f"{np.mean(mb):.2f} MB each on average ({sum(mb) / sum(mp):.2f} bytes/pixel); "
        f"ready in {time.perf_counter() - t0:.0f} s"
    )

    import torch

    from core.infer.inference import load_model_for_inference

    model_dir = make_model(
        cache / f"model-{args.arch}-{args.image_size}", args.arch, args.image_size
    )
    lm = load_model_for_inference(str(model_dir), args.device)
    print(
        f"model: {args.arch} at {args.image_size} px on {lm.device} "
        f"(torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs), "
        f"batch {args.batch_size}"
    )
    from core.infer.inference import classify_paths

    list(classify_paths(lm, [str(p) for p in paths[:2]]))  # warm-up: pool, allocator, cuDNN
    seconds_a, n_a = time_loupe(lm, run_dir, args.batch_size)
    naive_paths = paths[: args.naive_photos or len(paths)]
    time_naive(lm, naive_paths[:2])  # warm-up
    seconds_b, n_b = time_naive(lm, naive_paths)
    batches = max(3, min(50, int(4 * n_a / seconds_a / args.batch_size)))  # ~4 s of work
    forward = time_forward(lm, args.batch_size, batches)
    a, b = n_a / seconds_a, n_b / seconds_b
    print(f"(a) Loupe classify_folder : {a:8.1f} images/s  ({n_a} images in {seconds_a:.1f} s)")
    print(f"(b) naive per-image loop  : {b:8.1f} images/s  ({n_b} images in {seconds_b:.1f} s)")
    print(
        f"(c) model forward only    : {forward:8.1f} images/s  (synthetic batches of {args.batch_size})"
    )
    print(
        f"ratios: a/b = {a / b:.2f}x faster than naive; a/c = {a / forward:.0%} of the model-only ceiling"
    )

    memory_size = args.memory_image_size or args.image_size
    memory_model = model_dir
    if args.memory_sizes and memory_size != args.image_size:
        memory_model = make_model(
            cache / f"model-{args.arch}-{memory_size}", args.arch, memory_size
        )
    if args.memory_sizes:
        print(f"memory runs: {args.arch} at {memory_size} px, each in a fresh process")
    for count in args.memory_sizes:
        folder = cache / f"small-640x480-{count}"
        make_small_jpegs(folder, count)
        command = [sys.executable, __file__, "--memory-run", str(memory_model), str(folder)]
        command += ["--device", args.device, "--batch-size", str(args.batch_size)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"memory, {r['images']:>6,} JPEGs 640x480: peak RSS {r['peak_mb']:7.0f} MB "
            f"(after model load {r['baseline_mb']:.0f} MB; +{r['peak_mb'] - r['baseline_mb']:.0f} MB "
            f"while classifying; {r['images'] / r['seconds']:.0f} images/s)"
        )
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
