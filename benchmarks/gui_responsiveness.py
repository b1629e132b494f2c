"""Does the window stay responsive while it trains and classifies, and how fast do 50,000
results sort?

Wall-clock figures move with the machine's load, so they live here rather than in the test
suite (which checks the same paths for correctness). Each figure has a baseline measured in
the same run:
  (a) the main window's event loop (benchmarks/window_stalls.py): gaps of a 10 ms QTimer
      inside the real `QApplication.exec()` while idle, training with every live view shown,
      and classifying thousands of images, at 1600x1000 and maximised on a 3840x2160 screen;
      against the same timer in a bare QApplication process over the same seconds (the
      machine's own floor: a loaded machine delays every process).
  (b) the Classify page's ResultsFilterModel on 50,000 results: each sort and filter step,
      against Python's `sorted()` of the same 50,000 results by the same key.

    python benchmarks/gui_responsiveness.py                  # about 1-2 min on 2 CPU cores
    python benchmarks/gui_responsiveness.py --only train --epochs 20
    python benchmarks/gui_responsiveness.py --only train classify --stacks 40  # profile stalls
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Offscreen, on a 3840x2160 screen: "maximised on a 4K screen" is a real maximised window.
SCREENS = {"screens": [{"name": "4K", "x": 0, "y": 0, "width": 3840, "height": 2160}]}
_screen_file = Path(tempfile.gettempdir()) / "loupe-bench-4k-screen.json"
_screen_file.write_text(json.dumps(SCREENS))
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_screen_file}")
os.environ.setdefault("LOUPE_TEST_MODE", "1")  # keep the window's settings out of the user's

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.window_stalls import Plan, measure_window, print_scenarios, run_floor  # noqa: E402


def _fake_results(n: int, seed: int):
    from core.infer.results import ClassifiedImage

    classes = ["cat", "dog", "bird", "car", "tree"]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = rng.choice(classes)
        conf = round(rng.random(), 3)
        top_k = ((label, conf),) + tuple((c, (1 - conf) / 4) for c in classes if c != label)
        out.append(ClassifiedImage(f"/photos/d{i % 7}/IMG_{i:05d}.jpg", label, conf, top_k))
    return out


def measure_results(rows: int, repeats: int) -> None:
    from PySide6.QtWidgets import QApplication

    from gui.classify.results_filter import ResultsFilterModel
    from gui.classify.results_model import UNSURE, ResultsModel

    QApplication.instance() or QApplication([sys.argv[0]])
    results = _fake_results(rows, seed=7)

    def timed(step) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    baseline = timed(lambda: sorted(results, key=lambda r: r.confidence))
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    started = time.perf_counter()
    for start in range(0, rows, 500):
        source.append_results(results[start : start + 500])
    streamed = time.perf_counter() - started
    steps = {
        "sort by confidence": lambda: proxy.set_sort("confidence", False),
        "sort by confidence, descending": lambda: proxy.set_sort("confidence", True),
        "sort by name": lambda: proxy.set_sort("name", False),
        "class filter": lambda: proxy.set_class_filter("cat"),
        "confidence range": lambda: proxy.set_confidence_range(0.2, 0.6),
        "unsure filter": lambda: proxy.set_class_filter(UNSURE),
        "unsure threshold": lambda: source.set_unsure_threshold(0.3),
        "clear filters": lambda: (proxy.set_class_filter(None), proxy.set_confidence_range(0, 1)),
    }
    print(
        f"\n(b) {rows:,} results; baseline: Python sorted() by confidence "
        f"{baseline * 1000:.1f} ms (median of {repeats})"
    )
    print(
        f"    {'stream in batches of 500':<34}{streamed * 1000:>9.1f} ms "
        f"{streamed / baseline:>7.1f}x baseline"
    )
    for name, step in steps.items():  # once each: repeating a sort or filter is a no-op
        started = time.perf_counter()
        step()
        seconds = time.perf_counter() - started
        print(f"    {name:<34}{seconds * 1000:>9.1f} ms {seconds / baseline:>7.1f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12, help="each training run in the window")
    parser.add_argument("--per-class", type=int, default=40, help="training images per class")
    parser.add_argument("--images", type=int, default=3000, help="images to classify")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle baseline length")
    parser.add_argument(
        "--only", nargs="*", default=[], choices=("idle", "train", "classify", "results")
    )
    parser.add_argument(
        "--stacks",
        type=float,
        default=0.0,
        metavar="MS",
        help="sample the GUI thread's stack and report what it did in gaps over MS ms",
    )
    parser.add_argument("--floor", help=argparse.SUPPRESS)  # the bare-QApplication process
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.floor:
        run_floor(args.floor)
        return
    print(f"load average {os.getloadavg()[0]:.1f} at start (shared machines: figures move)")
    only = set(args.only)
    if not only or only - {"results"}:
        plan = Plan(args.epochs, args.per_class, args.images, args.idle_seconds, only, args.stacks)
        print_scenarios(measure_window(plan, __file__))
        print(f"    load average {os.getloadavg()[0]:.1f} after (a)")
    if not only or "results" in only:
        measure_results(args.rows, args.repeats)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
