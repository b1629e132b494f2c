"""What does classifying in a process of its own cost the window's classification?

The window classifies in a separate process (core.infer.classify_process) so that decoding and
inference never hold its GIL. That process pays Python's start and a torch import when it is
cold; warm, it keeps its model. Same model, same photos, in one run:
  (a) in-process: core.infer.classify_run on this process's thread (what the window did before)
  (b) the classification process, cold: started for the run (torch imported, model loaded)
  (c) the same process again, warm: its model kept from (b)
  (d) a warm process with a newly chosen model (the process kept, the model loaded anew)
For each: time to the first result, time to the last one, and images per second over the run.

    python benchmarks/classify_process.py                   # ~1 min on 2 CPU cores
    python benchmarks/classify_process.py --images 3000 --arch simple_cnn --image-size 32
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(events: Iterator[object]) -> tuple[float, float, int, str]:
    """(s to the first result, s to the end, results, closing sentence) of a run's events."""
    from core.infer.classify_run import ResultsBatch

    started = time.perf_counter()
    first, count = float("nan"), 0
    while True:
        try:
            event = next(events)
        except StopIteration as end:
            return first, time.perf_counter() - started, count, str(end.value)
        if isinstance(event, ResultsBatch) and event.results:
            if count == 0:
                first = time.perf_counter() - started
            count += len(event.results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000, help="160x120 JPEGs to classify")
    parser.add_argument("--arch", default="simple_cnn")
    parser.add_argument("--image-size", type=int, default=32)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start (shared machines: figures move)")

    from benchmarks.classify_throughput import CLASSES, make_model
    from benchmarks.window_stalls import make_photos
    from core.control import RunControl
    from core.infer.classify_process import ClassifyProcess
    from core.infer.classify_run import ClassifyRequest, ModelKeeper, classify_run

    tmp = Path(tempfile.mkdtemp(prefix="loupe-bench-process-"))
    photos = str(make_photos(tmp / "photos", args.images))
    models = [str(make_model(tmp / f"model{i}", args.arch, args.image_size)) for i in (1, 2)]
    shown = f"{args.arch} at {args.image_size} px, {len(CLASSES)} classes, CPU"
    print(f"{args.images:,} JPEGs 160x120, {shown}")

    def request(model: str) -> ClassifyRequest:
        return ClassifyRequest(model, photos, True, "cpu", 32)

    import torch  # as the window has it, before any classification

    torch.set_num_threads(max(1, (os.cpu_count() or 1) - 1))
    rows = [
        ("(a) in-process", timed(classify_run(request(models[0]), RunControl(), ModelKeeper())))
    ]
    process = ClassifyProcess()
    runs = [("(b) process, cold", models[0]), ("(c) process, warm", models[0]),
            ("(d) warm, new model", models[1])]  # fmt: skip
    try:
        for name, model in runs:
            rows.append((name, timed(process.classify(request(model), RunControl()))))
    finally:
        process.end()
    base = rows[0][1][1]
    print(f"\n{'':<22}{'first result':>13}{'all':>9}{'images/s':>10}{'x (a)':>8}")
    for name, (first, total, count, _sentence) in rows:
        print(f"{name:<22}{first:>12.2f}s{total:>8.2f}s{count / total:>10,.0f}{total / base:>8.2f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
