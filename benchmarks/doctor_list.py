"""Does the Check dataset list stay responsive with thousands of findings?

A report with N findings (a twentieth groups of six near-duplicates, a fifth exact-duplicate
pairs, a quarter probable label errors, the rest outliers) on real tiny PNGs (24 px, built
once per --root and N) is shown in the real DoctorDialog (900x640) inside the real
`QApplication.exec()`; a 10 ms QTimer records the gaps between its ticks and the GUI thread's
CPU in each (benchmarks/window_stalls.py), and the process's peak memory is printed. Four
phases:

- open: `show_report` until the pictures the list waits for are drawn, plus half a second;
- scroll: the list scrolled from top to bottom in SCROLL_STEPS jumps SCROLL_S apart (as one
  drags its scroll bar: the rows in view want their pictures), its pictures waited for, then
  back to the top;
- keep: five times, three rows in the middle of the list are selected (scrolled to), and
  Keep is clicked 150 ms later;
- other: Show kept on (the kept rows come back, faded), off, then Undo five times.

Each version runs in a process of its own, one after the other for each N; a bare
QApplication in another process ticks over the same seconds (the machine's floor).

    python benchmarks/doctor_list.py                      # this tree, N = 500, 1,500, 5,000
    python benchmarks/doctor_list.py --before 092654c     # that commit too (git archive)
    python benchmarks/doctor_list.py --sizes 1500 --repeat 2

Run it without QT_QPA_PLATFORM set: it sets its own (offscreen).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLASSES = ("circle", "square", "triangle")
SIDE = 24  # px of every image
PHASES = ("open", "scroll", "keep", "other")
KEEPS = 5
ROWS_KEPT = 3  # rows selected for each Keep
SETTLE_S = 0.7  # between two actions
OPEN_LIMIT_S = 60.0  # the pictures of a phase are waited for this long at most
SCROLL_STEPS = 40  # positions from the top to the bottom of the list
SCROLL_S = 0.1  # between two


def build(root: Path, findings: int) -> dict:
    """The report of `findings` findings on images under `root` (written unless there)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(findings)
    files: dict[str, dict[str, str]] = {}
    report: dict = {"classes": list(CLASSES), "files": files, "near_duplicates": [],
                    "exact_duplicates": [], "label_issues": [], "outliers": []}  # fmt: skip

    def image(name: str, label: str) -> str:
        path = f"train/{label}/{name}.png"
        full = root / path
        if not full.is_file():
            full.parent.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(full)
        files[path] = {"label": label, "split": "train"}
        return path

    for k in range(findings):
        label = CLASSES[k % len(CLASSES)]
        kind = k % 20
        if kind == 0:
            group = [image(f"near_{k:05d}_{j}", label) for j in range(6)]
            report["near_duplicates"].append(group)
        elif kind <= 4:
            pair = [image(f"copy_{k:05d}_{j}", label) for j in range(2)]
            report["exact_duplicates"].append(pair)
        elif kind <= 9:
            path = image(f"doubt_{k:05d}", label)
            other = CLASSES[(k + 1) % len(CLASSES)]
            report["label_issues"].append(
                {"path": path, "label": label, "suggested": other, "score": 0.8}
            )
        else:
            path = image(f"odd_{k:05d}", label)
            report["outliers"].append({"path": path, "label": label, "score": 0.5})
    return report


