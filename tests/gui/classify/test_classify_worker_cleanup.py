"""Workers are deleted in their own thread as it ends, and let go of what they held (a loaded
model is GPU memory on CUDA) even while someone still has a reference to them."""

from __future__ import annotations

import gc
import threading
import weakref

import shiboken6

from gui.classify.classify_worker import BackgroundCall, ClassifyRunner


class FakeModel:
    """Stands for a LoadedModel: only its lifetime matters here (the folder is empty)."""


def test_classify_worker_is_deleted_and_drops_its_model(qtbot, tmp_path):
    runner = ClassifyRunner()
    model = FakeModel()
    gone = weakref.ref(model)
    runner.start("unused.safetensors", str(tmp_path), loaded_model=model)
    del model
    worker = runner._worker  # a caller that kept the worker
    with qtbot.waitSignal(runner.finished, timeout=60000) as blocker:
        pass
    assert blocker.args[0] == "finished", blocker.args
    qtbot.waitUntil(lambda: not shiboken6.isValid(worker), timeout=5000)
    gc.collect()
    assert gone() is None
    assert not runner.is_running()


def test_background_call_worker_is_deleted_and_drops_its_work(qtbot):
    held = FakeModel()
    gone = weakref.ref(held)
    call = BackgroundCall(lambda _progress, _stop, held=held: 42)
    del held
    worker = call._worker
    with qtbot.waitSignal(call.succeeded, timeout=10000) as blocker:
        call.start()
    assert blocker.args == [42]
    qtbot.waitUntil(lambda: not call.is_running(), timeout=5000)
    qtbot.waitUntil(lambda: not shiboken6.isValid(worker), timeout=5000)
    gc.collect()
    assert gone() is None
    call.request_stop()  # harmless after the end


def test_shutdown_waits_past_its_timeout(qtbot, tmp_path, monkeypatch):
    """Never returns with the thread running (destroying a running QThread aborts)."""
    import core.infer.inference

    def slow_load(path, device="auto"):
        threading.Event().wait(0.5)  # a big model on a slow disk: cannot be stopped
        return FakeModel()

    monkeypatch.setattr(core.infer.inference, "load_model_for_inference", slow_load)
    runner = ClassifyRunner()
    runner.start("unused.safetensors", str(tmp_path))
    thread = runner._thread
    with qtbot.waitSignal(runner.finished, timeout=10000):
        assert not runner.shutdown(timeout_ms=10)  # not in time, but ended
        assert thread.isFinished() and not runner.is_running()


def test_background_call_shutdown_lets_work_finish_then_stops_it(qtbot):
    started = threading.Event()

    def endless(_progress, should_stop):
        started.set()
        while not should_stop():
            threading.Event().wait(0.01)
        return "stopped"

    call = BackgroundCall(endless)
    call.start()
    assert started.wait(5)
    assert not call.shutdown(timeout_ms=50, stop=False)
    assert not call.is_running()
