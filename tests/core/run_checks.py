"""Comparing run folders: metrics without wall-clock columns, tensors bit for bit."""

from __future__ import annotations

import csv
from pathlib import Path

import torch


def metric_rows(run: Path) -> list[dict[str, str]]:
    """metrics.csv without the wall-clock column."""
    with open(run / "metrics.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def assert_same_tensors(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"