def child(tree: str, data: str, report_path: str) -> None:
    """One version's run (in its own process): prints one JSON line."""
    sys.path[:0] = [tree, str(HERE)]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from window_stalls import TickRecorder

    from gui.collector import GuiThreadCollector, freeze_long_lived_objects
    from gui.data.doctor_review import DoctorDialog

    shutil.rmtree(os.path.join(data, ".loupe"), ignore_errors=True)  # nothing kept before
    report = json.loads(Path(report_path).read_text())
    app = QApplication([sys.argv[0]])
    dialog = DoctorDialog(data)
    dialog.resize(900, 640)
    dialog.show()
    freeze_long_lived_objects()
    collector = GuiThreadCollector()  # as the app does (gui/app.py)
    recorder = TickRecorder()
    phases: dict[str, list[float]] = {}
    steps: list = []

    def phase(name: str) -> None:
        now = time.monotonic()
        for times in phases.values():
            if len(times) == 1:
                times.append(now)
        if name:
            phases[name] = [now]

    def run() -> None:
        if not steps:
            phase("")
            app.quit()
            return
        wait_s = steps.pop(0)()
        QTimer.singleShot(int(wait_s * 1000), run)

    def open_report() -> float:
        phase("open")
        dialog.show_report(report)
        return 0.3

    def pictures_drawn() -> float:
        started = list(phases.values())[-1][0]  # of this phase
        if dialog.strips.waiting() and time.monotonic() - started < OPEN_LIMIT_S:
            steps.insert(0, pictures_drawn)
            return 0.1
        return 0.5

    def scroll_to(k: int):
        def step() -> float:
            if "scroll" not in phases:
                phase("scroll")
            bar = dialog.list.verticalScrollBar()
            bar.setValue(bar.maximum() * k // max(SCROLL_STEPS - 1, 1))
            return SCROLL_S

        return step

    def select_middle() -> float:
        if "keep" not in phases:
            phase("keep")
        dialog.list.clearSelection()
        middle = dialog.list.count() // 2
        rows = [dialog.list.item(middle + k) for k in range(ROWS_KEPT)]
        for row in rows:
            row.setSelected(True)
        dialog.list.scrollToItem(rows[0])
        return 0.15

    def keep() -> float:
        dialog.keep_button.click()
        return SETTLE_S

    def show_kept() -> float:
        phase("other")
        dialog.kept_box.click()
        return SETTLE_S

    def hide_kept() -> float:
        dialog.kept_box.click()
        return SETTLE_S

    def undo() -> float:
        dialog.undo_button.click()
        return SETTLE_S

    steps[:] = [open_report, pictures_drawn]
    steps += [scroll_to(k) for k in range(SCROLL_STEPS)] + [pictures_drawn]
    steps += [scroll_to(0), pictures_drawn]
    steps += [select_middle, keep] * KEEPS
    steps += [show_kept, hide_kept] + [undo] * KEEPS
    recorder.start()
    QTimer.singleShot(500, run)
    app.exec()
    collector.stop()
    dialog.strips.stop(1.0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phases": phases, "ticks": recorder.ticks, "cpu": recorder.cpu,
                      "rows": dialog.list.count(), "peak_mb": peak_mb,
                      "strips": dialog.strips.drawn_count}))  # fmt: skip


def summary(ticks: list[float], cpu: list[float] | None, start: float, end: float) -> dict:
    """Worst gap (ms), the GUI thread's CPU in it (ms), and gaps over 50 ms."""
    inside = [k for k, t in enumerate(ticks) if start <= t <= end]
    gaps = [(ticks[b] - ticks[a], a, b) for a, b in zip(inside, inside[1:], strict=False)]
    if not gaps:
        return {"worst": float("nan"), "cpu": float("nan"), "over50": 0}
    worst, a, b = max(gaps)
    spent = (cpu[b] - cpu[a]) * 1000 if cpu else float("nan")
    return {"worst": worst * 1000, "cpu": spent, "over50": sum(g > 0.05 for g, _, _ in gaps)}


def export(revision: str) -> str:
    """This repository at `revision`, unpacked into a temporary folder."""
    folder = tempfile.mkdtemp(prefix="loupe-bench-list-")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 1500, 5000])
    parser.add_argument("--before", help="also run this git revision (e.g. the lead's)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--root", default=str(Path(tempfile.gettempdir()) / "loupe-bench-list"))
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # tree data report
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("LOUPE_TEST_MODE", "1")
    if args.floor:
        sys.path.insert(0, str(HERE))
        from window_stalls import run_floor

        run_floor(args.floor)
        return
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(HERE))
    from window_stalls import Floor

    trees = {"this tree": str(ROOT)}
    if args.before:
        trees = {f"before ({args.before})": export(args.before), "after (this tree)": str(ROOT)}
    print(f"load average {os.getloadavg()[0]:.1f} at start (shared machines: figures move)")
    rows = []
    floor = Floor(__file__)
    for findings in args.sizes:
        data = Path(args.root) / f"findings-{findings}"
        report = build(data, findings)
        report_path = data.parent / f"report-{findings}.json"
        report_path.write_text(json.dumps(report))
        for _ in range(args.repeat):
            for name, tree in trees.items():
                command = [sys.executable, __file__, "--child", tree, str(data), str(report_path)]
                done = subprocess.run(command, check=True, capture_output=True, text=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                rows.append((findings, name, result))
    floor_ticks = floor.ticks()
    print("\nworst gap of a 10 ms timer in ms (GUI thread's CPU in it; gaps over 50 ms)")
    print(f"{'findings':>9}  {'version':<28}" + "".join(f"{p:>22}" for p in PHASES))
    for findings, name, result in rows:
        line = f"{findings:>9,}  {name:<28}"
        floors = []
        for p in PHASES:
            start, end = result["phases"][p]
            s = summary(result["ticks"], result["cpu"], start, end)
            line += f"{s['worst']:>9.0f} ({s['cpu']:>4.0f}; {s['over50']:>2})    "
            floors.append(summary(floor_ticks, None, start, end)["worst"])
        print(line + f"  floor {' '.join(f'{f:.0f}' for f in floors)}; {result['rows']} rows, "
              f"{result['strips']} strips drawn, peak {result['peak_mb']:.0f} MB")  # fmt: skip
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
