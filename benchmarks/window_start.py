"""The window's first seconds: a 10 ms timer inside the real event loop from the moment the
window is shown, while torch, the device list and the architecture list load in the background
(gui.torch_loader). Prints, per start, when the device line and the architecture list arrived
and the longest gaps of the timer (what a user moving the mouse would feel), then medians.

Each start is a fresh process (imports are once per process), offscreen, 1600x1000, with its
own empty user cache the first time and the same one afterwards (the remembered parameter
counts: core.models.parameter_counts), as a user's first and later starts.

    python benchmarks/window_start.py [--starts 3] [--seconds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ONE_START = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui.app import configure_application
from gui.collector import GuiThreadCollector, freeze_long_lived_objects
app = QApplication([sys.argv[0]])
configure_application(app)
from gui.main_window import MainWindow
start = time.monotonic()
window = MainWindow()
window.resize(1600, 1000)
window.show()
freeze_long_lived_objects()
collector = GuiThreadCollector()
ticks, arrived = [time.monotonic()], {}
window.loader.deviceDetected.connect(lambda *_: arrived.setdefault("device", time.monotonic()))
window.loader.loaded.connect(lambda *_: arrived.setdefault("architectures", time.monotonic()))
timer = QTimer()
timer.setInterval(10)
timer.timeout.connect(lambda: ticks.append(time.monotonic()))
timer.start()
QTimer.singleShot(int(float(sys.argv[1]) * 1000), app.quit)
app.exec()
collector.stop()
gaps = sorted((b - a for a, b in zip(ticks, ticks[1:])), reverse=True)
print(json.dumps({
    "device": arrived.get("device", float("nan")) - start,
    "architectures": arrived.get("architectures", float("nan")) - start,
    "gaps_ms": [round(g * 1000) for g in gaps[:5]],
    "over_50": sum(g > 0.05 for g in gaps),
}))
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--starts", type=int, default=3)
    p.add_argument("--seconds", type=float, default=7.0)
    args = p.parse_args()
    cache = tempfile.mkdtemp(prefix="loupe-window-start-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LOUPE_CACHE_DIR": cache}
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for start in range(args.starts):
        done = subprocess.run(
            [sys.executable, "-c", ONE_START, str(args.seconds)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"start {start + 1}{' (empty cache)' if start == 0 else ''}: device line "
              f"{row['device']:.2f} s, architectures {row['architectures']:.2f} s, longest gaps "
              f"{row['gaps_ms']} ms, {row['over_50']} over 50 ms", flush=True)  # fmt: skip
    later = rows[1:] or rows
    print(f"median of the later starts: architectures at "
          f"{statistics.median(r['architectures'] for r in later):.2f} s, longest gap "
          f"{statistics.median(r['gaps_ms'][0] for r in later):.0f} ms, "
          f"{statistics.median(r['over_50'] for r in later):.0f} gaps over 50 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
