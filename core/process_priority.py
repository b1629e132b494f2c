"""Lower a background process's share of the CPU below the window's, on Linux autogroups too.

With autogroups on (most desktop kernels) the scheduler first shares the CPU equally between
sessions, whatever the nice values of their threads; the window starts its training and
classification processes in sessions of their own (one signal reaches each whole group), so
os.nice alone left each an equal share beside the window's GUI thread: the classification
process ran ~500 ms inside 800 ms of the window's 4K stalls, ~70 ms with its autogroup
lowered (benchmarks/README.md). Lowering a session leader's autogroup does what
BELOW_NORMAL_PRIORITY_CLASS does on Windows. Raising a nice value needs no privilege. Plain
Python: no torch, no Qt.

Threads of the window's own process that do background work (thumbnail decoding) are lowered
one by one (lower_this_thread): at the same priority the GUI thread shared a core with them
half and half, and waited 15-20 ms for it inside its longest stalls maximised on 4K."""

from __future__ import annotations

import os
import sys
import threading


def lower_autogroup(niceness: int, pid: int | None = None) -> bool:
    """Give the autogroup of `pid` (this process by default) `niceness`; True when it was
    set. Only a session's leader's: a process started from a terminal (in the terminal's
    session) leaves that session alone."""
    pid = os.getpid() if pid is None else pid
    try:
        if os.getsid(pid) != pid:
            return False
        with open(f"/proc/{pid}/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))
    except (OSError, AttributeError):  # no autogroups (kernel option, other systems)
        return False
    return True


def lower_this_thread(niceness: int) -> bool:
    """Run the calling thread `niceness` lower than the process's main thread (Linux, where
    each thread has its own nice value); True when it was lowered. Calling it again changes
    nothing: a pool thread's Python state (and any thread-local "done" flag) can be made
    anew for each task, and lowering relative to the thread's own value crept to 19.
    Elsewhere a thread id is not a process id that setpriority understands: nothing is done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        main = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's id is the pid
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, main + niceness))
    except OSError:
        return False
    return True
