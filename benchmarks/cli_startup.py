"""The command line's time to its first training step and from its last epoch to its exit:
this code against a previous commit, in alternating pairs on the same data, as a user runs it
(`python main.py train DATA --out RUN`, a fresh process each time).

Per run, timed from the CLI's stderr lines as they arrive:
  to first step   when "Training ..." arrives (RunStarted: imports, scan, decode, model and
                  optimizer done; the next thing the process does is its first step)
  CPU to first    the process's own CPU seconds at that moment (/proc/PID/stat: Linux only,
                  else blank); less sensitive than wall time to other jobs on the machine
  end             from the last epoch's line to the process's exit (the last saves, the
                  verdict, the exit itself)
The CPU tuner's choice is remembered in a cache shared by all runs (one warm-up run per code
first), so no run spends its first steps measuring. Medians over the pairs, because other
jobs on a shared machine slow single runs by 2-3x; the load average is printed.

With --phases it prints instead where a run's start-up and end go: the steps of `train` before
its first step, one after another in a fresh interpreter (the CLI's modules, torch with Loupe's
engine, the scan, the decode, the model, the optimizer (which imported torch._dynamo until Loupe's
optimizers stopped it: core/train/eager_optimizers.py),
the closing garbage collection, the exit), wall and CPU seconds each, with the collector on and
a normal exit as before, and paused/frozen with the shortened exit (core.cli.short_lived) as now.

    python benchmarks/cli_startup.py --previous d129689 --pairs 5
    python benchmarks/cli_startup.py --phases --pairs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

from small_images import _load, make_datasets, previous_code  # noqa: E402

FIGURES = ("first_step", "cpu_first_step", "end", "wall")


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def one_run(code: str, data: str, cache: str, flags: list[str]) -> dict[str, float]:
    run = tempfile.mkdtemp(prefix="cli-startup-")
    shutil.rmtree(run)
    env = {**os.environ, "LOUPE_CACHE_DIR": cache, "PYTHONPATH": ""}
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, os.path.join(code, "main.py"), "train", data, "--out", run, *flags],
        cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    figures = dict.fromkeys(FIGURES, float("nan"))
    last_epoch = float("nan")
    for line in process.stderr:
        now = time.perf_counter() - t0
        if line.startswith("Training ") and figures["first_step"] != figures["first_step"]:
            figures["first_step"] = now
            figures["cpu_first_step"] = _cpu_seconds(process.pid)
        elif line.startswith("epoch "):
            last_epoch = now
    if process.wait() != 0:
        raise SystemExit(f"training failed in {code} ({process.returncode})")
    figures["wall"] = time.perf_counter() - t0
    figures["end"] = figures["wall"] - last_epoch
    shutil.rmtree(run, ignore_errors=True)
    return figures


# The steps of a default `train` before its first step, as the engine does them, timed one by
# one; argv: DATA and "paused" (core.cli.short_lived's pause, freeze and exit) or "on".
_PHASES = """
import gc, json, sys, time
data, mode = sys.argv[1], sys.argv[2]
if mode == "paused":
    gc.disable()
t = [time.perf_counter(), time.process_time()]
out = []
def lap(name):
    now = [time.perf_counter(), time.process_time()]
    out.append((name, now[0] - t[0], now[1] - t[1]))
    t[:] = now
import core.cli.commands
lap("the CLI's modules")
import core.train.loop
lap("torch and Loupe's engine")
from core.data.datasets import scan_dataset
scan = scan_dataset(data, 0.2, 0, None)
lap("scan (3,000 PNGs)")
from core.data.batches import decode_into_array
for split in (scan.train, scan.val):
    decoder = decode_into_array([s.path for s in split], 28, "crop")
    while True:
        try:
            next(decoder)
        except StopIteration:
            break
