"""The dashboard rebuilds a hidden tab when it is shown, not at every epoch."""

from __future__ import annotations

from gui.demo.demo_data import demo_class_names, demo_epochs
from gui.train.training_dashboard import TrainingDashboard

NAMES = demo_class_names(4)


def _dashboard(qtbot) -> TrainingDashboard:
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.resize(1200, 800)
    dash.show()
    qtbot.waitExposed(dash)
    dash.start_run()
    dash._class_names = NAMES
    return dash


def test_a_hidden_tab_is_refreshed_when_shown(qtbot):
    dash = _dashboard(qtbot)
    assert dash.tabs.currentWidget() is dash.matrix
    epochs = demo_epochs(NAMES, epochs=3)
    for ev in epochs:
        dash.on_event(ev)
    assert dash.matrix.model().rowCount() == len(NAMES)  # visible: up to date at once
    table = dash.class_table.metrics_model
    assert table.rowCount() == 0  # hidden: not rebuilt three times
    dash.tabs.setCurrentWidget(dash.class_table)
    assert table.rowCount() == len(NAMES) + 1  # the classes and "overall"
    shown = [table.index(r, 2).data() for r in range(len(NAMES))]  # recall
    dash.class_table.set_metrics(epochs[-1].per_class)  # what the last epoch says
    assert [table.index(r, 2).data() for r in range(len(NAMES))] == shown


def test_the_matrix_of_the_last_epoch_is_shown_when_its_tab_comes_back(qtbot):
    dash = _dashboard(qtbot)
    dash.tabs.setCurrentWidget(dash.log)
    epochs = demo_epochs(NAMES, epochs=2)
    for ev in epochs:
        dash.on_event(ev)
    dash.tabs.setCurrentWidget(dash.matrix)
    model = dash.matrix.model()
    shown = [[model.index(r, c).data() for c in range(len(NAMES))] for r in range(len(NAMES))]
    assert shown == [[str(v) for v in row] for row in epochs[-1].confusion]
