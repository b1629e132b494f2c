"""The command that trains a TrainConfig in other processes: `main.py train ...` with every
setting as its flag, under torch.distributed.run for more than one process.

The window trains every run this way, in one child process (several for "All N GPUs"), so
its own process never runs the training loop: core.train.child_run runs the command. The
events, the messages and pause/stop travel through the three files of a ChildFiles (why
files and not stdout: core.cli.train_events). The arguments
come from the settings' own metadata (core.train.settings), so every setting reaches the
child, and `python main.py train` parses them back into the same config (tested).

In a PyInstaller bundle there is no Python to run main.py with: the bundle's executable is
both the launcher (`loupe distributed-train ...`, torch.distributed.run's main, in-process)
and, through torchrun's --no-python, each worker (`loupe train ...`). Plain Python: no torch."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from core.train.config import TrainConfig
from core.train.settings import SettingField, flat_values, setting_fields

ALL_GPUS = "cuda:all"  # the device key of "All N GPUs": one process per GPU
# What each process of an "All N GPUs" run is told: under torchrun, "cuda" is the GPU of the
# process's LOCAL_RANK (core.train's distributed set-up), so one command serves every rank.
WORKER_DEVICE = "cuda"
LAUNCH_COMMAND = "distributed-train"  # main.py's hidden entry into torch.distributed.run
MAIN_SCRIPT = str(Path(__file__).resolve().parents[2] / "main.py")


@dataclass(frozen=True)
class ChildFiles:
    """Where a training child reads its orders and writes what it has to say: `control`
    (pause/resume/stop, core.control_file), `events` (JSON lines, core.event_stream) and
    `log` (progress, messages and the error that ended it, for people)."""

    control: str
    events: str
    log: str

    @classmethod
    def in_folder(cls, folder: str) -> ChildFiles:
        return cls(*(os.path.join(folder, name) for name in ("control", "events.jsonl", "log.txt")))

    def flags(self) -> list[str]:
        return [
            "--events", "json", "--events-file", self.events,
            "--log-file", self.log, "--control-file", self.control,
        ]  # fmt: skip


def _flag_words(item: SettingField, value: object) -> list[str]:
    if value is None:
        return []  # an optional setting left empty (no weights file): its flag's default
    if item.kind is bool:
        return [item.flag if value else "--no-" + item.flag[2:]]
    if item.setting.auto is not None and value == item.setting.auto:
        # Its word: the number that stands for auto in the config ("--lr=0.0") is refused on
        # the command line (core.train.settings.parse_text), and every run failed.
        return [f"{item.flag}={item.setting.auto_word}"]
    # repr() of a float reads back as the same float; "=" keeps "-1" from looking like a flag.
    text = repr(value) if isinstance(value, float) else str(value)
    return [f"{item.flag}={text}"]


def train_arguments(config: TrainConfig) -> list[str]:
    """`train DATA --out RUN [--resume] --flag=value ...` for every setting of `config`. All of
    them, not only those changed from the defaults: a resumed run's own config.json may hold
    other values, and the child must train exactly what the window shows."""
    words = ["train", os.path.abspath(config.data_dir), "--out", os.path.abspath(config.out_dir)]
    if config.resume:
        words.append("--resume")
    values = flat_values(config)
    for item in setting_fields(TrainConfig):
        words += _flag_words(item, values[item.key])
    return words


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def main_program(
    frozen: bool | None = None, executable: str | None = None, console: bool = False
) -> list[str]:
    """How this installation runs one of main.py's commands, without the command: `python
    main.py`, or a bundle's own executable. `console`: the command talks over stdin/stdout,
    which a windowed Windows executable does not have reliably: there its console twin,
    loupe-cli.exe, where present."""
    frozen = is_frozen() if frozen is None else frozen
    executable = executable or sys.executable
    if not frozen:
        return [executable, MAIN_SCRIPT]
    console_exe = os.path.join(os.path.dirname(executable), "loupe-cli.exe")
    if console and sys.platform == "win32" and os.path.isfile(console_exe):
        return [console_exe]
    return [executable]


def child_command(
    config: TrainConfig,
    processes: int,
    files: ChildFiles,
    worker_device: str | None = WORKER_DEVICE,
    frozen: bool | None = None,
    executable: str | None = None,
) -> list[str]:
    """The command line that trains `config` in `processes` processes (1: one plain process,
    no launcher) on `worker_device` each (None: the config's own device), writing its events
    and messages into `files` and obeying their control file. `frozen`/`executable` default
    to this interpreter's (tests vary them)."""
    frozen = is_frozen() if frozen is None else frozen
    executable = executable or sys.executable
    if worker_device is not None:
        config = dataclasses.replace(config, device=worker_device)
    train = [*train_arguments(config), *files.flags()]
    program = main_program(frozen, executable)
    if processes <= 1:
        return [*program, *train]
    launcher = ["--standalone", f"--nproc-per-node={processes}"]
    if frozen:
        return [executable, LAUNCH_COMMAND, *launcher, "--no-python", executable, *train]
    return [executable, "-m", "torch.distributed.run", *launcher, MAIN_SCRIPT, *train]


def run_launcher(arguments: list[str]) -> int:
    """`main.py distributed-train ARGS`: torch.distributed.run's own command line, run in this
    process (what `python -m torch.distributed.run ARGS` does, for a bundle without python)."""
    from torch.distributed.run import main as torchrun_main

    try:
        torchrun_main(arguments)
    except SystemExit as exc:  # --help, or argparse refusing an argument
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except Exception as exc:  # a worker failed: torchrun has printed which and why
        print(f"loupe: error: distributed training failed: {exc}", file=sys.stderr)
        return 1
    return 0
