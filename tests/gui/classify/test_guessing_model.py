"""The Classify page never offers a model that only guesses without saying so."""

from __future__ import annotations

import json
import shutil

from gui.classify.classify_view import ClassifyView

VERDICT = "This model is guessing: its best validation accuracy (34%) is about chance (33%)."


def test_a_guessing_run_is_marked_in_the_list_and_warned_about_when_chosen(
    qtbot, workspace, tmp_path
):
    ws = tmp_path / "ws"
    shutil.copytree(workspace / "shapes-run", ws / "shapes-run")
    summary_path = ws / "shapes-run" / "run.json"
    summary = json.loads(summary_path.read_text())
    summary_path.write_text(json.dumps({**summary, "verdict": VERDICT}))
    view = ClassifyView()
    qtbot.addWidget(view)
    view.set_workspace(str(ws))
    combo = view.findChild(type(view.model_combo), "classifyModelCombo")
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert [t for t in texts if t.startswith("shapes-run")][0].count("· guessing") == 1
    view.set_model(str(ws / "shapes-run"))
    info = view.model_chooser.info_label.text()
    assert "3 classes" in info and VERDICT in info
