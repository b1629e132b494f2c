"""A report or folder that no program opens says where it is, instead of nothing happening
(a minimal desktop without a browser: GUI review, session 7)."""

from __future__ import annotations

from PySide6.QtGui import QDesktopServices

from gui.widgets import open_path


def no_program(monkeypatch) -> list[str]:
    told: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    monkeypatch.setattr(open_path, "tell", lambda _parent, _title, text: told.append(text))
    return told


def test_a_path_no_program_opens_is_named(qtbot, monkeypatch, tmp_path):
    told = no_program(monkeypatch)
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    assert not open_path.open_path(parent, str(tmp_path / "report.html"), "the report")
    assert told == [f"No program could open the report here. It is at:\n{tmp_path / 'report.html'}"]
