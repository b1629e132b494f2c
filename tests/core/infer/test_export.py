"""CSV/JSON export: exact content, and no partial file when something goes wrong."""

from __future__ import annotations

import csv
import gc
import json
import os

import pytest

from core.infer.results import ClassifiedImage, UnreadableImage
from core.infer.results_export import ResultsCsvWriter, write_results_csv, write_results_json

CAT = ClassifiedImage("/p/cat 1.jpg", "cat", 0.9, (("cat", 0.9), ("dog", 0.07), ("bird", 0.03)))
DOG = ClassifiedImage('/p/a,b"c.jpg', "dog", 2 / 3, (("dog", 2 / 3), ("cat", 1 / 3)))


def test_csv_without_top_k(tmp_path):
    out = tmp_path / "r.csv"
    assert write_results_csv([CAT, DOG], str(out)) == 2
    assert out.read_bytes().decode("utf-8") == (
        'path,label,confidence\n/p/cat 1.jpg,cat,0.900000\n"/p/a,b""c.jpg",dog,0.666667\n'
    )


def test_csv_with_top_k_pads_short_rows(tmp_path):
    out = tmp_path / "r.csv"
    assert write_results_csv(iter([CAT, DOG]), out, top_k=3) == 2
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["path", "label", "confidence"]
        + ["top1_label", "top1_confidence", "top2_label", "top2_confidence"]
        + ["top3_label", "top3_confidence"],
        ["/p/cat 1.jpg", "cat", "0.900000", "cat", "0.900000", "dog", "0.070000"]
        + ["bird", "0.030000"],
        ['/p/a,b"c.jpg', "dog", "0.666667", "dog", "0.666667", "cat", "0.333333", "", ""],
    ]


def test_csv_round_trips_unicode_and_newlines_in_paths(tmp_path):
    odd = ClassifiedImage("/p/été\nzwei.png", "chat noir", 1.0, ())
    out = tmp_path / "r.csv"
    write_results_csv([odd], out)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[1] == ["/p/été\nzwei.png", "chat noir", "1.000000"]


def test_empty_csv_has_header_only(tmp_path):
    out = tmp_path / "r.csv"
    assert write_results_csv([], out, top_k=1) == 0
    assert out.read_text() == "path,label,confidence,top1_label,top1_confidence\n"


def test_streaming_writer_appears_only_on_close(tmp_path):
    out = tmp_path / "r.csv"
    writer = ResultsCsvWriter(out, top_k=1)
    for _ in range(1000):
        writer.write(CAT)
    assert not out.exists()
    writer.close()
    writer.close()  # idempotent
    assert writer.rows_written == 1000
    lines = out.read_text().splitlines()
    assert len(lines) == 1001
    assert lines[1] == "/p/cat 1.jpg,cat,0.900000,cat,0.900000"
    assert sorted(os.listdir(tmp_path)) == ["r.csv"]
    with pytest.raises(ValueError):
        writer.write(CAT)


def test_streaming_writer_abort_and_exception_keep_previous_file(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("previous export\n")

    writer = ResultsCsvWriter(out)
    writer.write(CAT)
    writer.abort()

    with pytest.raises(RuntimeError), ResultsCsvWriter(out) as w:
        w.write(CAT)
        raise RuntimeError("classification crashed")

    def results():
        yield CAT
        raise KeyboardInterrupt  # the user pressed Ctrl+C while streaming

    with pytest.raises(KeyboardInterrupt):
        write_results_csv(results(), out)

    dropped = ResultsCsvWriter(out)
    dropped.write(DOG)
    del dropped
    gc.collect()

    assert out.read_text() == "previous export\n"
    assert sorted(os.listdir(tmp_path)) == ["r.csv"]


def test_json_exact_document(tmp_path):
    out = tmp_path / "r.json"
    n = write_results_json(
        [CAT, DOG],
        str(out),
        class_names=["bird", "cat", "dog"],
        model_info={"architecture": "resnet18", "image_size": 128},
        unreadable=[UnreadableImage("/p/broken.jpg", "truncated")],
    )
    assert n == 2
    assert json.loads(out.read_text(encoding="utf-8")) == {
        "model": {"architecture": "resnet18", "image_size": 128},
        "classes": ["bird", "cat", "dog"],
        "results": [
            {
                "path": "/p/cat 1.jpg",
                "label": "cat",
                "confidence": 0.9,
                "top_k": [
                    {"label": "cat", "confidence": 0.9},
                    {"label": "dog", "confidence": 0.07},
                    {"label": "bird", "confidence": 0.03},
                ],
            },
            {
                "path": '/p/a,b"c.jpg',
                "label": "dog",
                "confidence": 2 / 3,
                "top_k": [
                    {"label": "dog", "confidence": 2 / 3},
                    {"label": "cat", "confidence": 1 / 3},
                ],
            },
        ],
        "unreadable": [{"path": "/p/broken.jpg", "reason": "truncated"}],
    }


def test_json_defaults_and_empty(tmp_path):
    out = tmp_path / "r.json"
    assert write_results_json(iter([DOG, CAT]), out) == 2
    doc = json.loads(out.read_text())
    assert doc["model"] is None
    assert doc["classes"] == ["bird", "cat", "dog"]  # every label seen, sorted
    assert [r["path"] for r in doc["results"]] == [DOG.path, CAT.path]
    assert doc["unreadable"] == []

    assert write_results_json([], out, class_names=[]) == 0
    assert json.loads(out.read_text()) == {
        "model": None,
        "classes": [],
        "results": [],
        "unreadable": [],
    }


def test_json_non_finite_confidence_becomes_null(tmp_path):
    out = tmp_path / "r.json"
    write_results_json([ClassifiedImage("/x.png", "cat", float("nan"), ())], out)
    assert json.loads(out.read_text())["results"][0]["confidence"] is None


def test_json_failure_midway_keeps_previous_file(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("{}\n")

    def results():
        yield CAT
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_results_json(results(), out, class_names=["cat"])
    with pytest.raises(TypeError):
        write_results_json([CAT], out, model_info={"bad": object()})
    assert out.read_text() == "{}\n"
    assert sorted(os.listdir(tmp_path)) == ["r.json"]
