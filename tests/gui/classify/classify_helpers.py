"""Helpers for the Classify page tests: run a classification, sort, checksum a tree."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gui.classify.classify_view import ClassifyView

CLASSES = ("circle", "square", "triangle")


def classify(qtbot, view: ClassifyView, folder: Path, timeout: int = 60000) -> tuple[str, str]:
    view.set_folder(str(folder))
    with qtbot.waitSignal(view.classificationFinished, timeout=timeout) as blocker:
        assert view.start()
    return tuple(blocker.args)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_checksums(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def run_sort(qtbot, view: ClassifyView, dest: Path, move: bool = False, threshold: float = 0.0):
    dialog = view.open_sort_dialog()
    dialog.dest_edit.setText(str(dest))
    dialog.move_radio.setChecked(move)
    dialog.threshold_spin.setValue(threshold * 100)
    dialog.update_preview()
    assert dialog.plan is not None, dialog.preview_label.text()
    preview = {
        dialog.preview_table.item(r, 0).text(): int(dialog.preview_table.item(r, 1).text())
        for r in range(dialog.preview_table.rowCount())
    }
    assert preview == dialog.plan.counts()
    assert not dest.exists() or not any(dest.rglob("*.jpg"))  # nothing happens before "Sort"
    with qtbot.waitSignal(dialog.sortFinished, timeout=30000):
        dialog.sort_button.click()
    dialog.wait()
    return dialog, preview
