"""The Train page says which epoch its confusion matrix and per-class table are from, next
to the saved model's: a run whose best epoch was 3 of 5 showed "best validation accuracy
88.3 %" above a matrix and table of epoch 5 (86.7 %) without a word."""

from __future__ import annotations

import dataclasses

from core.events import RunFinished
from gui.demo.demo_data import demo_class_names, demo_epochs
from gui.train.train_page_model import evaluation_note

NAMES = demo_class_names(4)


def _epochs_best_at(best: int, count: int = 5):
    """`count` epochs whose best validation accuracy is epoch `best` (0-based)."""
    epochs = demo_epochs(NAMES, epochs=count)
    return [dataclasses.replace(ev, is_best=ev.epoch <= best) for ev in epochs]


def test_the_matrix_and_table_say_they_are_the_last_epoch_not_the_saved_model(dashboard_1280):
    dash = dashboard_1280
    dash._class_names = NAMES
    note = dash.evaluation.note
    assert not note.isVisible()  # nothing to label before the first epoch
    epochs = _epochs_best_at(2)
    for ev in epochs[:3]:
        dash.on_event(ev)
    assert note.isVisible() and note.text() == "Epoch 3: the best so far, the saved model."
    for ev in epochs[3:]:
        dash.on_event(ev)
    assert note.text() == "Epoch 5; the saved model is the best so far, from epoch 3."
    dash.on_event(RunFinished("completed", "Completed 5 epochs.", "/r", 5, 0.9, 2, "/r/m"))
    assert note.text() == "Epoch 5 (the last); the saved model is the best, from epoch 3."
    assert dash.tabs.currentWidget() is dash.matrix and note.isVisible()
    dash.tabs.setCurrentWidget(dash.class_table)
    assert note.isVisible()
    dash.tabs.setCurrentWidget(dash.log)
    assert not note.isVisible()  # the log is not an epoch's evaluation
    dash.tabs.setCurrentWidget(dash.matrix)
    dash.start_run()  # a new run: no epoch yet
    assert not note.isVisible()


def test_the_note_for_a_resumed_run_and_for_a_last_epoch_that_is_the_best():
    assert evaluation_note(4, 4, True) == "Epoch 5 (the last): the best, the saved model."
    assert evaluation_note(7, None, True) == (
        "Epoch 8 (the last); the saved model is the best, from an earlier epoch."
    )