lap("decode into the cache")
import torch
from core.models.registry import build_model
model = build_model("loupe_net_slim", 10, False, None, False)
lap("model")
from core.train.config import TrainConfig
from core.train.optim import build_optimizer
optimizer = build_optimizer(model.parameters(), TrainConfig(data_dir=data, out_dir=""), 0.05)
optimizer.zero_grad()
optimizer.step()
lap("optimizer and its first step (torch's own imported torch._dynamo: 1-2 s)")
if mode == "paused":
    gc.freeze()
    gc.enable()
gc.collect()
lap("the run's closing gc.collect")
print(json.dumps(out), flush=True)
if mode == "paused":
    from core.cli.short_lived import end_process
    end_process(0)
"""


def phases(data: str, pairs: int) -> None:
    """Where the time before the first step and after the last epoch goes, step by step."""
    rows: dict[str, dict[str, list[tuple[float, float]]]] = {"on": {}, "paused": {}}
    for _ in range(pairs):
        for mode, steps in rows.items():
            t0 = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-c", _PHASES, data, mode],
                cwd=REPO, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            line = process.stdout.readline()
            printed = time.perf_counter() - t0
            _, _, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - t0
            timed = json.loads(line)
            inside = sum(w for _, w, _ in timed)
            steps.setdefault("Python itself", []).append((printed - inside, float("nan")))
            for name, w, c in timed:
                steps.setdefault(name, []).append((w, c))
            cpu_total = usage.ru_utime + usage.ru_stime
            exit_cpu = cpu_total - sum(c for _, _, c in timed)  # the exit, and Python's start
            steps.setdefault("exit (+ Python's start, CPU)", []).append((wall - printed, exit_cpu))
    print(f"\nmedians of {pairs} runs each, load {_load()}; wall s / CPU s")
    print("| step | collector on, normal exit | paused + frozen, short exit |")
    print("|---|---:|---:|")
    for name in rows["on"]:
        cells = []
        for mode in rows:
            w = statistics.median(v[0] for v in rows[mode][name])
            c = statistics.median(v[1] for v in rows[mode][name])
            cells.append(f"{w:.2f} / {c:.2f}" if c == c else f"{w:.2f} / -")
        print(f"| {name} | {cells[0]} | {cells[1]} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--previous", default="d129689", help="commit to compare with")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (start-up is the same)")
    p.add_argument("--root", default="/tmp/loupe-bench/small-images")
    p.add_argument("--phases", action="store_true", help="where the time goes, step by step")
    args = p.parse_args(argv)
    os.makedirs(args.root, exist_ok=True)
    data, _ = make_datasets(["digits"], args.root, 0)["digits"]
    if args.phases:
        phases(data, args.pairs)
        return 0
    codes = {"previous": previous_code(args.previous, args.root), "this code": REPO}
    flags = ["--epochs", str(args.epochs)]
    cache = tempfile.mkdtemp(prefix="loupe-cache-")
    print(f"{os.cpu_count()} CPUs, load {_load()}; warming the tuner's memory ...", flush=True)
    for code in codes.values():
        one_run(code, data, cache, flags)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    for pair in range(args.pairs):
        for name, code in codes.items():
            figures = one_run(code, data, cache, flags)
            results[name].append(figures)
            shown = "  ".join(f"{k} {v:5.2f} s" for k, v in figures.items())
            print(f"pair {pair + 1} {name:<9}  {shown}  load {_load()}", flush=True)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"\nmedians of {args.pairs} pairs (previous = {args.previous}), load {_load()}:")
    print("| code | to first step | CPU to first step | end | wall |")
    print("|---|---:|---:|---:|---:|")
    medians = {
        name: {k: statistics.median(r[k] for r in rows) for k in FIGURES}
        for name, rows in results.items()
    }
    for name, m in medians.items():
        print(f"| {name} | " + " | ".join(f"{m[k]:.2f} s" for k in FIGURES) + " |")
    before, after = medians["previous"], medians["this code"]
    print(
        "this code / previous: "
        + ", ".join(f"{k} {after[k] / before[k]:.2f}" for k in FIGURES if before[k])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
