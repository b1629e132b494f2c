"""How long does the main window's event loop stall while it trains and classifies?

A 10 ms QTimer inside the real `QApplication.exec()` (nested qWait loops starve worker
threads, see shared/ENVIRONMENT.md) records the gap between its ticks: what the user feels as
lag. Scenarios run one after another in one window: idle, a training run with every live
view visible (loss, accuracy and learning-rate plots, prediction grid, confusion matrix),
classifying thousands of images, then the same again maximised on a 3840x2160 screen.

On a shared machine a gap also contains the time the whole process waited for a core. So a
second process, a bare QApplication with nothing but the same timer ("floor"), runs during
the whole benchmark; each scenario reports the floor's gaps over the same seconds next to
Loupe's, and the difference is what Loupe adds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TICK_MS = 10
STALL_MS = 50  # the bar: no gap above this
SCREEN_4K = (3840, 2160)
WINDOW_SIZE = (1600, 1000)
CLASSES = tuple(f"class_{i}" for i in range(7)) + ("circle", "square", "triangle")


class TickRecorder:
    """Times (time.monotonic, comparable across processes) of a QTimer's ticks, and the GUI
    thread's CPU time at each (time.thread_time): the CPU a gap holds is work Loupe did on
    the GUI thread; the rest of the gap it waited for a core or for the GIL."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.cpu: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks.append(time.monotonic())
        self.cpu.append(time.thread_time())

    def start(self) -> None:
        self.ticks = [time.monotonic()]
        self.cpu = [time.thread_time()]
        self.timer.start()


def gaps_between(ticks: list[float], start: float, end: float) -> list[float]:
    inside = [t for t in ticks if start <= t <= end]
    return [b - a for a, b in zip(inside, inside[1:], strict=False)]


def cpu_between(recorder: TickRecorder, start: float, end: float) -> list[float]:
    """The GUI thread's CPU time inside each gap between ticks from start to end."""
    inside = [c for t, c in zip(recorder.ticks, recorder.cpu, strict=True) if start <= t <= end]
    return [b - a for a, b in zip(inside, inside[1:], strict=False)]


@dataclass
class GapSummary:
    ticks: int
    worst_ms: float
    p99_ms: float
    stalls: int  # gaps above STALL_MS

    @classmethod
    def of(cls, gaps: list[float]) -> GapSummary:
        if not gaps:
            return cls(0, float("nan"), float("nan"), 0)
        ordered = sorted(gaps)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        stalls = sum(g * 1000 > STALL_MS for g in gaps)
        return cls(len(gaps), ordered[-1] * 1000, p99 * 1000, stalls)


# -- the floor: a bare QApplication in its own process -------------------------------------


def run_floor(out_path: str) -> None:
    """`--floor OUT`: tick until SIGTERM, then write the tick times to OUT as JSON."""
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    recorder = TickRecorder()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    recorder.start()
    app.exec()
    Path(out_path).write_text(json.dumps(recorder.ticks))


class Floor:
    def __init__(self, script: str) -> None:
        self.out = tempfile.mktemp(prefix="loupe-floor-", suffix=".json")
        self.process = subprocess.Popen([sys.executable, script, "--floor", self.out])

    def ticks(self) -> list[float]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        ticks = json.loads(Path(self.out).read_text())
        os.unlink(self.out)
        return ticks


# -- Loupe's window ------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    size: tuple[int, int] | None  # None: maximised on the screen
    page: str  # "train" or "classify"
    action: str  # "idle", "train" or "classify"
    start: float = 0.0
    end: float = 0.0
    note: str = ""
    loupe: GapSummary | None = None
    floor: GapSummary | None = None
    cpu: GapSummary | None = None  # the GUI thread's own CPU time per gap


def scenarios(idle_seconds: float) -> list[Scenario]:
    return [
        Scenario(f"idle ({idle_seconds:g} s)", WINDOW_SIZE, "train", "idle"),
        Scenario("training", WINDOW_SIZE, "train", "train"),
        Scenario("classifying", WINDOW_SIZE, "classify", "classify"),
        Scenario(f"idle ({idle_seconds:g} s), 4K", None, "train", "idle"),
        Scenario("training, 4K", None, "train", "train"),
        Scenario("classifying, 4K", None, "classify", "classify"),
    ]


@dataclass
class Plan:
    epochs: int
    per_class: int
    images: int
    idle_seconds: float
    only: set[str] = field(default_factory=set)  # action names; empty: all
    stacks_over_ms: float = 0.0  # > 0: sample the GUI thread and report its stalls' stacks


def make_photos(folder: Path, count: int) -> Path:
    """`count` 160x120 JPEGs of the classes' shapes: thumbnails need a real decode."""
    import numpy as np

    from tests.core.image_factory import _shape_image, class_color, save_image

    rng = np.random.default_rng(1)
    for i in range(count):
        index = i % len(CLASSES)
        image = _shape_image(CLASSES[index], 160, rng, class_color(CLASSES[index], index))
        save_image(image.crop((0, 20, 160, 140)), folder / f"d{i % 9}" / f"IMG_{i:05d}.jpg")
    return folder


