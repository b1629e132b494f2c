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

    python benchmarks/cli_startup.py --previous d129689 --pairs 5
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--previous", default="d129689", help="commit to compare with")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (start-up is the same)")
    p.add_argument("--root", default="/tmp/loupe-bench/small-images")
    args = p.parse_args(argv)
    os.makedirs(args.root, exist_ok=True)
    data, _ = make_datasets(["digits"], args.root, 0)["digits"]
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
