"""Does the window stay responsive while it trains, and how fast do 50,000 results sort?

Wall-clock figures move with the machine's load, so they live here rather than in the test
suite (which checks the same paths for correctness). Each figure has a baseline measured in
the same run:
  (a) the main window's event loop: a 10 ms QTimer inside the real `QApplication.exec()`
      (nested qWait loops starve worker threads, see shared/ENVIRONMENT.md), idle for a few
      seconds, then during a real training run started from the window. Longest gap and the
      99th percentile of the gaps between ticks; the ratio training / idle.
  (b) the Classify page's ResultsFilterModel on 50,000 results: each sort and filter step,
      against Python's `sorted()` of the same 50,000 results by the same key.

    python benchmarks/gui_responsiveness.py                  # about 30 s on 2 CPU cores
    python benchmarks/gui_responsiveness.py --epochs 20 --idle-seconds 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LOUPE_TEST_MODE", "1")  # keep the window's settings out of the user's

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TICK_MS = 10


class TickRecorder:
    """Gaps between the ticks of a QTimer: what the user feels as lag."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def _summary(gaps: list[float]) -> tuple[float, float]:
    ordered = sorted(gaps)
    return ordered[-1], ordered[int(0.99 * (len(ordered) - 1))]


def measure_window(epochs: int, idle_seconds: float) -> None:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    import core.train.loop  # noqa: F401  (torch imported up front, as the app does in the background)
    from core.train.config import TrainConfig
    from gui.jobs import JobEnded
    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore
    from tests.core.image_factory import make_shapes_dataset

    app = QApplication.instance() or QApplication([sys.argv[0]])
    tmp = Path(tempfile.mkdtemp(prefix="loupe-bench-gui-"))
    data = make_shapes_dataset(tmp / "shapes", per_class=12, size=32)
    store = SettingsStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    store.set_workspace(str(tmp / "workspace"))
    window = MainWindow(store, load_torch=False)
    window.confirm_close = lambda: True
    window.show()
    recorder = TickRecorder()
    results: dict[str, list[float]] = {}
    config = TrainConfig(
        data_dir=str(data),
        out_dir=str(tmp / "workspace" / "run"),
        arch="simple_cnn",
        epochs=epochs,
        batch_size=8,
        image_size=32,
        cpu_threads=1,
        mixed_precision="off",
        device="cpu",
    )

    page = window.train_page

    def start_training() -> None:
        results["idle"] = recorder.stop()
        page.runner.event.connect(on_event)
        recorder.start()
        page.start_training(config)

    def on_event(event: object) -> None:
        if isinstance(event, JobEnded):
            results["training"] = recorder.stop()
            app.quit()

    recorder.start()
    QTimer.singleShot(int(idle_seconds * 1000), start_training)
    app.exec()
    status = page.dashboard.status_label.text()
    window.close()

    idle_worst, idle_p99 = _summary(results["idle"])
    train_worst, train_p99 = _summary(results["training"])
    seconds = sum(results["training"])
    print(f"\n(a) window event loop, {TICK_MS} ms timer; training: {epochs} epochs, {status!r}")
    print(f"    {'':<10}{'ticks':>7}{'longest gap':>14}{'99th pct':>11}")
    print(
        f"    {'idle':<10}{len(results['idle']):>7}{idle_worst * 1000:>11.0f} ms"
        f"{idle_p99 * 1000:>8.0f} ms"
    )
    print(
        f"    {'training':<10}{len(results['training']):>7}{train_worst * 1000:>11.0f} ms"
        f"{train_p99 * 1000:>8.0f} ms   over {seconds:.1f} s"
    )
    print(
        f"    training / idle: longest gap {train_worst / idle_worst:.1f}x, "
        f"99th percentile {train_p99 / idle_p99:.1f}x"
    )


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
    parser.add_argument("--epochs", type=int, default=12, help="training run in the window")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle baseline length")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start (shared machines: figures move)")
    measure_window(args.epochs, args.idle_seconds)
    measure_results(args.rows, args.repeats)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
