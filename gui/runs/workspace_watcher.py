"""Tells the Runs page when its workspace changed on disk: a new or deleted run folder, or a
running run that wrote its next epoch, or one whose training process may have died."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

RESCAN_DELAY_MS = 400  # a training epoch writes several files: rescan once they are all there
RUNNING_POLL_MS = 4000  # notices a training process that died (it writes nothing when it does)


class WorkspaceWatcher(QObject):
    """`watch(workspace, runs)` after every scan; `changed()` asks for the next one.

    A QFileSystemWatcher on the workspace and on the folders of running runs triggers a
    debounced rescan, and while a run is marked running a slow timer also asks, since a
    crashed training process changes no file."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.watcher = QFileSystemWatcher(self)
        self._rescan_timer = QTimer(self, singleShot=True, interval=RESCAN_DELAY_MS)
        self._poll_timer = QTimer(self, interval=RUNNING_POLL_MS)
        self.watcher.directoryChanged.connect(self._rescan_timer.start)
        self._rescan_timer.timeout.connect(self.changed)
        self._poll_timer.timeout.connect(self.changed)

    def watch(self, workspace: str, runs: list[dict[str, Any]]) -> None:
        """Watch `workspace` and the folders of the runs (run summaries) marked running."""
        wanted = set()
        if workspace and os.path.isdir(workspace):
            wanted.add(workspace)
        running = [r["run_dir"] for r in runs if r.get("status") == "running"]
        # A run's files are replaced atomically (a rename), so the folder is watched, not them.
        wanted.update(d for d in running if os.path.isdir(d))
        watched = set(self.watcher.directories())
        if watched - wanted:
            self.watcher.removePaths(list(watched - wanted))
        if wanted - watched:
            self.watcher.addPaths(sorted(wanted - watched))
        if running and not self._poll_timer.isActive():
            self._poll_timer.start()
        elif not running:
            self._poll_timer.stop()
