"""A training process started by the window, with everything it starts in turn: the
torch.distributed.run launcher, its workers (each in a session of its own) and their data
loader workers. `end()` asks politely first (SIGTERM to the launcher's group: torchrun
passes it on to its workers), then kills the whole tree, so no process outlives the run.

Processes are known by their id and start time, so an id the system has given to another
program since is never signalled. The tree is read from /proc on Linux and from `ps` on
macOS; on Windows the launcher gets CTRL_BREAK and then `taskkill /T /F` ends its tree.
Plain Python: no torch."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from core.process_priority import lower_autogroup

WINDOWS = sys.platform == "win32"

# How much lower than the window a training process runs (Unix niceness; "below normal" on
# Windows): when training keeps every core busy, the window's GUI thread still gets a core
# at once, and the user's other programs before the training. Training loses nothing while
# nothing else wants the CPU.
NICENESS = 5

# {pid: (parent pid, start time)} of the running processes (zombies left out).
Snapshot = dict[int, tuple[int, str]]


def _proc_snapshot() -> Snapshot:
    found: Snapshot = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # "pid (command) state ppid ... starttime ...": the command may hold spaces and ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] != b"Z":
            found[int(name)] = (int(fields[1]), fields[19].decode())
    return found


def _ps_snapshot() -> Snapshot:
    found: Snapshot = {}
    try:
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "lstart="],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return found
    for line in out.splitlines():
        words = line.split(None, 3)
        if len(words) == 4 and words[0].isdigit() and words[1].isdigit() and "Z" not in words[2]:
            found[int(words[0])] = (int(words[1]), words[3].strip())
    return found


def snapshot() -> Snapshot:
    """The processes this user can see, running now."""
    return _proc_snapshot() if os.path.isdir("/proc") else _ps_snapshot()


def descendants(pid: int, processes: Snapshot | None = None) -> set[int]:
    """Every process started by `pid`, directly or not."""
    children: dict[int, list[int]] = {}
    for child, (parent, _start) in (processes or snapshot()).items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def is_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, ended but not yet collected by its parent, does not)."""
    return pid in snapshot()


def _send(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _lower_priority(pid: int) -> None:
    """`pid` and every thread and process it starts from now on run NICENESS lower than this
    process. Called at once after the start: the interpreter has not started threads yet
    (Linux's niceness is per thread; new threads and processes inherit it)."""
    with contextlib.suppress(OSError, AttributeError):
        here = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, here + NICENESS))
    # Its own session is its own autogroup on Linux: without this, the niceness above made
    # no difference beside the window (core.process_priority).
    lower_autogroup(NICENESS, pid)


def child_environment() -> dict[str, str]:
    """The environment of a training process the window starts."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # stderr lines arrive as written
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


class ChildProcess:
    """`command` running with its stdout and stderr on one pipe (text, UTF-8), no stdin;
    with `lower_priority`, below this process's priority (NICENESS). With `command_on_stdin`,
    a process that waits for its command (core.train.standby): `send_command` gives it."""

    def __init__(
        self,
        command: Sequence[str],
        env: dict[str, str] | None = None,
        lower_priority: bool = False,
        command_on_stdin: bool = False,
    ) -> None:
        options: dict[str, Any] = {}
        if WINDOWS:
            flags = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
            if lower_priority:
                flags |= subprocess.BELOW_NORMAL_PRIORITY_CLASS  # type: ignore[attr-defined]
            options["creationflags"] = flags
        else:
            options["start_new_session"] = True  # its own process group: one signal reaches it
        self.popen = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE if command_on_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=env,
            **options,
        )
        self.pid = self.popen.pid
        if lower_priority and not WINDOWS:
            _lower_priority(self.pid)
        self.seen: dict[int, str] = {}  # every process of the tree seen so far: its start time
        self.terminated = False  # end() had to signal it
        self.killed = False

    def running(self) -> bool:
        return self.popen.poll() is None

    def send_command(self, argv: Sequence[str]) -> bool:
        """Hand a waiting process its command (one JSON line) and close its stdin; False when
        it can no longer read it (it ended)."""
        stdin = self.popen.stdin
        if stdin is None or stdin.closed:
            return False
        try:
            stdin.write(json.dumps(list(argv)) + "\n")
            stdin.close()
        except (OSError, ValueError):
            return False
        return True

    def tree(self) -> set[int]:
        """The processes of the tree that still run: the launcher and what it started.
        Remembered: a worker whose launcher died is re-parented, but still ended."""
        processes = snapshot()
        if self.running():
            for pid in {self.pid} | descendants(self.pid, processes):
                if pid in processes:
                    self.seen.setdefault(pid, processes[pid][1])
        alive = {pid for pid, start in self.seen.items() if processes.get(pid, (0, ""))[1] == start}
        if self.running():  # also where the system cannot be read (Windows without `ps`)
            alive.add(self.pid)
        return alive

    def terminate(self) -> None:
        """Ask the whole tree to end (torchrun ends its workers on SIGTERM)."""
        alive = self.tree()
        self.terminated = True
        if WINDOWS:
            with contextlib.suppress(OSError):
                self.popen.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            return
        if not self.running():  # the launcher is gone: what is left gets the signal itself
            for pid in alive:
                _send(pid, signal.SIGTERM)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        """End every process of the tree now."""
        alive = self.tree()
        self.killed = True
        if WINDOWS:
            subprocess.run(["taskkill", "/PID", str(self.pid), "/T", "/F"], capture_output=True)
            return
        if self.running():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        for pid in alive - {self.pid}:  # torchrun's workers each run in a session of their own
            _send(pid, signal.SIGKILL)

    def end(self, terminate_grace_s: float) -> None:
        """Make sure nothing of the tree runs any more: SIGTERM, then after
        `terminate_grace_s` SIGKILL; returns once the launcher has been collected."""
        if self.tree():
            self.terminate()
            deadline = time.monotonic() + terminate_grace_s
            while self.tree() and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.tree():
            self.kill()
        self.popen.wait()
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
