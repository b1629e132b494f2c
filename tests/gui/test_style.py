"""resources/style.qss: text drawn over a progress bar's fill stays readable."""

from __future__ import annotations

import re
from pathlib import Path

STYLE = Path(__file__).resolve().parents[2] / "resources" / "style.qss"


def _rule(qss: str, selector: str) -> str:
    match = re.search(r"(?m)^" + re.escape(selector) + r"\s*\{([^}]*)\}", qss)
    assert match, selector
    return match.group(1)


def _colour(rule: str, prop: str) -> str:
    match = re.search(r"(?m)^\s*" + prop + r":\s*(#[0-9A-Fa-f]{6})", rule)
    assert match, prop
    return match.group(1)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_progress_text_is_readable_over_the_fill_and_the_groove():
    qss = STYLE.read_text(encoding="utf-8")
    bar = _rule(qss, "QProgressBar")
    text = _colour(bar, "color")
    # Centred text crosses the edge of the fill: it must read on both sides (WCAG AA: 4.5).
    assert _contrast(text, _colour(_rule(qss, "QProgressBar::chunk"), "background")) >= 4.5
    assert _contrast(text, _colour(bar, "background")) >= 4.5


def _button_image(qtbot, qss: str, enabled: bool, **properties):
    from PySide6.QtWidgets import QPushButton, QWidget

    box = QWidget()
    qtbot.addWidget(box)
    box.setStyleSheet(qss)  # on a parent, not the app: other tests keep the default look
    button = QPushButton("Stop", box)
    for name, value in properties.items():
        button.setProperty(name, value)
    button.setEnabled(enabled)
    button.resize(90, 32)
    box.resize(100, 40)
    box.show()
    return button.grab().toImage()


def test_disabled_danger_and_primary_buttons_look_disabled(qtbot):
    qss = STYLE.read_text(encoding="utf-8")
    plain_disabled = _button_image(qtbot, qss, False)
    danger_enabled = _button_image(qtbot, qss, True, danger=True)
    danger_disabled = _button_image(qtbot, qss, False, danger=True)
    assert danger_disabled != danger_enabled
    assert danger_disabled == plain_disabled  # the grey of any disabled button, not red
    primary_enabled = _button_image(qtbot, qss, True, primary=True)
    assert _button_image(qtbot, qss, False, primary=True) != primary_enabled


def test_every_role_the_code_sets_is_styled_in_style_qss():
    """Widgets say which role they play; style.qss says how it looks. A role with no rule
    would silently look plain (the inline styles these replaced did not have that risk)."""
    root = STYLE.parents[1] / "gui"
    qss = STYLE.read_text(encoding="utf-8")
    pattern = re.compile(r"""(?:setProperty\(\s*"role",\s*|set_role\([^,]+,\s*)"([a-z-]+)"\)""")
    roles = set()
    for path in root.rglob("*.py"):
        roles |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert {"muted", "error", "banner-error", "menu-text"} <= roles
    missing = sorted(r for r in roles if f'[role="{r}"]' not in qss)
    assert missing == []
