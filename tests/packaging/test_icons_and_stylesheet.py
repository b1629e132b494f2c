"""The app's icons (the PNG sizes, the Windows .ico, the SVG its generator makes) and its Qt
stylesheet, which must parse."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET

from tests.packaging.spec_reader import ICONS, PACKAGING, ROOT

PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def test_icon_pngs_have_their_sizes():
    from PIL import Image

    for size in PNG_SIZES:
        with Image.open(ICONS / f"loupe-{size}.png") as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
            # Corners are transparent (rounded background), the centre is not.
            assert image.getpixel((0, 0))[3] == 0
            assert image.getpixel((size // 2, size // 2))[3] == 255


def test_windows_icon_holds_every_size_up_to_256():
    from PIL import Image

    with Image.open(ICONS / "loupe.ico") as ico:
        assert {(s, s) for s in (16, 32, 48, 64, 128, 256)} <= set(ico.info["sizes"])


def test_committed_svg_matches_its_generator():
    spec = importlib.util.spec_from_file_location("make_icons", PACKAGING / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    svg = (ICONS / "loupe.svg").read_text(encoding="utf-8")
    assert svg == module.make_svg(module.DETAILED), "run packaging/make_icons.py and commit"
    root = ET.fromstring(svg)
    assert root.get("viewBox") == "0 0 512 512"


def test_stylesheet_parses_in_qt(qapp):
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QPushButton

    qss = (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")
    assert qss.count("{") == qss.count("}")
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda _mode, _ctx, msg: messages.append(msg))
    try:
        button = QPushButton("Train")
        button.setProperty("primary", True)
        button.setStyleSheet(qss)  # parsed when the widget is polished
        button.ensurePolished()
        button.grab()
    finally:
        qInstallMessageHandler(previous)
    assert not [m for m in messages if "parse" in m.lower() and "stylesheet" in m.lower()]
