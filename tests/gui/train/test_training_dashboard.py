"""TrainingDashboard on its own, fed made-up events: the run-info line and the progress text."""

from __future__ import annotations

import dataclasses

from core.events import RunStarted, StepEnded
from gui.demo.demo_data import demo_class_names, demo_predictions
from gui.train.training_dashboard import TrainingDashboard
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.prediction_grid import NOTHING_SAMPLED

RUN_DIR = "/home/someone/a/rather/long/workspace/folder/runs/20261128-172119-shapes-loupe_net"


def _run_started(run_dir: str = RUN_DIR, ceiling: bool = False) -> RunStarted:
    return RunStarted(
        run_dir=run_dir,
        config={"epochs": 6},
        dataset={},
        class_names=["circle", "ring", "star"],
        device="CPU (2 cores)",
        arch="loupe_net",
        param_count=491_623,
        train_images=646,
        val_images=162,
        steps_per_epoch=21,
        start_epoch=0,
        data_mode="cache",
        epochs_are_a_ceiling=ceiling,
    )


def test_run_info_stays_one_line_and_elides_the_path_in_the_middle(qtbot):
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.resize(700, 600)
    dash.show()
    dash.start_run("Training on /data/shapes → " + RUN_DIR)
    dash.on_event(_run_started())
    qtbot.waitUntil(lambda: dash.run_info.width() > 0)
    info = dash.run_info
    one_line = info.fontMetrics().height()
    assert info.height() < 2 * one_line
    text = info.text()
    assert text.startswith("loupe_net · 491,623 parameters")
    assert "…" in text and text.endswith("-loupe_net")  # the folder's own name stays
    assert info.fontMetrics().horizontalAdvance(text) <= info.width()
    assert info.toolTip() == info.full_text()  # the whole line, not only the path
    assert info.full_text().endswith(RUN_DIR)

    dash.resize(2400, 600)  # wide enough again: the whole path comes back
    qtbot.waitUntil(lambda: info.text() == info.full_text())


def test_elided_label_shortens_the_fixed_part_when_the_line_is_narrow(qtbot):
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.resize(200, 20)
    label.show()
    label.set_parts("a fixed part that is far too long to fit · ", "/some/long/path/run-name")
    assert label.text().startswith("a fixed") and label.text().endswith("name")
    assert label.text().count("…") == 2
    # Cut between words: "a fixed part…", never "a fixed pa…" (issue 9: "60 validation im…").
    kept = label.text().split("…")[0].rstrip()
    assert "a fixed part that is far too long to fit".startswith(kept)
    assert kept.split()[-1] in [
        "a",
        "fixed",
        "part",
        "that",
        "is",
        "far",
        "too",
        "long",
        "to",
        "fit",
    ]
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    assert label.minimumSizeHint().width() == 0  # never widens the window


def test_the_page_says_which_path_the_run_takes_and_flags_a_guessing_model(qtbot):
    from dataclasses import replace

    from core.events import RunFinished

    dashboard = TrainingDashboard()
    qtbot.addWidget(dashboard)
    dashboard.show()
    plan = (
        "Fine-tuning EfficientNet-Lite0 (ImageNet weights bundled) because these are photos and "
        "torchvision's mobilenet_v3_large weights are not downloaded (offline)."
    )
    dashboard.on_event(replace(_run_started(), plan=plan))
    notice = dashboard.run_notice
    assert notice.isVisible() and notice.text() == plan and notice.property("kind") == "plan"
    verdict = "This model is guessing: its best validation accuracy (20%) is about chance."
    dashboard.on_event(RunFinished("completed", "Finished.", RUN_DIR, 3, 0.2, 0, None, verdict))
    assert notice.property("kind") == "guessing" and verdict in notice.text()


def test_an_early_stop_sentence_is_cut_between_words_with_the_whole_in_its_tooltip(
    qtbot, dashboard_1280
):
    from core.events import RunFinished

    dash = dashboard_1280
    reason = (
        "Early stop: validation accuracy did not improve for 3 epochs (best 91.2 % in "
        "epoch 7); the best model is kept."
    )
    dash.on_event(RunFinished("early_stopped", reason, RUN_DIR, 10, 0.912, 6, None))
    details = dash.progress_details
    qtbot.waitUntil(lambda: details.width() > 0)
    shown = details.text()
    assert details.toolTip() == reason
    assert details.fontMetrics().horizontalAdvance(shown) <= details.width()
    if shown != reason:  # cut: at a word's end, never "(b"
        kept = shown.removesuffix("… ").rstrip()
        assert reason.startswith(kept) and reason[len(kept)] in " ·;,:", shown


