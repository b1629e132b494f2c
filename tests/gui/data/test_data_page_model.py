"""DataPageModel without Qt: recent folders, pasted paths, the split the summary previews."""

from __future__ import annotations

import os

from core.data.datasets import DatasetReport, DatasetScan
from gui.data.data_page_model import MAX_RECENT, DataPageModel, clean_path


def _scan(root: str) -> DatasetScan:
    return DatasetScan(DatasetReport(root, "flat", ["a", "b"], {}), [], [], [])


def test_pasted_paths_are_read_as_folders():
    assert clean_path('  "/data/my photos"  ') == "/data/my photos"
    assert clean_path("file:///data/my%20photos") == "/data/my photos"
    assert clean_path("~/x") == os.path.expanduser("~/x")
    assert clean_path("   ") == ""


def test_recent_folders_are_unique_newest_first_and_bounded():
    page = DataPageModel()
    page.set_recent(["/a", "/b", "/a", "", 3, "/c"])
    assert page.recent == ["/a", "/b", "/c"]
    page.scan_succeeded(_scan("/b"))
    assert page.recent[:2] == ["/b", "/a"] and page.current_path() == "/b"
    page.set_recent([f"/{i}" for i in range(30)])
    assert len(page.recent) == MAX_RECENT


def test_the_summary_follows_the_train_pages_validation_share():
    page = DataPageModel()
    assert page.set_scan_options(0.3, 1) is False  # nothing on show yet
    page.scan_started()  # this scan previews 30 %
    page.set_scan_options(0.25, 1)  # changed while scanning
    page.scan_succeeded(_scan("/d"))
    assert page.shown_val_split == 0.3
    assert page.set_scan_options(0.25, 1) is True and page.shown_val_split == 0.25
    page.scan_failed()
    assert page.current_path() == "" and page.set_scan_options(0.1, 1) is False
