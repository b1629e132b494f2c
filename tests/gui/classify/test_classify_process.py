"""The Classify page classifies in a process of its own (core.infer.classify_process): the
window's process never decodes or infers, the results are core.infer's, closing the page
mid-run leaves no process, and a process that dies says so on the page."""

from __future__ import annotations

import sys
import textwrap

import pytest

import core.infer.inference as inference
from core.infer.classify_process import ClassifyProcess
from core.train.child_process import is_alive
from gui.classify.classify_job import ResultsBatch
from tests.gui.classify.classify_helpers import classify


def test_the_page_classifies_in_another_process_with_core_infers_results(
    qtbot, view, photos, workspace, monkeypatch
):
    folder, corrupt = photos
    expected = list(
        inference.classify_paths(
            inference.load_model_for_inference(str(workspace / "shapes-run"), "cpu"),
            inference.list_images(str(folder)),
        )
    )

    def refuse(*_args, **_kwargs):
        raise AssertionError("the window's process classified an image")

    # Nothing in the window's process may decode or infer: the results must come from elsewhere.
    monkeypatch.setattr(inference, "classify_paths", refuse)
    monkeypatch.setattr(inference, "logit_batches", refuse)
    view.set_device("cpu")
    status, message = classify(qtbot, view, folder)
    assert status == "finished", message
    got = {r.path: r for r in view.results_model.results()}
    want = {r.path: r for r in expected if hasattr(r, "top_k")}
    assert sorted(got) == sorted(want)
    for path, result in got.items():  # same labels, same ranking, same confidences
        assert result.label == want[path].label
        assert [name for name, _ in result.top_k] == [name for name, _ in want[path].top_k]
        # Equal here to the last bit; another thread count may move the last digits.
        assert [p for _, p in result.top_k] == pytest.approx([p for _, p in want[path].top_k])
    reasons = {r.path: r.reason for r in expected if hasattr(r, "reason")}
    assert {u.path: u.reason for u in view.unreadable()} == reasons
    assert set(reasons) == {str(p) for p in corrupt}
    process = view.kept_model.process
    assert process.running() and is_alive(process.pid)  # kept warm for the next run


def test_closing_the_page_mid_run_leaves_no_process(qtbot, view, tmp_path):
    from tests.core.image_factory import make_shapes_dataset

    folder = make_shapes_dataset(tmp_path / "many", per_class=60, size=64, seed=3, ext=".jpg")
    view.kept_model.process = ClassifyProcess()  # its own: this test ends it
    view.set_folder(str(folder))
    with qtbot.waitSignal(
        view.runner.event, check_params_cb=lambda e: isinstance(e, ResultsBatch), timeout=60_000
    ):
        assert view.start()
    pid = view.kept_model.process.pid
    assert pid is not None and is_alive(pid)
    view.shutdown()  # what closing the window does
    assert not view.is_running()
    assert not is_alive(pid)


FAKE_WORKER = textwrap.dedent(
    """
    import sys
    sys.stdin.readline()
    sys.stdout.write('{"type":"listed","count":5}\\n')
    sys.stdout.flush()
    sys.stderr.write("MemoryError: cannot allocate 2 GiB for the batch\\n")
    sys.exit(3)
    """
)


def test_a_classification_process_that_dies_says_so_on_the_page(qtbot, view, photos):
    view.kept_model.process = ClassifyProcess([sys.executable, "-c", FAKE_WORKER])
    status, message = classify(qtbot, view, photos[0])
    assert status == "failed"
    assert message == (
        "The classification process ended (exit code 3) unexpectedly after 0 of 5 images: "
        "MemoryError: cannot allocate 2 GiB for the batch"
    )
    assert view.status_label.text() == message
    assert view.classify_button.isEnabled() and not view.cancel_button.isEnabled()
