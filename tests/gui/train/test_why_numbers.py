"""A Train-page tile's detail shows one model's numbers at a time, and says whose: the tile's
come from the epoch's validation pass, while "Why?" explains the saved (best) model. Before,
"Predicted: clouds (76.1 %)" and its top-5 table sat beside "Heat map for clouds (53.9 %)"."""

from __future__ import annotations

import re

import numpy as np

from core.events import PredictionSample, PredictionsSampled
from gui.train.predictions_pane import PredictionsPane


def _percents(text: str) -> list[str]:
    return re.findall(r"\d+\.\d %", text)


def test_why_shows_the_saved_models_numbers_with_its_heat_map(qtbot, split_run):
    data, run, events = split_run
    names = next(e for e in events if isinstance(e, PredictionsSampled)).class_names
    path = str(data / "val" / names[0] / f"{names[0]}_000.png")
    assert (data / "val" / names[0]).is_dir()
    # The epoch's model: 76.1 % sure, numbers the saved model does not give.
    sample = PredictionSample(
        np.zeros((8, 8, 3), np.uint8), path, 0, 0, 0.761, [(0, 0.761), (1, 0.209), (2, 0.03)]
    )
    pane = PredictionsPane()
    qtbot.addWidget(pane)
    pane.run_dir = str(run)
    pane.set_predictions(PredictionsSampled(4, names, [sample]))
    pane.show_sample(sample)
    dialog = pane.detail_dialog()
    assert _percents(dialog.verdict.text()) == ["76.1 %"]
    assert dialog.source.text() == "From the validation pass after epoch 5."
    assert dialog.top_k_rows()[0] == (names[0], 0.761)

    with qtbot.waitSignal(dialog.why.overlayShown, timeout=60000):
        dialog.why.button.click()
    heat = _percents(dialog.why.caption.text())
    shown = dialog.verdict.text()
    assert heat and _percents(shown) == heat  # one model's numbers: the heat map's
    assert dialog.top_k_rows()[0][1] != 0.761
    best = next(e for e in reversed(events) if hasattr(e, "best_epoch")).best_epoch
    assert dialog.source.text() == (
        f"From the saved model (epoch {best + 1}, its best), which the heat map explains."
    )
    dialog.why.button.click()  # off: the tile's numbers again
    assert _percents(dialog.verdict.text()) == ["76.1 %"]
    assert dialog.source.text() == "From the validation pass after epoch 5."
    dialog.why.runner.wait()
