"""Run folders: their names, and the workspace listing the Runs page and Classify share."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from core.data.datasets import DatasetReport
from core.files.run_folder import list_runs, new_run_dir, run_folder_name
from core.train.defaults import expected_arch


def test_run_folder_names_are_dated_and_safe(tmp_path):
    name = run_folder_name("/data/My Photos!/", "resnet18", when=0)
    assert re.fullmatch(r"\d{8}-\d{6}-My_Photos-resnet18", name), name
    first = Path(new_run_dir(str(tmp_path), "/data/cats", "auto"))
    first.mkdir()
    second = new_run_dir(str(tmp_path), "/data/cats", "auto")
    assert second != str(first) and Path(second).name.startswith(first.name)


def _report(median_size: tuple[int, int] | None) -> DatasetReport:
    return DatasetReport("/data/cats", "flat", ["a", "b"], {}, median_size=median_size)


def test_an_auto_run_folder_names_the_architecture_when_the_images_are_small(tmp_path):
    # Small images always train a loupe_net (resolve_auto; the slim one for a few thousand
    # images of at most 32 px); photos depend on device and weights.
    assert expected_arch("auto", _report((64, 48))) == "loupe_net"
    assert expected_arch("auto", _report((640, 65))) == "auto"
    assert expected_arch("auto", _report(None)) == "auto"
    assert expected_arch("auto", None) == "auto"
    assert expected_arch("resnet18", _report((32, 32))) == "resnet18"
    path = new_run_dir(str(tmp_path), "/data/cats", expected_arch("auto", _report((32, 32))))
    assert Path(path).name.endswith("-cats-loupe_net_slim")


def test_list_runs_lists_unreadable_runs_and_skips_other_folders(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "run.json").write_text('{"started": "2026-01-02T03:04:05", "status": "completed"}')
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run.json").write_text('{"pid": 99999999999999999999, "status": "running"')
    odd_pid = tmp_path / "odd-pid"
    odd_pid.mkdir()
    # A hand-edited pid beyond the OS range once made os.kill raise OverflowError.
    summary = {"pid": 10**20, "status": "running", "host": socket.gethostname()}
    (odd_pid / "run.json").write_text(json.dumps(summary))
    (tmp_path / "photos").mkdir()  # not a run: no run files
    runs = {Path(r["run_dir"]).name: r for r in list_runs(str(tmp_path))}
    assert set(runs) == {"good", "broken", "odd-pid"}
    assert runs["good"]["status"] == "completed"
    assert runs["broken"]["status"] == "unreadable"
    assert "run.json" in runs["broken"]["reason"]
    assert list_runs(str(tmp_path / "missing")) == []


def test_own_files_are_a_runs_names_inside_a_run_and_model_files_beside_a_model(tmp_path):
    from core.files.run_folder import own_file_of

    run, model, other = tmp_path / "run", tmp_path / "model", tmp_path / "other"
    for folder in (run, model, other):
        folder.mkdir()
    (run / "run.json").write_text("{}")
    (model / "model.json").write_text("{}")
    assert own_file_of(str(run / "metrics.csv")) == str(run)
    assert own_file_of(str(run / "Model.JSON")) == str(run)  # as Windows and macOS compare
    assert own_file_of(str(run / "results.csv")) is None
    # Export may refresh a model folder it wrote; classify must never write into one.
    assert own_file_of(str(model / "model.safetensors")) is None
    assert own_file_of(str(model / "model.safetensors"), model_folders=True) == str(model)
    assert own_file_of(str(other / "model.json"), model_folders=True) is None
