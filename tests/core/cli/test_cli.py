"""The command line contract other tools rely on: names, exit codes, CSV header, one-line errors.

The commands run in this process through main.main (what `python main.py ARGS` calls): the
same parsing and dispatch without a fresh interpreter and `import torch` per call. One test
starts real processes for what only a process shows: exit codes and a clean stderr."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from tests.core.cli.cli_helpers import PINNED_CPU, loupe, loupe_process
from tests.core.image_factory import make_shapes_dataset, write_all_corrupt


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    data = make_shapes_dataset(base / "data", per_class=24, size=32, seed=3)
    out = base / "run"
    result = loupe(
        "train",
        data,
        "--out",
        out,
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--device",
        "cpu",
        "--seed",
        "1",
        *PINNED_CPU,
    )
    assert result.returncode == 0, result.stderr
    return base, data, out, result


def test_train_writes_a_run_and_reports_progress(cli_run):
    _, _, out, result = cli_run
    assert (out / "model.safetensors").is_file() and (out / "metrics.csv").is_file()
    assert "epoch 3/3" in result.stderr  # one line per epoch when not on a terminal
    assert "Traceback" not in result.stderr


def test_resume_extends_a_finished_run(cli_run):
    base, data, out, _ = cli_run
    copy = base / "extended"
    import shutil

    shutil.copytree(out, copy)
    result = loupe("train", data, "--out", copy, "--resume", "--epochs", "4")
    assert result.returncode == 0, result.stderr
    assert "epoch 4/4" in result.stderr and "epoch 1/4" not in result.stderr
    rows = list(csv.DictReader(open(copy / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["0", "1", "2", "3"]


def test_classify_writes_csv_and_lists_unreadable_files(cli_run, tmp_path):
    _, _, out, _ = cli_run
    images = make_shapes_dataset(tmp_path / "imgs", per_class=5, size=32, seed=9)
    corrupt = write_all_corrupt(images / "bad")
    csv_path = tmp_path / "results.csv"
    result = loupe("classify", out, images, "--out", csv_path, "--top-k", "2")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(open(csv_path)))
    assert rows[0][:3] == ["path", "label", "confidence"]
    assert rows[0][3:] == ["top1_label", "top1_confidence", "top2_label", "top2_confidence"]
    readable = sorted(str(p) for p in images.rglob("*.png") if p.parent.name != "bad")
    assert sorted(r[0] for r in rows[1:]) == readable and len(readable) == 15
    # Each label against the folder the image truly belongs to (3 epochs learn these shapes).
    right = sum(Path(r[0]).parent.name == r[1] for r in rows[1:])
    assert right >= 12, f"{right} of 15 labels match their folder"
    for path, reason in corrupt.items():
        assert f"{path}: {reason}" in result.stderr


def test_classify_sort_into_copies_and_undo_restores(cli_run, tmp_path):
    _, _, out, _ = cli_run
    images = make_shapes_dataset(tmp_path / "imgs", per_class=4, size=32, seed=11)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in images.rglob("*.png")}
    dest = tmp_path / "sorted"
    result = loupe("classify", out, images, "--out", tmp_path / "r.csv", "--sort-into", dest)
    assert result.returncode == 0, result.stderr
    copies = list(dest.rglob("*.png"))
    assert len(copies) == len(before)
    assert sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in copies) == sorted(
        before.values()
    )
    manifest = next(dest.glob("loupe-sort-manifest-*.jsonl"))
    undo = loupe("undo", manifest)
    assert undo.returncode == 0, undo.stderr
    assert not list(dest.rglob("*.png"))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in images.rglob("*.png")} == before


def test_unsure_threshold_sends_images_below_it_to_unsure(cli_run, tmp_path):
    _, _, out, _ = cli_run
    images = make_shapes_dataset(tmp_path / "imgs", per_class=2, size=32, seed=12)
    dest = tmp_path / "sorted"
    args = ("classify", out, images, "--out", tmp_path / "r.csv", "--sort-into", dest)
    result = loupe(*args, "--unsure-threshold", "0.999")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "r.csv", newline="") as f:
        confidence = {Path(r["path"]).name: float(r["confidence"]) for r in csv.DictReader(f)}
    folders = {p.name: p.parent.name for p in dest.rglob("*.png")}
    assert folders.keys() == confidence.keys()
    for name, folder in folders.items():
        # The CSV rounds: only values clear of the threshold are checked.
        if confidence[name] < 0.998:
            assert folder == "_unsure", (name, confidence[name])
        elif confidence[name] > 0.9995:
            assert folder != "_unsure", (name, confidence[name])
    manifest = next(dest.glob("loupe-sort-manifest-*.jsonl"))
    assert '"unsure_threshold": 0.999' in manifest.read_text().splitlines()[0]
    # The flag's earlier name still works for scripts written before.
    from core.cli.commands import build_parser

    old = build_parser().parse_args(["classify", "r", "i", "--out", "o", "--min-confidence", "0.3"])
    assert old.unsure_threshold == 0.3


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "/no/such/folder", "--out", "{tmp}/x"], "not found"),
        (["train", "--out", "{tmp}/x"], "required"),
        (["train", "{empty}", "--out", "{tmp}/run"], "no class"),
        (["classify", "/no/such/run", "{empty}", "--out", "{tmp}/r.csv"], "not found"),
        (["train", "{empty}", "--out", "{tmp}/x", "--epochs", "-1"], "from 1 to 10,000"),
        (["frobnicate"], "invalid choice"),
        # --log-file into a missing folder or onto a folder was a traceback (audit, session 7)
        (
            ["train", "{empty}", "--out", "{tmp}/x", "--log-file", "{tmp}/no/x.log"],
            "does not exist",
        ),
        (["train", "{empty}", "--out", "{tmp}/x", "--log-file", "{empty}"], "is a folder"),
        (
            ["train", "{empty}", "--out", "{tmp}/x", "--events-file", "{tmp}/e"],
            "needs --events json",
        ),
    ],
)
def test_user_errors_are_one_line_never_a_traceback(tmp_path, args, words):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [a.format(empty=empty, tmp=tmp_path) for a in args]
    result = loupe(*args)
    assert result.returncode != 0
    err = result.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert words in err.lower()


def test_a_real_process_exits_with_the_code_and_one_clean_line(tmp_path):
    """What only a process shows: the exit status the shell sees, and nothing else on stderr
    (no warning, no traceback). These commands fail before importing torch: fast."""
    usage = loupe_process("frobnicate")
    assert usage.returncode == 2
    (line,) = usage.stderr.strip().splitlines()
    assert line.startswith("loupe: error: ") and "invalid choice" in line
    missing = loupe_process("undo", tmp_path / "no-manifest.jsonl")
    assert missing.returncode == 1 and missing.stdout == ""
    (line,) = missing.stderr.strip().splitlines()
    assert line.startswith("loupe: error: ") and "no-manifest.jsonl" in line
    version = loupe_process("--version")
    assert version.returncode == 0 and version.stdout.startswith("Loupe ")
    assert version.stderr == ""


def test_models_lists_architectures_with_counts_and_offline_status():
    result = loupe("models")
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("resnet18 "))
    assert "11,181,642" in line  # with a 10-class head
    assert "cached" in line or "not cached" in line


def test_export_torchscript(cli_run, tmp_path):
    import torch

    _, _, out, _ = cli_run
    target = tmp_path / "model.pt"
    result = loupe("export", out, "--out", target)
    assert result.returncode == 0, result.stderr
    scripted = torch.jit.load(str(target))
    assert scripted(torch.zeros(1, 3, 32, 32)).shape == (1, 3)
    assert (tmp_path / "model.pt.json").is_file()  # the sidecar is named after the export


def test_self_test_passes():
    result = loupe("--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [
        ["ok", "qt"],
        ["ok", "torch"],
        ["ok", "dataset"],
        ["ok", "train"],
        ["ok", "classify"],
        ["ok", "model"],
        ["ok", "distributed"],
        ["ok", "onnx"],
        ["ok", "explanations"],
        ["ok", "dataset"],
        ["ok", "pretrained"],
    ], lines
    assert "38 training, 10 validation images" in lines[2]
    assert "validation accuracy" in lines[3] and "48 images classified" in lines[4]
    assert "reloaded identically" in lines[5]
    # The launcher of multi-GPU training and a process group that communicated.
    assert "torch.distributed.run" in lines[6] and "all_reduce ok" in lines[6]
    assert "onnxruntime" in lines[7] and "captum" in lines[8] and "cleanlab" in lines[9]
    assert "EfficientNet-Lite0" in lines[10]
    assert lines[-1] == "self-test passed"


def test_unwritable_output_is_a_one_line_error(cli_run, tmp_path):
    _, data, out, _ = cli_run
    result = loupe("classify", out, data, "--out", tmp_path / "missing" / "dir" / "r.csv")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("loupe: error: ")


def test_train_events_json_prints_only_events_on_stdout(tmp_path):
    from core.event_stream import decode
    from core.events import RunFinished

    data = make_shapes_dataset(tmp_path / "data", per_class=6, size=16)
    result = loupe(
        "train", data, "--out", tmp_path / "run", "--arch", "simple_cnn", "--epochs", "1",
        "--image-size", "16", "--batch-size", "8", "--device", "cpu", "--events", "json",
        *PINNED_CPU,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = [decode(line) for line in result.stdout.splitlines()]  # every line is an event
    assert isinstance(events[-1], RunFinished) and events[-1].status == "completed"
    assert "Model:" in result.stderr  # the sentence for people goes to stderr


def test_top_level_help_lists_the_self_test():
    # --self-test works (main.py runs it) but --help did not mention it (audit, session 7).
    result = loupe("--help")
    assert result.returncode == 0 and "--self-test" in result.stdout
