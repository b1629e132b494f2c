"""gui.jobs: one generator-running worker for every background job. Each test is one of
its promises: events arrive in order on one signal, exactly one JobEnded, pause/stop at
every yield, cancelled jobs stay silent, no QThread destroyed while running, the job's
references go with the run."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest
import shiboken6

from gui.jobs import JobEnded, JobProgress, JobRunner, call_job, live_threads

pytestmark = pytest.mark.usefixtures("qapp")


def _record(runner: JobRunner) -> list:
    seen: list = []
    runner.event.connect(seen.append)
    return seen


def _ended(qtbot, runner: JobRunner, seen: list, timeout: int = 10_000) -> JobEnded:
    qtbot.waitUntil(lambda: any(isinstance(e, JobEnded) for e in seen), timeout=timeout)
    ended = [e for e in seen if isinstance(e, JobEnded)]
    assert len(ended) == 1 and seen[-1] is ended[0], seen
    assert not runner.is_running()  # a new job may start from the JobEnded slot
    return ended[0]


def test_events_arrive_in_order_then_one_job_ended_with_the_result(qtbot):
    def job(control):
        yield from range(500)
        return "all done"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(job)
    ended = _ended(qtbot, runner, seen)
    assert seen[:-1] == list(range(500))
    assert ended.status == "finished" and ended.result == "all done"


def test_thousands_of_events_do_not_crash_pyside(qtbot):
    # PySide6 6.12 crashed after a few hundred emits (ENVIRONMENT.md): keep this volume.
    def job(control):
        yield from range(5000)

    runner = JobRunner()
    seen = _record(runner)
    runner.start(job)
    _ended(qtbot, runner, seen, timeout=30_000)
    assert len(seen) == 5001


def test_a_crash_ends_as_failed_with_one_sentence(qtbot):
    def job(control):
        yield "first"
        raise RuntimeError("boom")

    runner = JobRunner()
    seen = _record(runner)
    runner.start(job)
    ended = _ended(qtbot, runner, seen)
    assert seen[0] == "first"
    assert ended.status == "failed" and "RuntimeError: boom" in ended.message
    assert isinstance(ended.error, RuntimeError)


def test_a_job_that_fails_before_its_first_yield_is_still_reported(qtbot):
    def job(control):
        raise OSError(2, "No such file or directory", "/gone")
        yield

    runner = JobRunner()
    seen = _record(runner)
    runner.start(job)
    time.sleep(0.2)  # the job has failed before the GUI thread looks
    ended = _ended(qtbot, runner, seen)
    assert ended.status == "failed" and ended.message == "/gone: No such file or directory"


def _endless(control):
    step = 0
    while True:
        yield step
        step += 1
        time.sleep(0.002)


def test_pause_holds_the_job_at_a_yield_and_resume_continues(qtbot):
    runner = JobRunner()
    seen = _record(runner)
    runner.start(_endless)
    qtbot.waitUntil(lambda: len(seen) > 3, timeout=10_000)
    runner.pause()
    qtbot.wait(200)  # an event in flight may still land
    held = len(seen)
    qtbot.wait(300)
    assert len(seen) == held, "events kept coming while paused"
    runner.resume()
    qtbot.waitUntil(lambda: len(seen) > held + 3, timeout=10_000)
    runner.request_stop()
    assert _ended(qtbot, runner, seen).status == "stopped"


def test_a_stop_while_paused_ends_the_job(qtbot):
    runner = JobRunner()
    seen = _record(runner)
    runner.start(_endless)
    qtbot.waitUntil(lambda: len(seen) > 1, timeout=10_000)
    runner.pause()
    runner.request_stop()
    assert _ended(qtbot, runner, seen).status == "stopped"


def test_a_job_that_ends_itself_says_its_last_words_after_a_stop(qtbot):
    def polite(control):
        while not control.stop_requested:
            yield "working"
            time.sleep(0.002)
        yield "saved the best model"
        return "stopped after 3 epochs"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(polite, stop_at_yield=False)
    qtbot.waitUntil(lambda: len(seen) > 2, timeout=10_000)
    runner.request_stop()
    ended = _ended(qtbot, runner, seen)
    assert seen[-2] == "saved the best model"
    assert ended.status == "stopped" and ended.result == "stopped after 3 epochs"


def test_a_cancelled_job_is_silent_and_a_new_one_starts_at_once(qtbot):
    release = threading.Event()

    def slow(control):
        release.wait(5)
        yield "late result of the old job"
        return "old"

    def quick(control):
        yield "new"
        return "new"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(slow)
    runner.cancel()
    runner.start(quick)
    release.set()
    ended = _ended(qtbot, runner, seen)
    qtbot.wait(200)  # the old job's thread ends meanwhile: nothing of it may arrive
    assert seen == ["new", ended] and ended.result == "new"
    runner.shutdown()
    assert live_threads() == 0


def test_a_cancelled_jobs_end_never_ends_the_new_job_before_its_events(qtbot):
    # Regression: the old thread's `finished` was handled while the new job's thread had
    # ended but its events still waited in the queue behind it; the new job was reported
    # "failed: The job ended without a result." and its events were dropped.
    release = threading.Event()

    def slow(control):
        release.wait(5)
        yield "late result of the old job"

    def quick(control):
        yield "new"
        return "new"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(slow)
    old_thread = runner.thread
    runner.cancel()
    release.set()
    assert old_thread.wait(5000)  # its `finished` is now queued, not yet handled
    runner.start(quick)
    assert runner.thread.wait(5000)  # the new job's events are queued behind it
    ended = _ended(qtbot, runner, seen)
    assert seen == ["new", ended] and ended.status == "finished" and ended.result == "new"
    runner.shutdown()


def test_shutdown_waits_past_its_timeout_and_never_leaves_a_running_thread(qtbot):
    started = threading.Event()

    def unstoppable(control):
        yield from ()
        started.set()
        threading.Event().wait(0.5)  # a big model on a slow disk: cannot be interrupted
        return "loaded"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(unstoppable)
    thread = runner.thread
    assert started.wait(5)
    assert not runner.shutdown(timeout_ms=10)  # not in time, but ended
    assert thread.isFinished() and not runner.is_running()
    assert [type(e) for e in seen] == [JobEnded]
    assert runner.shutdown() is True  # idempotent


def test_a_runner_deleted_while_its_job_runs_does_not_abort(qtbot):
    release = threading.Event()

    def job(control):
        yield from ()
        release.wait(5)

    runner = JobRunner()
    runner.start(job)
    thread = runner.thread
    shiboken6.delete(runner)  # a page closed without shutdown(): the keeper holds the thread
    gc.collect()
    release.set()
    qtbot.waitUntil(lambda: live_threads() == 0, timeout=10_000)
    assert thread.isFinished()


def test_the_worker_is_deleted_and_drops_what_the_job_held(qtbot):
    class Model:
        """Stands for a loaded model: only its lifetime matters (GPU memory on CUDA)."""

    held = Model()
    gone = weakref.ref(held)
    runner = JobRunner()
    seen = _record(runner)
    runner.start(call_job(lambda control, held=held: 42))
    worker = weakref.ref(runner._worker)
    del held
    assert _ended(qtbot, runner, seen).result == 42
    gc.collect()
    assert worker() is None and gone() is None  # freed in the GUI thread once it ended


def test_call_job_reports_throttled_progress_and_honours_stop(qtbot):
    started = threading.Event()

    def work(control):
        progress = control.progress_callback(interval_s=10)  # only the last one gets through
        for i in range(1, 101):
            progress(i, 100)
        started.set()
        while not control.stop_requested:
            threading.Event().wait(0.01)
        return "stopped between files"

    runner = JobRunner()
    seen = _record(runner)
    runner.start(call_job(work))
    assert started.wait(5)
    runner.request_stop()
    ended = _ended(qtbot, runner, seen)
    assert JobProgress(100, 100) in seen and len(seen) <= 3
    assert ended.status == "stopped" and ended.result == "stopped between files"
