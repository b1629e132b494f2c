"""The classification process's plumbing without torch: its messages read back exactly, it
ends when the window's side closes its stdin, a process that died while idle is replaced, and
the command that starts it from source and from a bundle."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from core.control import RunControl
from core.infer.classify_process import ClassifyProcess, worker_command
from core.infer.classify_run import ClassifyRequest, ImagesListed, ModelLoaded, ResultsBatch
from core.infer.classify_wire import (
    RunEnded,
    RunFailed,
    WireError,
    decode_event,
    decode_request,
    encode_event,
    encode_request,
)
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from core.train.launch import MAIN_SCRIPT
from core.worker_wire import NICENESS


def test_events_and_requests_read_back_exactly():
    top = (("cät", 0.1 + 0.2), ("dog", 1e-300), ("bird", 2 / 3))
    batch = ResultsBatch(
        [ClassifiedImage("/ph otos/ü.jpg", "cät", 0.1 + 0.2, top)],
        [UnreadableImage("/x/bad.jpg", "truncated")],
        ClassifyProgress(2, 9, 1234.5, 0.25, "The CUDA ran out of memory at batch size 64."),
    )
    for event in (batch, ImagesListed(9), ModelLoaded("/runs/a", "cuda:1"),
                  RunEnded("Stopped: 1 of 9 images classified."), RunFailed("No model.")):  # fmt: skip
        line = encode_event(event)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode_event(line) == event
    request = ClassifyRequest("/runs/a", "/photos", False, "cuda:1", 16)
    assert decode_request(encode_request(request)) == request
    with pytest.raises(WireError, match="Not a message of the classification process"):
        decode_event(b"Warning: something printed\n")


def test_the_command_runs_main_py_from_source_and_the_executable_in_a_bundle():
    assert worker_command(frozen=False, executable="/py") == ["/py", MAIN_SCRIPT, "classify-worker"]
    assert worker_command(frozen=True, executable="/app/Loupe") == ["/app/Loupe", "classify-worker"]


def test_the_worker_ends_when_the_window_side_closes_its_stdin():
    worker = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    worker.stdin.close()  # the window closed, or died
    assert worker.wait(timeout=60) == 0
    assert worker.stdout.read() == b""  # nothing but messages on stdout, and no message
    worker.stdout.close()


ANSWER_ONCE = textwrap.dedent(
    """
    import sys
    sys.stdin.readline()
    print('{"type":"listed","count":0}')
    print('{"type":"ended","message":"No images found in this folder."}', flush=True)
    """
)


def test_a_process_that_died_while_idle_is_replaced_by_a_new_one():
    process = ClassifyProcess([sys.executable, "-c", ANSWER_ONCE])  # answers one run, exits
    request = ClassifyRequest("/runs/a", "/photos")
    try:
        for _ in range(2):
            run = process.classify(request, RunControl())
            assert next(run) == ImagesListed(0)
            with pytest.raises(StopIteration) as end:
                next(run)
            assert end.value.value == "No images found in this folder."
            process._popen.wait(timeout=30)  # gone before the next run
    finally:
        process.end()
    assert not process.running()


SAY_PID = textwrap.dedent(
    """
    import os, sys
    for line in sys.stdin:
        print('{"type":"listed","count":1}', flush=True)
        print('{"type":"ended","message":"pid %d"}' % os.getpid(), flush=True)
    """
)


def test_a_run_abandoned_half_way_leaves_nothing_for_the_next_run():
    process = ClassifyProcess([sys.executable, "-c", SAY_PID])
    try:
        run = process.classify(ClassifyRequest("/runs/a", "/photos"), RunControl())
        assert next(run) == ImagesListed(1)
        first_pid = process.pid
        run.close()  # its "ended" is still in the pipe: the next run must not take it
        run = process.classify(ClassifyRequest("/runs/a", "/photos"), RunControl())
        assert next(run) == ImagesListed(1)
        with pytest.raises(StopIteration) as end:
            next(run)
        assert end.value.value == f"pid {process.pid}" and process.pid != first_pid
    finally:
        process.end()


@pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"), reason="Linux autogroups only")
def test_the_worker_yields_the_cpu_to_the_window_under_linux_autogroups():
    # In a session (an autogroup) of its own, os.nice alone left the worker an equal share
    # of the CPU beside the window's GUI thread: its autogroup is lowered too.
    # The window's own autogroup reads empty when it is the root one (a container, a service).
    with open("/proc/self/autogroup") as ours:
        own_before = ours.read()
    process = ClassifyProcess()
    process.start()
    try:
        said = ""
        for _ in range(200):  # the worker lowers itself first thing, before it serves
            with open(f"/proc/{process.pid}/autogroup") as autogroup:
                said = autogroup.read()
            if said.split()[-1:] == [str(NICENESS)]:
                break
            time.sleep(0.05)
        assert said.split()[-1] == str(NICENESS)
        with open("/proc/self/autogroup") as ours:
            own = ours.read()
        assert own == own_before  # the window's group is untouched
        assert not own or said.split()[0] != own.split()[0]  # the worker has a group of its own
        assert os.getpriority(os.PRIO_PROCESS, process.pid) > os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        process.end()
