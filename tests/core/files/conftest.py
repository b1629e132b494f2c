"""Fixtures shared by the sorting tests."""

from __future__ import annotations

import pytest

from tests.core.sorting_helpers import make_file, result


@pytest.fixture
def photos(tmp_path):
    """Five sources; two share the name 'x.jpg' in different subfolders."""
    src = tmp_path / "src"
    files = {
        "a": make_file(src / "a.jpg", mtime=1_600_000_000),
        "b": make_file(src / "b.png"),
        "x1": make_file(src / "one" / "x.jpg"),
        "x2": make_file(src / "two" / "x.jpg"),
        "low": make_file(src / "low.jpg"),
    }
    results = [
        result(files["a"], "cats"),
        result(files["b"], "dogs"),
        result(files["x1"], "cats"),
        result(files["x2"], "cats"),
        result(files["low"], "dogs", confidence=0.3),
    ]
    return src, files, results
