"""Help > About: name, version, icon, what Loupe does, and the versions it runs on."""

from __future__ import annotations

import html
import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core import APP_NAME, __version__
from gui.widgets.accessible import describe

ICON_PATH = Path(__file__).resolve().parents[1] / "resources" / "icons" / "loupe-128.png"
DESCRIPTION = "Train an image classifier by point and click, then classify whole folders with it."


def version_lines(
    torch_version: str | None = None, torchvision_version: str | None = None
) -> list[str]:
    """Versions worth quoting in a bug report; torch only once it has been loaded."""
    lines = [
        f"Python {platform.python_version()}",
        f"Qt {qVersion()} (PySide6 {pyside_version})",
    ]
    if torch_version:
        tv = f", torchvision {torchvision_version}" if torchvision_version else ""
        lines.append(f"PyTorch {torch_version}{tv}")
    else:
        lines.append("PyTorch: still loading")
    return lines


class AboutDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None = None,
        torch_version: str | None = None,
        torchvision_version: str | None = None,
        device: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")

        icon = QLabel()
        icon.setObjectName("aboutIcon")
        pixmap = QPixmap(str(ICON_PATH))
        if not pixmap.isNull():
            icon.setPixmap(
                pixmap.scaled(
                    96,
                    96,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        describe(icon, f"{APP_NAME} icon")

        title = QLabel(f"{APP_NAME} {__version__}")
        title.setObjectName("aboutTitle")
        title.setProperty("role", "heading")
        description = QLabel(DESCRIPTION)
        description.setWordWrap(True)
        lines = version_lines(torch_version, torchvision_version)
        if device:
            lines.append(f"Device: {device}")
        self.versions = QLabel("<br>".join(html.escape(line) for line in lines))
        self.versions.setObjectName("aboutVersions")
        self.versions.setProperty("role", "muted")
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(description)
        text.addSpacing(8)
        text.addWidget(self.versions)
        text.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addSpacing(12)
        row.addLayout(text, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
