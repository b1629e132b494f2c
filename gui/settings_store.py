"""What Loupe remembers between sessions: last dataset, recent folders, model settings,
workspace, window geometry and the open page.

Wraps QSettings("Loupe", "Loupe"). Tests (LOUPE_TEST_MODE=1) and portable set-ups
(LOUPE_SETTINGS_DIR=folder) get an ini file instead, so they never touch the user's real
settings. Dicts are stored as JSON text: the ini and registry back-ends disagree on nested
types, JSON round-trips exactly everywhere."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

ORGANIZATION = "Loupe"
APPLICATION = "Loupe"
MAX_RECENT = 10

_test_dir: str | None = None  # one temporary settings folder per test process


def settings_dir_override() -> str | None:
    """The folder holding loupe.ini when the real settings must not be used, else None."""
    global _test_dir
    folder = os.environ.get("LOUPE_SETTINGS_DIR")
    if folder:
        return folder
    if os.environ.get("LOUPE_TEST_MODE") == "1":
        if _test_dir is None:
            _test_dir = tempfile.mkdtemp(prefix="loupe-settings-")
        return _test_dir
    return None


def make_qsettings() -> QSettings:
    folder = settings_dir_override()
    if folder:
        os.makedirs(folder, exist_ok=True)
        return QSettings(os.path.join(folder, "loupe.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def default_workspace() -> str:
    """Where runs go unless the user chose another folder."""
    folder = settings_dir_override()
    if folder and os.environ.get("LOUPE_TEST_MODE") == "1":
        return os.path.join(folder, "runs")
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:  # no QApplication names set yet, or an exotic platform
        base = os.path.join(os.path.expanduser("~"), ".loupe")
    return os.path.join(base, "runs")


class SettingsStore:
    """Typed accessors over one QSettings object. Every getter tolerates missing or
    corrupt values (an old or hand-edited file must never stop the app from starting)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else make_qsettings()

    # -- generic helpers ------------------------------------------------------------------

    def _text(self, key: str, default: str = "") -> str:
        value = self.qsettings.value(key, default)
        return value if isinstance(value, str) else default

    def _json(self, key: str, default: Any) -> Any:
        text = self._text(key)
        if not text:
            return default
        try:
            value = json.loads(text)
        except ValueError:
            return default
        return value if isinstance(value, type(default)) else default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.qsettings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- dataset --------------------------------------------------------------------------

    def last_dataset(self) -> str:
        return self._text("data/last")

    def set_last_dataset(self, path: str) -> None:
        self.qsettings.setValue("data/last", path)
        self.add_recent_dataset(path)

    def recent_datasets(self) -> list[str]:
        return [p for p in self._json("data/recent", []) if isinstance(p, str)]

    def set_recent_datasets(self, paths: list[str]) -> None:
        unique = list(dict.fromkeys(p for p in paths if p))[:MAX_RECENT]
        self.qsettings.setValue("data/recent", json.dumps(unique))

    def add_recent_dataset(self, path: str) -> None:
        if path:
            self.set_recent_datasets([path, *[p for p in self.recent_datasets() if p != path]])

    def recent_classify_folders(self) -> list[str]:
        return [p for p in self._json("classify/recent", []) if isinstance(p, str)]

    def set_recent_classify_folders(self, paths: list[str]) -> None:
        unique = list(dict.fromkeys(p for p in paths if p))[:MAX_RECENT]
        self.qsettings.setValue("classify/recent", json.dumps(unique))

    def classify_model(self) -> str:
        """The model the user chose on the Classify page (a run or model folder)."""
        return self._text("classify/model")

    def set_classify_model(self, path: str) -> None:
        self.qsettings.setValue("classify/model", path)

    def recent_sorts(self) -> list[Any]:
        """Sorts that "Undo sort" offers (ClassifyPageModel.saved_sorts())."""
        value = self._json("classify/sorts", [])
        return value if isinstance(value, list) else []

    def set_recent_sorts(self, sorts: list[dict[str, Any]]) -> None:
        self.qsettings.setValue("classify/sorts", json.dumps(sorts))

    # -- model settings (ModelSettingsPanel.state()) ---------------------------------------

    def model_settings(self) -> dict[str, Any]:
        return self._json("train/settings", {})

    def set_model_settings(self, state: dict[str, Any]) -> None:
        self.qsettings.setValue("train/settings", json.dumps(state, default=str))

    # -- workspace ------------------------------------------------------------------------

    def workspace(self) -> str:
        return self._text("runs/workspace") or default_workspace()

    def set_workspace(self, path: str) -> None:
        self.qsettings.setValue("runs/workspace", path)

    # -- window ---------------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, data: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", data)

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, data: QByteArray) -> None:
        self.qsettings.setValue("window/state", data)

    def splitter_state(self, name: str) -> QByteArray | None:
        return self._bytes(f"window/splitter_{name}")

    def set_splitter_state(self, name: str, data: QByteArray) -> None:
        self.qsettings.setValue(f"window/splitter_{name}", data)

    def current_page(self) -> int:
        try:
            return int(self.qsettings.value("window/page", 0))
        except (TypeError, ValueError):
            return 0

    def set_current_page(self, index: int) -> None:
        self.qsettings.setValue("window/page", int(index))

    def sync(self) -> None:
        self.qsettings.sync()
