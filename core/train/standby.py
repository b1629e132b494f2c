"""A training process on standby: started before the Train click, it imports torch and the
engine (about 1.5 s of the 2 s a run takes to its first step on 2 cores) and then waits, idle,
for its command; handed one, it trains exactly as `main.py train ...` would, as the window's
child process (core.train.child_run). The window keeps one ready while nothing trains (once
its Train page has been shown), so its runs start that much sooner. Each standby runs one command and ends; the window starts the
next one after the run.

Window side (`Standby`, plain Python, no torch): `start()` when the Train page is shown, once
torch has loaded in the window (the two imports would share the cores), and after each run; `take(command, env)` hands a
one-process `train` command to the standby and returns its ChildProcess, or None when there is
none ready or the command needs another (torchrun, another program or environment): then the
caller starts a process of its own. `end()` when the window closes.

Process side (`main.py train-standby`, `run_standby`): imports, reads one line from stdin (a
JSON list: the train command's arguments) and runs it. A closed stdin without a line (the
window closed or crashed) ends it at once.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence

from core.train.child_process import ChildProcess, child_environment
from core.train.launch import is_frozen, main_program

STANDBY_COMMAND = "train-standby"  # main.py's hidden entry
# Tests turn this off (each window would otherwise load torch a second time in the
# background); the standby's own tests turn it on.
START_AHEAD = True


class Standby:
    """At most one training process on standby. `start` and `end` from the window's thread,
    `take` from a run's job thread."""

    def __init__(self, program: Sequence[str] | None = None) -> None:
        self.program = list(program) if program else main_program()  # as child_command's
        # A windowed Windows bundle has no reliable standard input: its runs start cold.
        self.supported = program is not None or not (sys.platform == "win32" and is_frozen())
        self._lock = threading.Lock()
        self._child: ChildProcess | None = None
        self._env: dict[str, str] | None = None

    def ready(self) -> bool:
        with self._lock:
            return self._child is not None and self._child.running()

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._child.pid if self._child is not None else None

    def start(self, env: dict[str, str] | None = None) -> None:
        """Start a standby unless one is ready (or START_AHEAD is off); `env`: the
        environment its run will need (child_environment() by default)."""
        env = child_environment() if env is None else env
        if not (START_AHEAD and self.supported):
            return
        with self._lock:
            if self._child is not None and self._child.running():
                return
            dead, self._child = self._child, None
        if dead is not None:
            dead.end(0)
        child = ChildProcess(
            [*self.program, STANDBY_COMMAND], env=env, lower_priority=True, command_on_stdin=True
        )
        with self._lock:
            self._child, self._env = child, dict(env)

    def take(self, command: Sequence[str], env: dict[str, str]) -> ChildProcess | None:
        """The standby, now running `command`; None where it cannot (see the module)."""
        prefix = len(self.program)
        if list(command[:prefix]) != self.program or command[prefix : prefix + 1] != ["train"]:
            return None
        with self._lock:
            child, self._child = self._child, None
            same_env = self._env == env
        if child is None:
            return None
        if not same_env or not child.running() or not child.send_command(list(command[prefix:])):
            child.end(0)
            return None
        return child

    def end(self) -> None:
        """End the standby, if any: it holds nothing worth waiting for."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.end(0)


def run_standby() -> int:
    """`main.py train-standby`: import the engine, wait for the command, run it."""
    import core.cli.commands  # noqa: F401  the command line and, below, torch with the engine
    import core.train.loop  # noqa: F401

    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line.strip():
        return 0  # the window went away before it had a run for us
    try:
        argv = json.loads(line)
    except ValueError:
        argv = None
    words = isinstance(argv, list) and all(isinstance(word, str) for word in argv)
    if not words or argv[:1] != ["train"]:
        print(f"loupe: error: {STANDBY_COMMAND} expects a train command, not {line.strip()!r}")
        return 2
    from core.cli.commands import run_cli

    return run_cli(argv)
