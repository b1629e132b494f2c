"""The dataset doctor on a small shapes dataset with planted problems."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from PIL import Image

from core.data.doctor import (
    DoctorConfig,
    DoctorFinished,
    DoctorProgress,
    check_dataset,
    check_run_fits,
    summary_line,
)
from core.data.doctor_report import write_report
from tests.core.image_factory import make_shapes_dataset


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = make_shapes_dataset(
        tmp_path_factory.mktemp("doctor") / "data",
        per_class=14,
        size=32,
        split=True,
        val_per_class=4,
        test_per_class=4,
        seed=3,
    )
    train = root / "train"
    # The same pixels as another file, saved in another format (bytes differ).
    Image.open(train / "circle" / "circle_000.png").save(train / "circle" / "copy.bmp")
    # A resized, re-encoded copy: only a near duplicate.
    Image.open(train / "square" / "square_001.png").convert("RGB").resize((45, 45)).save(
        train / "square" / "bigger.jpg", quality=92
    )
    # A test image copied into train: a leak.
    shutil.copy(root / "test" / "triangle" / "triangle_000.png", train / "triangle" / "leak.png")
    # A circle filed as a square: a wrong label (and, being a copy, a label conflict).
    shutil.copy(train / "circle" / "circle_005.png", train / "square" / "wrong.png")
    events = list(check_dataset(DoctorConfig(str(root))))
    return root, events


def test_progress_then_one_finished_event(planted):
    _, events = planted
    assert all(isinstance(e, DoctorProgress) for e in events[:-1])
    assert {e.stage for e in events[:-1]} >= {"Reading images", "Checking labels"}
    assert isinstance(events[-1], DoctorFinished) and events[-1].status == "completed"


def test_finds_identical_pixels_in_different_formats(planted):
    report = planted[1][-1].report
    groups = [set(g) for g in report["exact_duplicates"]]
    assert {"train/circle/circle_000.png", "train/circle/copy.bmp"} in groups


def test_finds_the_resized_jpeg_copy(planted):
    report = planted[1][-1].report
    assert any(
        {"train/square/square_001.png", "train/square/bigger.jpg"} <= set(g)
        for g in report["near_duplicates"]
    )


def test_finds_the_test_image_copied_into_train(planted):
    report = planted[1][-1].report
    assert any(
        {"train/triangle/leak.png", "test/triangle/triangle_000.png"} <= set(g)
        for g in report["leaks"]
    )


def test_wrong_label_is_a_conflict_and_an_issue_with_the_right_suggestion(planted):
    report = planted[1][-1].report
    assert any("train/square/wrong.png" in g for g in report["label_conflicts"])
    issues = {x["path"]: x for x in report["label_issues"]}
    assert issues["train/square/wrong.png"]["suggested"] == "circle"
    top = [x["path"] for x in report["label_issues"][:3]]
    assert "train/square/wrong.png" in top
    scores = [x["score"] for x in report["label_issues"]]
    assert scores == sorted(scores, reverse=True)


def test_report_files_are_written_and_self_contained(planted, tmp_path):
    report = planted[1][-1].report
    json_path, html_path = write_report(report, str(tmp_path / "report"))
    with open(json_path, encoding="utf-8") as f:
        assert json.load(f)["label_issues"] == report["label_issues"]
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    assert "data:image/jpeg;base64," in page
    assert "wrong.png" in page and 'src="http' not in page


def test_stop_ends_with_a_cancelled_event_and_no_report(planted):
    from core.control import RunControl

    control = RunControl()
    control.request_stop()
    events = list(check_dataset(DoctorConfig(str(planted[0])), control))
    assert events[-1].status == "stopped" and events[-1].report is None


def test_a_missing_folder_is_one_failed_event(tmp_path):
    events = list(check_dataset(DoctorConfig(str(tmp_path / "nope"))))
    assert len(events) == 2 and events[-1].status == "failed"
    assert "nope" in events[-1].reason


def test_excluded_images_are_not_part_of_the_dataset(planted, tmp_path):
    from core.data.datasets import scan_dataset

    root = tmp_path / "data"
    make_shapes_dataset(root, per_class=3)
    os.makedirs(root / "_excluded" / "circle")
    shutil.move(root / "circle" / "circle_000.png", root / "_excluded" / "circle")
    scan = scan_dataset(str(root))
    assert "_excluded" not in scan.report.class_names
    assert len(scan.train) + len(scan.val) == 8


def test_a_runs_model_judges_only_the_images_it_did_not_train_on(trained_run, shapes_data):
    from core.data.doctor import run_split_settings

    run_dir, _ = trained_run
    val_split, seed = run_split_settings(run_dir)
    events = list(check_dataset(DoctorConfig(shapes_data, run_dir, val_split, seed)))
    report = events[-1].report
    assert events[-1].status == "completed", events[-1].reason
    from core.data.datasets import scan_dataset

    held_out = len(scan_dataset(shapes_data, val_split, seed).val)
    assert f"{run_dir} on the {held_out} images it did not train on" in report["label_method"]
    for issue in report["label_issues"]:
        assert report["files"][issue["path"]]["split"] == "val"


def _run_trained_on(folder, data_dir):
    """A run folder (no training) whose config.json says it was trained on `data_dir`."""
    from tests.core.run_factory import make_run_folder

    run = make_run_folder(folder)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "data_dir": str(data_dir)}))
    return run


@pytest.mark.parametrize(
    ("trained_on", "classes", "words"),
    [
        ("other", ("circle", "square", "triangle"), "was trained on .*other, not .*data"),
        (
            "data",
            ("circle", "square", "star"),
            "only in the run: triangle; only in the folder: star",
        ),
    ],
)
def test_a_run_of_another_dataset_is_refused_before_any_work(tmp_path, trained_on, classes, words):
    """`doctor DATA --run RUN` once scored DATA with a run trained on other images or other
    classes and called them "the images it did not train on"."""
    data = make_shapes_dataset(tmp_path / "data", classes=classes, per_class=3)
    run = _run_trained_on(tmp_path / "run", tmp_path / trained_on)
    events = list(check_dataset(DoctorConfig(str(data), str(run))))
    assert [type(e) for e in events] == [DoctorProgress, DoctorFinished]  # only the scan
    assert events[-1].status == "failed" and events[-1].report is None
    assert re.search(words, events[-1].reason), events[-1].reason
    assert "\n" not in events[-1].reason and "leave out --run" in events[-1].reason


def test_a_run_whose_config_names_its_dataset_relatively_is_still_checked(tmp_path):
    """`train data --out run` from the dataset's parent writes "data_dir": "data" into
    config.json; `doctor other --run run` then scored another folder as the images the run
    did not train on. run.json's `dataset` says where "data" was."""
    data = make_shapes_dataset(tmp_path / "data", per_class=3)
    other = make_shapes_dataset(tmp_path / "other", per_class=3)  # same classes
    run = _run_trained_on(tmp_path / "run", "data")
    (run / "run.json").write_text(json.dumps({"status": "completed", "dataset": str(data)}))
    events = list(check_dataset(DoctorConfig(str(other), str(run))))
    assert events[-1].status == "failed", events[-1].reason
    assert re.search("was trained on .*data, not .*other", events[-1].reason)
    check_run_fits(str(run), str(data), ["circle", "square", "triangle"])  # its own: accepted


def test_the_summary_counts_every_kind_of_finding_the_list_shows():
    # Outliers and one picture in two classes were listed under "0 probable label errors."
    report = {
        "images": 400,
        "exact_duplicates": [],
        "near_duplicates": [],
        "leaks": [],
        "label_conflicts": [["a/x.png", "b/x.png"]],
        "label_issues": [],
        "outliers": [{"path": "a/1.png"}, {"path": "b/2.png"}],
    }
    line = summary_line(report)
    assert line.startswith("Checked 400 images: ")
    assert "1 picture in different classes" in line and "2 outliers" in line
    assert "0 probable label errors" in line
