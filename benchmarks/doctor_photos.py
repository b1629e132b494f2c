"""How long `python main.py doctor` takes on photos: 2,000 photo-like JPEGs of realistic size
(core.data.demo_photos' five classes, drawn at their usual 96-160 px, then enlarged to 640x480
with sensor noise added after the enlargement, so the JPEGs carry photo-like detail and size),
with a few planted copies so the duplicate search has something to find. The doctor runs as a
user runs it, in a fresh process; its per-stage seconds come from doctor.json.

    python benchmarks/doctor_photos.py                     # 2,000 photos, ~3-8 min when loaded
    python benchmarks/doctor_photos.py --count 500 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from core.data.demo_photos import DEMO_CLASSES, demo_photo, hash_name  # noqa: E402

SIZE = (640, 480)
COPIES = 10  # exact re-saves and resized copies, each


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def photo(name: str, i: int) -> Image.Image:
    rng = np.random.default_rng([7, hash_name(name), i])
    small = demo_photo(name, rng).resize(SIZE, Image.Resampling.BICUBIC)
    arr = np.asarray(small, dtype=np.float32) + rng.normal(0, 4, (SIZE[1], SIZE[0], 3))
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def make(out: str, count: int) -> None:
    marker = os.path.join(out, ".doctor-photos.json")
    if os.path.isfile(marker):
        with open(marker, encoding="utf-8") as f:
            if json.load(f) == {"count": count}:
                return
    shutil.rmtree(out, ignore_errors=True)
    per_class = count // len(DEMO_CLASSES)
    for name in DEMO_CLASSES:
        os.makedirs(os.path.join(out, name))
        for i in range(per_class):
            photo(name, i).save(os.path.join(out, name, f"{i:04d}.jpg"), quality=90)
    first = DEMO_CLASSES[0]
    for i in range(COPIES):  # planted: an exact copy as PNG, a half-size JPEG copy
        img = Image.open(os.path.join(out, first, f"{i:04d}.jpg"))
        img.save(os.path.join(out, first, f"copy-{i:04d}.png"))
        img.resize((320, 240)).save(os.path.join(out, first, f"small-{i:04d}.jpg"), quality=85)
    with open(marker, "w", encoding="utf-8") as f:
        json.dump({"count": count}, f)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--threads", type=int, default=0, help="OMP/torch threads (0: default)")
    p.add_argument("--root", default="/tmp/loupe-bench/doctor-photos")
    args = p.parse_args(argv)
    data = os.path.join(args.root, f"photos-{args.count}")
    t0 = time.perf_counter()
    make(data, args.count)
    print(f"{args.count:,} photos of {SIZE[0]}x{SIZE[1]} (+{2 * COPIES} planted copies) ready "
          f"in {time.perf_counter() - t0:.0f} s; load {_load()}", flush=True)  # fmt: skip
    report = os.path.join(args.root, "report")
    shutil.rmtree(report, ignore_errors=True)
    env = dict(os.environ)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, os.path.join(REPO, "main.py"), "doctor", data, "--out", report],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return 1
    with open(os.path.join(report, "doctor.json"), encoding="utf-8") as f:
        found = json.load(f)
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in found["seconds"].items())
    print(f"doctor: {wall:.0f} s wall ({stages}); load {_load()}")
    print(f"found {len(found['exact_duplicates'])} exact and {len(found['near_duplicates'])} "
          f"near-duplicate groups, {len(found['label_issues'])} label issues")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
