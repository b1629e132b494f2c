"""How soon a run started from the window reaches its first step: a cold training process (it
imports torch itself) against the standby one the window keeps ready (core.train.standby), in
alternating pairs on the same data, through the window's own path (core.train.child_run
.child_fit), one epoch each.

  to RunStarted  from child_fit's call to the RunStarted event (imports, scan, decode, model
                 and optimizer done: the next thing the process does is its first step)
  whole          to the RunFinished event

The standby is started a few seconds before its run, as the window does when its Train page is
shown or after the previous run: the time it takes to get ready is the user's time choosing.

    python benchmarks/run_start.py [DATA] [--pairs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "benchmarks")]


def one_run(data: str, standby) -> tuple[float, float, str]:
    from core.control import RunControl
    from core.events import RunFinished, RunStarted
    from core.train.child_run import child_fit
    from core.train.config import TrainConfig

    out = tempfile.mkdtemp(prefix="loupe-run-start-")
    shutil.rmtree(out)
    config = TrainConfig(data_dir=data, out_dir=out, epochs=1)
    start, first, status = time.perf_counter(), float("nan"), "none"
    for event in child_fit(config, RunControl(), standby):
        if isinstance(event, RunStarted) and first != first:
            first = time.perf_counter() - start
        elif isinstance(event, RunFinished):
            status = event.status
    whole = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return first, whole, status


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data", nargs="?", default="", help="a dataset folder (default: the digits)")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--ready-seconds", type=float, default=5.0, help="standby's head start")
    args = p.parse_args()
    data = args.data
    if not data:
        import digits_dataset

        root = "/tmp/loupe-bench/small-images"
        data, test = os.path.join(root, "digits"), os.path.join(root, "digits-test")
        digits_dataset.make(data, test, per_class=300, test_per_class=200, seed=0)
    from core.train.standby import Standby

    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {data}", flush=True)
    one_run(data, None)  # the CPU tuner's choice is remembered from here on, for both
    rows: dict[str, list[tuple[float, float]]] = {"cold": [], "standby": []}
    for pair in range(args.pairs):
        for kind in ("cold", "standby"):
            standby = None
            if kind == "standby":
                standby = Standby()
                standby.start()
                time.sleep(args.ready_seconds)
            first, whole, status = one_run(data, standby)
            if standby is not None:
                standby.end()
            rows[kind].append((first, whole))
            print(f"pair {pair + 1} {kind:8} to RunStarted {first:5.2f} s  whole {whole:5.2f} s  "
                  f"{status}  load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    medians = {k: [statistics.median(r[i] for r in v) for i in (0, 1)] for k, v in rows.items()}
    print("\n| process | to RunStarted | whole one-epoch run |\n|---|---:|---:|")
    for kind, (first, whole) in medians.items():
        print(f"| {kind} | {first:.2f} s | {whole:.2f} s |")
    ratio = medians["standby"][0] / medians["cold"][0]
    print(f"standby / cold, to RunStarted: {ratio:.2f} (medians of {args.pairs} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
