"""Does the window stay responsive while "Check dataset" runs?

The main window, on its Data page at 1600x1000, loads a dataset and opens the real Check
dataset dialog with its button, as a user does; a 10 ms QTimer inside the real
`QApplication.exec()` (no nested wait loops) records the gaps between its ticks from the click
until a second after the findings are listed (the review list is filled in that second). A
bare QApplication in a second process ticks over the same seconds: the machine's own floor
(benchmarks/window_stalls.py, which gui_responsiveness.py uses for training and classifying).

Datasets with findings (built once per --root, kept between runs):
- small: Fashion-MNIST at 28 px from Debian's idx files with planted copies, leaks and
  flipped labels (benchmarks/doctor_planted.py); --small-per-class 300 gives ~3,500 images;
- photos: photo-like 640x480 JPEGs with planted copies (benchmarks/doctor_photos.py).

    python benchmarks/doctor_window.py                        # ~2-4 min on 2 CPU cores
    python benchmarks/doctor_window.py --only photos --stacks 40   # what the stalls held

Run it without QT_QPA_PLATFORM set: it sets its own (offscreen).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LOUPE_TEST_MODE", "1")  # keep the window's settings out of the user's
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from benchmarks.window_stalls import (  # noqa: E402
    WINDOW_SIZE,
    Floor,
    GapSummary,
    Scenario,
    TickRecorder,
    cpu_between,
    gaps_between,
    print_scenarios,
    run_floor,
)

AFTER_S = 1.0  # measured on after the check ended: the review list fills in it


def make_datasets(root: Path, small_per_class: int, photos: int) -> dict[str, Path]:
    """{"small": ..., "photos": ...}, each built unless this size is already there."""
    import doctor_photos
    from doctor_planted import build

    small = root / f"fashion-{small_per_class}"
    marker = small / ".built"
    if not marker.is_file():
        test_per_class = max(1, small_per_class // 6)
        build(str(small), small_per_class, test_per_class, planted=10, flip=0.04, seed=0)
        marker.write_text("1")
    pictures = root / f"photos-{photos}"
    doctor_photos.make(str(pictures), photos)
    return {"small": small, "photos": pictures}


def _count(folder: Path) -> int:
    hidden = [p for p in folder.rglob("*") if p.is_file()]
    return sum(
        not any(part.startswith(".") for part in p.relative_to(folder).parts) for p in hidden
    )


def _application(events_ms: float):
    """The QApplication, and with `events_ms` > 0 a list that gets (end time, GUI CPU, event
    type, receiver) of every event that took that much of the GUI thread's CPU or more
    (diagnosis only: a notify() in Python slows every event a little)."""
    from PySide6.QtWidgets import QApplication

    if events_ms <= 0:
        return QApplication([sys.argv[0]]), None
    log: list[tuple[float, float, str, str]] = []

    class Logged(QApplication):
        def notify(self, receiver, event):
            started = time.thread_time()
            result = super().notify(receiver, event)
            spent = time.thread_time() - started
            if spent * 1000 >= events_ms:
                name = f"{type(receiver).__name__} {receiver.objectName()}".strip()
                log.append((time.monotonic(), spent, event.type().name, name))
            return result

    return Logged([sys.argv[0]]), log


def _longest_gaps(recorder, scenario, stages, top: int, events=None) -> list[str]:
    """The `top` longest gaps of `scenario`: when (s after the click), how long, the GUI
    thread's own CPU in it, the doctor's stage at the time, and the events logged in it."""
    ticks = [(t, c) for t, c in zip(recorder.ticks, recorder.cpu, strict=True)
             if scenario.start <= t <= scenario.end]  # fmt: skip
    gaps = [(b[0] - a[0], a[0], b[1] - a[1]) for a, b in zip(ticks, ticks[1:], strict=False)]
    lines = []
    for gap, at, cpu in sorted(gaps, reverse=True)[:top]:
        stage = [words for since, words in stages if since <= at][-1:] or [""]
        lines.append(
            f"{gap * 1000:5.0f} ms at {at - scenario.start:5.1f} s, GUI CPU {cpu * 1000:4.0f} ms"
            f"{'; ' + stage[0] if stage[0] and scenario.action == 'check' else ''}"
        )
        for end, spent, kind, receiver in events or ():
            if at < end <= at + gap:
                lines.append(f"        {spent * 1000:4.0f} ms  {kind} to {receiver}")
    return lines


def measure(
    datasets: dict[str, Path],
    only: list[str],
    idle_s: float,
    stacks_ms: float,
    top_gaps: int,
    events_ms: float = 0.0,
):
    from PySide6.QtCore import QSettings, QTimer

    import core.train.loop  # noqa: F401  (torch imported up front, as the app does in the background)
    from core.data.doctor import DoctorFinished, DoctorProgress
    from gui.collector import freeze_long_lived_objects
    from gui.jobs import JobEnded
    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore

    app, events = _application(events_ms)
    tmp = Path(tempfile.mkdtemp(prefix="loupe-bench-doctor-"))
    store = SettingsStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    store.set_workspace(str(tmp / "workspace"))
    window = MainWindow(store, load_torch=False)
    window.confirm_close = lambda: True
    window.show()
    window.resize(*WINDOW_SIZE)
    window.show_page(window.pages.indexOf(window.dataset_view))
    freeze_long_lived_objects()
    view = window.dataset_view
    recorder = TickRecorder()
    sampler = None
    if stacks_ms > 0:
        from benchmarks.stall_stacks import StackSampler

        sampler = StackSampler(others=True)
    todo: list[tuple[Scenario, Path | None]] = [
        (Scenario(f"idle ({idle_s:g} s)", WINDOW_SIZE, "data", "idle"), None)
    ]
    for name in only:
        images = _count(datasets[name])
        todo.append((Scenario(f"check, {images:,} {name}", WINDOW_SIZE, "data", "check"),
                     datasets[name]))  # fmt: skip
    done: list[Scenario] = []
    stages: list[tuple[float, str]] = [(0.0, "")]  # (since, doctor stage) of the current check
    longest: dict[str, list[str]] = {}

    def next_scenario() -> None:
        if not todo:
            app.quit()
            return
        scenario, folder = todo[0]
        if folder is None:
            QTimer.singleShot(300, run_scenario)
        else:
            view.load(str(folder))  # the Data page scans it; datasetLoaded starts the check

    def on_loaded(*_args) -> None:
        if todo and todo[0][1] is not None:
            QTimer.singleShot(500, run_scenario)  # let the page's samples settle

    def run_scenario() -> None:
        scenario, _folder = todo[0]
        scenario.note = f"window {window.width()}x{window.height()}"
        scenario.start = time.monotonic()
        if scenario.action == "idle":
            QTimer.singleShot(int(idle_s * 1000), end_scenario)
            return
        stages[:] = [(scenario.start, "opening the dialog")]
        view.check_button.click()  # opens the Check dataset dialog and starts the check
        dialog = view.doctor_dialog
        dialog.runner.event.connect(on_doctor_event)

    def on_doctor_event(event: object) -> None:
        if isinstance(event, DoctorProgress) and event.stage != stages[-1][1]:
            stages.append((time.monotonic(), event.stage))
        elif isinstance(event, DoctorFinished):
            stages.append((time.monotonic(), "listing the findings"))
        elif isinstance(event, JobEnded):
            dialog = view.doctor_dialog
            scenario = todo[0][0]
            checked = time.monotonic() - scenario.start
            scenario.note += (
                f"; check {checked:.1f} s ({event.status}); {dialog.list.count()} findings "
                f"listed; '{dialog.status_label.text()[:90]}'"
            )
            QTimer.singleShot(int(AFTER_S * 1000), end_scenario)

    def end_scenario() -> None:
        scenario, _folder = todo.pop(0)
        scenario.end = time.monotonic()
        scenario.loupe = GapSummary.of(gaps_between(recorder.ticks, scenario.start, scenario.end))
        scenario.cpu = GapSummary.of(cpu_between(recorder, scenario.start, scenario.end))
        longest[scenario.name] = _longest_gaps(recorder, scenario, stages, top_gaps, events)
        done.append(scenario)
        dialog = getattr(view, "doctor_dialog", None)
        if dialog is not None:
            dialog.close()
        QTimer.singleShot(300, next_scenario)

    view.datasetLoaded.connect(on_loaded)
    floor = Floor(__file__)
    time.sleep(1.0)  # the floor process's QApplication is up before the first scenario
    recorder.start()
    if sampler is not None:
        sampler.start()
    QTimer.singleShot(0, next_scenario)
    app.exec()
    if sampler is not None:
        sampler.stop()
        print(f"\nGUI thread's stacks during gaps over {stacks_ms:g} ms")
        for scenario in done:
            print(f"    {scenario.name}")
            sampler.report(recorder.ticks, scenario.start, scenario.end, stacks_ms)
    for name, lines in longest.items():
        print(f"\nlongest gaps, {name}")
        for line in lines:
            print(f"    {line}")
    floor_ticks = floor.ticks()
    window.close()
    for scenario in done:
        scenario.floor = GapSummary.of(gaps_between(floor_ticks, scenario.start, scenario.end))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["small", "photos"],
                        choices=("small", "photos"))  # fmt: skip
    parser.add_argument("--small-per-class", type=int, default=300, help="train images a class")
    parser.add_argument("--photos", type=int, default=300, help="photo-like 640x480 JPEGs")
    parser.add_argument("--root", default=str(Path(tempfile.gettempdir()) / "loupe-bench-doctor"))
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--stacks", type=float, default=0.0, metavar="MS",
                        help="sample the GUI thread's stack; report what it did in gaps over MS")  # fmt: skip
    parser.add_argument("--gaps", type=int, default=6, help="list each scenario's N longest")
    parser.add_argument("--events", type=float, default=0.0, metavar="MS",
                        help="list the events that took MS of GUI CPU in the longest gaps")  # fmt: skip
    parser.add_argument("--floor", help=argparse.SUPPRESS)  # the bare-QApplication process
    args = parser.parse_args()
    if args.floor:
        run_floor(args.floor)
        return
    datasets = make_datasets(Path(args.root), args.small_per_class, args.photos)
    print(f"load average {os.getloadavg()[0]:.1f} at start (shared machines: figures move)")
    done = measure(datasets, args.only, args.idle_seconds, args.stacks, args.gaps, args.events)
    print_scenarios(done)
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