def measure_window(plan: Plan, script: str) -> list[Scenario]:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    import core.train.loop  # noqa: F401  (torch imported up front, as the app does in the background)
    from core.train.config import TrainConfig
    from gui.jobs import JobEnded
    from gui.main_window import MainWindow
    from gui.settings_store import SettingsStore
    from tests.core.image_factory import make_shapes_dataset

    try:  # the benchmark runs on older commits too, for the "before" figures
        from gui.collector import freeze_long_lived_objects as freeze
    except ImportError:
        freeze = None
    app = QApplication.instance() or QApplication([sys.argv[0]])
    tmp = Path(tempfile.mkdtemp(prefix="loupe-bench-gui-"))
    data = make_shapes_dataset(tmp / "shapes", CLASSES, per_class=plan.per_class, size=32)
    photos = make_photos(tmp / "photos", plan.images)
    store = SettingsStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    store.set_workspace(str(tmp / "workspace"))
    window = MainWindow(store, load_torch=False)
    window.confirm_close = lambda: True
    window.show()
    if freeze is not None:
        freeze()  # as the app does once the window is up and torch has loaded
    recorder = TickRecorder()
    sampler = None
    if plan.stacks_over_ms > 0:
        from benchmarks.stall_stacks import StackSampler

        sampler = StackSampler()
    todo = [s for s in scenarios(plan.idle_seconds) if not plan.only or s.action in plan.only]
    runs: list[str] = []
    pages = {"train": window.train_page, "classify": window.classify_view}

    def config() -> TrainConfig:
        out = str(tmp / "workspace" / f"run{len(runs) + 1}")
        runs.append(out)
        return TrainConfig(
            data_dir=str(data),
            out_dir=out,
            arch="simple_cnn",
            epochs=plan.epochs,
            batch_size=8,
            image_size=32,
            cpu_threads=1,
            mixed_precision="off",
            device="cpu",
        )

    def next_scenario() -> None:
        if not todo:
            app.quit()
            return
        scenario = todo[0]
        if scenario.size is None:
            window.showMaximized()
        else:
            window.showNormal()
            window.resize(*scenario.size)
        window.show_page(window.pages.indexOf(pages[scenario.page]))
        QTimer.singleShot(500, run_scenario)  # let the resize and page change settle

    def run_scenario() -> None:
        scenario = todo[0]
        scenario.note = f"window {window.width()}x{window.height()}"
        scenario.start = time.monotonic()
        if scenario.action == "idle":
            QTimer.singleShot(int(plan.idle_seconds * 1000), end_scenario)
        elif scenario.action == "train":
            window.train_page.start_training(config())
        elif not runs:  # classifying needs a trained model
            scenario.note = "skipped: no model trained in this run"
            end_scenario()
        else:
            window.classify_view.set_model(runs[-1])
            window.classify_view.set_folder(str(photos))
            if not window.classify_view.start():
                scenario.note = "did not start: " + window.classify_view.problem()
                end_scenario()

    def on_job_event(event: object) -> None:
        if isinstance(event, JobEnded) and todo and todo[0].action != "idle":
            end_scenario()

    def end_scenario() -> None:
        scenario = todo.pop(0)
        scenario.end = time.monotonic()
        if scenario.action == "train":
            scenario.note += f"; {window.train_page.dashboard.status_label.text()}"
        elif scenario.action == "classify":
            scenario.note += f"; {window.classify_view.results_model.rowCount():,} results"
        scenario.loupe = GapSummary.of(gaps_between(recorder.ticks, scenario.start, scenario.end))
        scenario.cpu = GapSummary.of(cpu_between(recorder, scenario.start, scenario.end))
        done.append(scenario)
        QTimer.singleShot(300, next_scenario)

    done: list[Scenario] = []
    window.train_page.runner.event.connect(on_job_event)
    window.classify_view.runner.event.connect(on_job_event)
    floor = Floor(script)
    time.sleep(1.0)  # the floor process's QApplication is up before the first scenario
    recorder.start()
    if sampler is not None:
        sampler.start()
    QTimer.singleShot(0, next_scenario)
    app.exec()
    if sampler is not None:
        sampler.stop()
        print(f"\nGUI thread's stacks during gaps over {plan.stacks_over_ms:g} ms")
        for scenario in done:
            print(f"    {scenario.name}")
            sampler.report(recorder.ticks, scenario.start, scenario.end, plan.stacks_over_ms)
    floor_ticks = floor.ticks()
    window.close()
    for scenario in done:
        scenario.floor = GapSummary.of(gaps_between(floor_ticks, scenario.start, scenario.end))
    return done


def print_scenarios(done: list[Scenario], describe: Callable[[str], str] = str) -> None:
    print(f"\n(a) window event loop, {TICK_MS} ms timer: Loupe vs a bare QApplication (floor)")
    print(f"    over the same seconds; stalls = gaps over {STALL_MS} ms; GUI CPU = the GUI")
    print("    thread's own CPU time within a gap (what Loupe did, without the waiting)")
    head = f"{'ticks':>6}{'worst':>8}{'p99':>6}{'stalls':>7}"
    cpu_head = f"{'worst':>7}{'p99':>6}{'>50ms':>6}"
    print(f"    {'':<22}{'seconds':>8} | Loupe {head} | floor {head} | GUI CPU{cpu_head}")
    for s in done:
        row = f"    {s.name:<22}{s.end - s.start:>8.1f} |"
        for part in (s.loupe, s.floor):
            if part is None:
                continue
            row += (
                f"       {part.ticks:>5}{part.worst_ms:>6.0f}ms{part.p99_ms:>4.0f}ms"
                f"{part.stalls:>7} |"
            )
        if s.cpu is not None:
            row += f"        {s.cpu.worst_ms:>5.0f}ms{s.cpu.p99_ms:>4.0f}ms{s.cpu.stalls:>6}"
        print(row)
    for s in done:
        print(f"    {s.name}: {describe(s.note)}")