def test_a_finished_runs_sentence_is_shown_whole_at_1280_px(qtbot, dashboard_1280):
    """It read "Completed 5 epochs; best validation accuracy…" in a 1280 px window."""
    from core.events import RunFinished

    dash = dashboard_1280
    bar_width = dash.progress_bar.width()
    reason = "Completed 5 epochs; best validation accuracy 88.3%; test accuracy 85.0%."
    dash.on_event(RunFinished("completed", reason, RUN_DIR, 5, 0.883, 2, "/r/m", test_acc=0.85))
    details = dash.progress_details
    qtbot.waitUntil(lambda: details.text() == reason)
    assert details.toolTip() == reason
    assert dash.progress_bar.width() >= dash.progress_bar.minimumSizeHint().width()
    dash.start_run()  # the next run's bar gets its room back
    qtbot.waitUntil(lambda: dash.progress_bar.width() == bar_width)


def test_a_long_matrix_filter_caption_wraps_instead_of_being_cut(qtbot):
    from gui.train.predictions_pane import PredictionsPane

    pane = PredictionsPane()
    qtbot.addWidget(pane)
    pane.resize(380, 500)
    pane.show()
    text = (
        "True circle, predicted as triangle: 5 of 60 sampled images (5 in the whole validation set)"
    )
    pane.filter_label.setText(text)
    label = pane.filter_label
    qtbot.waitUntil(lambda: label.width() > 0)
    assert label.wordWrap()
    assert label.heightForWidth(label.width()) > label.fontMetrics().height()  # two lines


def _step(epoch: int) -> StepEnded:
    return StepEnded(epoch, 3, epoch * 21 + 3, 21, 0.5, 0.01, 100.0, 60.0)


def test_auto_epochs_that_may_stop_early_read_up_to_n(qtbot):
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.start_run("Training")
    dash.on_event(_run_started(ceiling=True))
    dash.on_event(_step(2))
    dash._update_progress()
    assert dash.progress_bar.format().startswith("Epoch 3 of up to 6 · step 4/21")
    assert dash.status_label.text() == "training — epoch 3 of up to 6"

    dash.start_run("Training again")  # epochs set by the user: all of them run
    dash.on_event(dataclasses.replace(_run_started(), epochs_are_a_ceiling=False))
    dash.on_event(_step(2))
    dash._update_progress()
    assert dash.progress_bar.format().startswith("Epoch 3/6 · step 4/21")
    assert dash.status_label.text() == "training — epoch 3 of 6"


def test_pressing_train_holds_the_notices_place_before_the_plan_arrives(qtbot):
    """The notice appearing with the plan pushed the live plots down mid-run (a 4K window
    stalled re-laying them out): it now takes its place when the run is requested, and a run
    that fails before it starts leaves no 'preparing' sentence behind."""
    from dataclasses import replace

    from core.events import RunFinished

    dashboard = TrainingDashboard()
    qtbot.addWidget(dashboard)
    dashboard.show()
    notice = dashboard.run_notice
    dashboard.start_run("Training on /data/digits → /runs/r1")  # as the Train page does

    def plots_top() -> int:
        qtbot.wait(20)  # the layout settles in the event loop
        return dashboard.plots.mapTo(dashboard, dashboard.plots.rect().topLeft()).y()

    assert notice.isVisible() and notice.property("kind") == "preparing"
    before = plots_top()
    dashboard.on_event(replace(_run_started(), plan="Training loupe_net_slim from scratch."))
    assert notice.property("kind") == "plan"
    assert plots_top() == before
    dashboard.start_run()
    dashboard.on_event(RunFinished("failed", "No images in /x.", RUN_DIR, 0, None, None, None))
    assert not notice.isVisible()


def test_before_the_first_epoch_the_predictions_caption_says_when_they_come(qtbot):
    # It read "All 0 sampled images" once Train was pressed, as if the run had sampled nothing.
    dashboard = TrainingDashboard()
    qtbot.addWidget(dashboard)
    dashboard.resize(900, 700)
    dashboard.show()
    qtbot.waitExposed(dashboard)
    dashboard.start_run("Training on /data → /runs/r1")
    # Said once, in the empty grid: the line above it said the very same words.
    pane = dashboard.predictions
    assert pane.filter_label.text() == ""
    assert pane.grid.placeholder_text() == NOTHING_SAMPLED
    assert NOTHING_SAMPLED == "Predictions appear here after the first epoch"
    # The first epoch's line does not push the tiles down.
    top = pane.grid.y()
    names = demo_class_names(3)
    dashboard.on_event(demo_predictions(names, epoch=0))
    assert pane.filter_label.text().startswith("All ") and pane.grid.y() == top
