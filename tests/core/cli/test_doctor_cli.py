"""`python main.py doctor DATA --out REPORT` through the real command line parser."""

from __future__ import annotations

import json
import shutil

from core.cli.commands import run_cli
from tests.core.image_factory import make_shapes_dataset


def test_doctor_writes_json_and_html_and_names_them(tmp_path, capsys):
    root = make_shapes_dataset(tmp_path / "data", per_class=6, seed=5)
    shutil.copy(root / "circle" / "circle_000.png", root / "square" / "same.png")
    out = tmp_path / "report"
    assert run_cli(["doctor", str(root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "doctor.html" in printed and "1 exact-duplicate group" in printed
    report = json.loads((out / "doctor.json").read_text(encoding="utf-8"))
    assert report["label_conflicts"] == [["circle/circle_000.png", "square/same.png"]]
    assert (out / "doctor.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_doctor_on_a_missing_folder_is_one_line(tmp_path, capsys):
    assert run_cli(["doctor", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0]
    assert not (tmp_path / "r").exists()


def test_doctor_replaces_an_earlier_report_only_with_force(tmp_path, capsys):
    """doctor --out once replaced an earlier doctor.json/doctor.html without being asked."""
    root = make_shapes_dataset(tmp_path / "data", per_class=4, seed=5)
    out = tmp_path / "report"
    out.mkdir()
    (out / "doctor.html").write_text("an earlier report")
    assert run_cli(["doctor", str(root), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "doctor.html already exists" in err[0] and "--force" in err[0]
    assert sorted(p.name for p in out.iterdir()) == ["doctor.html"]
    assert (out / "doctor.html").read_text() == "an earlier report"
    assert run_cli(["doctor", str(root), "--out", str(out), "--force"]) == 0
    assert (out / "doctor.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert run_cli(["doctor", str(root), "--out", str(afile)]) == 1
    assert "is a file" in capsys.readouterr().err and afile.read_text() == "mine"
