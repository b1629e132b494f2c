"""The Data page's state and rules, without Qt: the dataset on show, the scan in progress
and the split it previews, recent folders, and how a typed or pasted path is read.
gui.data.dataset_view renders it; tests drive it directly."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from core.data.datasets import DatasetScan

MAX_RECENT = 10


def clean_path(path: str) -> str:
    """Paths pasted from a file manager often come quoted or as file:// URLs."""
    path = path.strip().strip('"').strip("'")
    if path.startswith("file://"):
        path = unquote(urlparse(path).path)
        if os.name == "nt" and path[:1] == "/" and path[2:3] == ":":
            path = path[1:]  # file:///C:/photos -> C:/photos
    return os.path.expanduser(path) if path else ""


class DataPageModel:
    def __init__(self) -> None:
        self.scan: DatasetScan | None = None  # the dataset on show
        self.recent: list[str] = []
        # The Train page's validation share and seed: the next scan previews that split.
        self.val_split, self.seed = 0.2, 0
        self.scanning_val_split = 0.2  # of the scan in progress
        self.shown_val_split = 0.2  # of the summary on show

    def set_recent(self, paths: list[str]) -> None:
        unique: list[str] = []
        for p in paths or []:
            if isinstance(p, str) and p and p not in unique:
                unique.append(p)
        self.recent = unique[:MAX_RECENT]

    def remember(self, path: str) -> None:
        self.set_recent([path, *self.recent])

    def scan_started(self) -> None:
        self.scanning_val_split = self.val_split

    def scan_succeeded(self, scan: DatasetScan) -> None:
        self.scan = scan
        self.shown_val_split = self.scanning_val_split
        self.remember(scan.report.root)

    def scan_failed(self) -> None:
        self.scan = None  # what is on show is not a dataset: nothing of the old one applies

    def set_scan_options(self, val_split: float, seed: int) -> bool:
        """True when the summary on show must be rewritten for the new validation share
        (a flat dataset's split is Loupe's choice; training scans again anyway)."""
        self.val_split, self.seed = float(val_split), int(seed)
        if self.scan is not None and abs(self.val_split - self.shown_val_split) > 1e-9:
            self.shown_val_split = self.val_split
            return True
        return False

    def current_path(self) -> str:
        return self.scan.report.root if self.scan else ""

    def changed_by(self, folders: list[str]) -> bool:
        """Whether files placed in or taken from `folders` (a sort, an undo, images added
        from Classify) change the dataset on show: one of them is its folder or inside it."""
        root = self.current_path()
        if not root:
            return False
        root = os.path.normcase(os.path.realpath(root))
        for folder in folders:
            folder = os.path.normcase(os.path.realpath(folder))
            if folder == root or folder.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False
