"""Test-split evaluation at the end of a run, and `evaluate` on any labelled folder: the
report's numbers are the classify CSV's, image for image."""

from __future__ import annotations

import csv
import json
import os

import pytest

from tests.core.cli.cli_helpers import loupe


def _report(folder) -> dict:
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


def test_a_run_with_a_test_split_writes_its_test_report(split_run):
    _, run, events = split_run
    report = _report(run / "test_report")
    assert report["images"] == 18  # 6 per class, before the test folder was edited
    assert sum(map(sum, report["confusion_matrix"])) == 18
    summary = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert summary["test_acc"] == report["accuracy"] == events[-1].test_acc
    assert "test accuracy" in events[-1].reason
    assert set(report["per_class"]) == {"circle", "square", "triangle"}
    html = (run / "test_report" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Confusion matrix" in html
    assert "src='http" not in html and "href=" not in html  # opens offline, one file


def test_evaluate_matches_the_classify_csv_image_for_image(split_run, tmp_path):
    data, run, _ = split_run
    result = loupe("evaluate", run, data, "--out", tmp_path / "rep")  # root -> its test/
    assert result.returncode == 0, result.stderr
    report = _report(tmp_path / "rep")
    assert report["data_dir"] == str(data / "test")
    assert report["unknown_classes"] == {"hexagon": 2}
    assert "hexagon" in result.stderr
    classified = loupe("classify", run, data / "test", "--out", tmp_path / "c.csv")
    assert classified.returncode == 0, classified.stderr
    rows = [
        r
        for r in csv.DictReader(open(tmp_path / "c.csv", encoding="utf-8"))
        if os.path.basename(os.path.dirname(r["path"])) != "hexagon"
    ]
    wrong = {
        r["path"]: r for r in rows if r["label"] != os.path.basename(os.path.dirname(r["path"]))
    }
    assert report["images"] == len(rows) == 21
    assert report["accuracy"] == pytest.approx(1 - len(wrong) / len(rows))
    assert {m["path"] for m in report["misclassified"]} == set(wrong)
    assert len(wrong) >= 3  # the mislabelled circles at least
    for m in report["misclassified"]:
        assert m["predicted"] == wrong[m["path"]]["label"]
        assert m["confidence"] == pytest.approx(float(wrong[m["path"]]["confidence"]), abs=1e-6)
    listed = list(csv.DictReader(open(tmp_path / "rep" / "misclassified.csv", encoding="utf-8")))
    assert [r["path"] for r in listed] == [m["path"] for m in report["misclassified"]]
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/jpeg;base64,") == len(wrong)  # thumbnails embedded
    assert "hexagon" in html
    for key in ("ece", "ece_uncalibrated"):
        assert 0.0 <= report[key] <= 1.0
    assert report["ece_bins"] == 15 and len(report["reliability"]["calibrated"]) == 15


def test_evaluate_refuses_to_replace_a_report_without_force(split_run, tmp_path):
    data, run, _ = split_run
    out = tmp_path / "rep"
    assert loupe("evaluate", run, data / "val", "--out", out).returncode == 0
    before = (out / "report.json").read_bytes()
    again = loupe("evaluate", run, data / "val", "--out", out)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (out / "report.json").read_bytes() == before
    assert loupe("evaluate", run, data / "val", "--out", out, "--force").returncode == 0


def test_a_file_given_as_the_folder_is_called_a_file(split_run, tmp_path):
    """`evaluate RUN afile` once said "Folder not found" of a file that exists."""
    _, run, _ = split_run
    afile = tmp_path / "afile"
    afile.write_text("mine")
    result = loupe("evaluate", run, afile, "--out", tmp_path / "rep")
    assert result.returncode == 1
    assert f"{afile} is a file, not a folder" in result.stderr and "not found" not in result.stderr
    assert not (tmp_path / "rep").exists()


def test_a_folder_of_only_unknown_classes_is_one_clear_error(split_run, tmp_path):
    _, run, _ = split_run
    (tmp_path / "cars" / "red").mkdir(parents=True)
    from tests.core.image_factory import make_image

    make_image(tmp_path / "cars" / "red" / "a.png")
    result = loupe("evaluate", run, tmp_path / "cars", "--out", tmp_path / "rep")
    assert result.returncode == 1
    assert "none of its classes" in result.stderr and "Traceback" not in result.stderr


def test_a_stopped_run_is_still_tested_with_its_best_model(tmp_path):
    from core.control import RunControl
    from core.events import EpochEnded
    from core.train.config import TrainConfig
    from core.train.loop import fit
    from tests.core.image_factory import make_shapes_dataset

    data = make_shapes_dataset(
        tmp_path / "d", per_class=8, size=16, split=True, val_per_class=3, test_per_class=3
    )
    control = RunControl()
    cfg = TrainConfig(
        data_dir=str(data),
        out_dir=str(tmp_path / "run"),
        epochs=5,
        batch_size=8,
        device="cpu",
        cpu_threads=1,
        mixed_precision="off",
    )
    events = []
    for event in fit(cfg, control):
        events.append(event)
        if isinstance(event, EpochEnded):
            control.request_stop()
    assert events[-1].status == "stopped"
    report = _report(tmp_path / "run" / "test_report")
    assert report["images"] == 9 and events[-1].test_acc == report["accuracy"]
