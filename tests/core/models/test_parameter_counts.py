"""The architecture list's parameter counts: remembered for the slow networks, counted afresh
for the quick ones, and never wrong for a changed torch, torchvision or Loupe."""

from __future__ import annotations

import json

import pytest

from core.models import parameter_counts as counts_module
from core.models import registry
from core.models.parameter_counts import FILE_NAME, parameter_counts

NAMES = ["loupe_net", "simple_cnn"]


def _refuse_to_count(name, num_classes):
    raise AssertionError(f"{name} was built again")


def test_slow_counts_are_remembered_and_read_back_without_building(tmp_path, monkeypatch):
    monkeypatch.setattr(counts_module, "COUNT_REMEMBERED_S", 0.0)  # every count is "slow" here
    first = parameter_counts(NAMES, 7, folder=str(tmp_path))
    assert first == {name: registry.parameter_count(name, 7) for name in NAMES}
    monkeypatch.setattr(registry, "parameter_count", _refuse_to_count)
    assert parameter_counts(NAMES, 7, folder=str(tmp_path)) == first


def test_quick_counts_are_counted_afresh(tmp_path, monkeypatch):
    monkeypatch.setattr(counts_module, "COUNT_REMEMBERED_S", 60.0)
    parameter_counts(NAMES, 7, folder=str(tmp_path))
    assert not (tmp_path / FILE_NAME).exists()


def test_another_version_or_head_counts_again(tmp_path, monkeypatch):
    monkeypatch.setattr(counts_module, "COUNT_REMEMBERED_S", 0.0)
    parameter_counts(NAMES, 7, folder=str(tmp_path))
    built: list[str] = []
    real = registry.parameter_count

    def counting(name, num_classes):
        built.append(name)
        return real(name, num_classes)

    monkeypatch.setattr(registry, "parameter_count", counting)
    parameter_counts(NAMES, 3, folder=str(tmp_path))  # another head: other counts
    assert built == NAMES
    monkeypatch.setattr(counts_module, "_versions", lambda: "torch 9, torchvision 9, loupe 9")
    parameter_counts(NAMES, 7, folder=str(tmp_path))
    assert built == NAMES * 2


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"x": 3}', "{KEY: 5}"])
def test_a_damaged_cache_file_only_costs_the_counting(tmp_path, monkeypatch, content):
    key = f"{counts_module._versions()}, 7 classes"
    (tmp_path / FILE_NAME).write_text(content.replace("KEY", json.dumps(key)))
    result = parameter_counts(NAMES, 7, folder=str(tmp_path))
    assert result == {name: registry.parameter_count(name, 7) for name in NAMES}


def test_a_builder_that_fails_counts_zero_and_the_others_still_count(tmp_path, monkeypatch):
    real = registry.parameter_count

    def failing_for_one(name, num_classes):
        if name == "simple_cnn":
            raise RuntimeError("odd builder")
        return real(name, num_classes)

    monkeypatch.setattr(registry, "parameter_count", failing_for_one)
    result = parameter_counts(NAMES, 7, folder=str(tmp_path))
    assert result["simple_cnn"] == 0 and result["loupe_net"] > 0
    assert "simple_cnn" not in json.dumps(
        json.loads((tmp_path / FILE_NAME).read_text()) if (tmp_path / FILE_NAME).exists() else {}
    )
