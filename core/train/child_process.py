"""A training process started by the window, with everything it starts in turn: the
torch.distributed.run launcher, its workers (each in a session of its own) and their data
loader workers. `end()` asks politely first (SIGTERM to the launcher's group: torchrun
passes it on to its workers), then kills the whole tree, so no process outlives the run.

The tree is read from /proc on Linux and from `ps` on macOS; on Windows the launcher gets
CTRL_BREAK and then `taskkill /T /F` ends its tree. Plain Python: no torch."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

WINDOWS = sys.platform == "win32"


def _parents() -> dict[int, int]:
    """{pid: parent pid} of every process this user can see."""
    parents: dict[int, int] = {}
    if os.path.isdir("/proc"):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue  # ended meanwhile
            # "pid (command) state ppid ...": the command may hold spaces and parentheses.
            fields = stat[stat.rfind(b")") + 2 :].split()
            parents[int(name)] = int(fields[1])
        return parents
    try:
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return parents
    for line in out.splitlines():
        pid, _, ppid = line.strip().partition(" ")
        if pid.isdigit() and ppid.strip().isdigit():
            parents[int(pid)] = int(ppid.strip())
    return parents


def descendants(pid: int) -> set[int]:
    """Every process started by `pid`, directly or not."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
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
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass  # no /proc (macOS, Windows): ask the system
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _send(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


class ChildProcess:
    """`command` running with its stdout and stderr piped (text, UTF-8) and no stdin."""

    def __init__(self, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        options: dict[str, Any] = {}
        if WINDOWS:
            options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            options["start_new_session"] = True  # its own process group: one signal reaches it
        self.popen = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=env,
            **options,
        )
        self.pid = self.popen.pid
        self.seen: set[int] = {self.pid}  # every process of the tree seen so far
        self.terminated = False  # end() had to signal it
        self.killed = False

    def running(self) -> bool:
        return self.popen.poll() is None

    def tree(self) -> set[int]:
        """The launcher and every process it started that still runs. Remembered: a worker
        whose launcher died is re-parented and would otherwise be lost from sight."""
        if self.running():
            self.seen |= descendants(self.pid)
        return {pid for pid in self.seen if pid == self.pid and self.running() or is_alive(pid)}

    def terminate(self) -> None:
        """Ask the whole tree to end (torchrun ends its workers on SIGTERM)."""
        alive = self.tree()
        self.terminated = True
        if not self.running():  # the launcher is gone: what is left gets the signal itself
            for pid in alive:
                _send(pid, signal.SIGTERM)
            return
        if WINDOWS:
            with contextlib.suppress(OSError):
                self.popen.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
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
