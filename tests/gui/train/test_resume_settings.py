"""Runs ▸ Resume / extend… to 4 epochs on a 2-epoch run: the Train page showed the user's
settings (Epochs 2) while the run trained to 4 with its own. Now the fields show the run's
settings and say so, and the user's come back when it ends (and are the ones remembered)."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import threading

from core.events import RunFinished, RunStarted
from core.train.config import to_dict
from tests.gui.helpers import make_window, tiny_config

PLAN = "Resuming run at epoch 3 of 4: simple_cnn continues from its last checkpoint, ..."


def test_a_resumed_run_shows_its_own_settings_then_the_users_again(qtbot, tmp_path):
    run_dir = tmp_path / "workspace" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(
        json.dumps(to_dict(tiny_config(tmp_path / "data", run_dir, batch_size=4, lr=0.003)))
    )
    window = make_window(qtbot, tmp_path)
    page = window.train_page
    panel = page.settings_panel
    panel.epochsSpin.setValue(7)  # the user's next run
    panel.batchSizeSpin.setValue(64)
    release = threading.Event()

    def resumed_fit(config, control):  # what the training process reports, in short
        yield RunStarted(
            str(run_dir), to_dict(config), {}, ["a", "b"], "CPU", config.arch, 1, 8, 2, 2, 2,
            "cache", PLAN,
        )  # fmt: skip
        release.wait(10)
        yield RunFinished("completed", "done", str(run_dir), 4, 0.9, 3, None)

    page.child_fit = resumed_fit
    settings_changes = []
    page.settingsChanged.connect(lambda: settings_changes.append(True))
    assert page.resume_run(str(run_dir), 4)
    qtbot.waitUntil(lambda: page.dashboard.run_notice.text() == PLAN, timeout=10_000)
    assert panel.epochsSpin.value() == 4 and panel.batchSizeSpin.value() == 4
    assert panel.learningRateSpin.value() == 0.003
    assert panel.preset_description.text() == "The settings this run was started with."
    note = page.resume_note
    assert note.isVisible()
    assert note.text() == (
        "These are the settings of run, resumed until epoch 4. Your settings come back when "
        "it ends."
    )
    window.save_settings()  # the user's settings are remembered, not the run's
    assert window.settings.model_settings()["values"]["epochs"] == 7

    release.set()
    qtbot.waitUntil(lambda: not page.is_running(), timeout=10_000)
    assert panel.epochsSpin.value() == 7 and panel.batchSizeSpin.value() == 64
    assert not note.isVisible() and panel.isEnabled()
    assert panel.preset_description.text() == "Your own settings."
    assert settings_changes == []  # the user changed nothing
    window.close()
