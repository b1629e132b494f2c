"""Loupe as a hostile or clumsy user meets it, end to end through the command line
(issue 8, items 1-5). Each test is a scenario that once lost data or ended in a traceback;
each asserts what the user would see: the files on disk, the exit code, one-line messages."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.files.run_lock import RunLock
from tests.conftest import ROOT
from tests.core.cli.cli_helpers import cli, one_line_error
from tests.core.image_factory import make_shapes_dataset
from tests.core.run_factory import file_bytes, make_run_folder


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".jsonl")
    }


@pytest.fixture
def run(tmp_path) -> Path:
    return make_run_folder(tmp_path / "run")


@pytest.fixture
def photos(tmp_path) -> Path:
    return make_shapes_dataset(tmp_path / "photos", per_class=2, size=32, seed=5)


# -- 1. undo never deletes the only copy ----------------------------------------------------


def test_undo_after_the_originals_were_deleted_keeps_every_copy(capsys, tmp_path, run, photos):
    dest = tmp_path / "sorted"
    code, _, _ = cli(
        capsys, "classify", run, photos, "--out", tmp_path / "r.csv", "--sort-into", dest
    )
    assert code == 0
    copies = digests(dest)
    assert len(copies) == 6
    shutil.rmtree(photos)  # "I have them sorted now"

    manifest = next(dest.glob("loupe-sort-manifest-*.jsonl"))
    code, out, err = cli(capsys, "undo", manifest)

    assert digests(dest) == copies  # not one copy deleted
    assert code == 1  # something was left as it was: not a clean undo
    assert "restored" not in out.lower()
    assert out.strip() == "Undo: nothing was changed; 6 files left as they are."
    assert err.count("is gone; kept this copy") == 6


# -- 2. a manifest cannot point undo at other files -----------------------------------------


def test_a_crafted_manifest_cannot_delete_a_file_elsewhere(capsys, tmp_path):
    victim = tmp_path / "home" / "thesis.pdf"
    victim.parent.mkdir()
    victim.write_bytes(b"four years")
    shutil.copy(victim, tmp_path / "home" / "thesis-original.pdf")
    digest = hashlib.sha256(b"four years").hexdigest()
    manifest = tmp_path / "downloads" / "loupe-sort-manifest-evil.jsonl"
    manifest.parent.mkdir()
    manifest.write_text(
        json.dumps({"loupe_sort_manifest": 1, "dest_root": "/", "move": False})
        + "\n"
        + json.dumps(
            {
                "op": "copy",
                "source": str(tmp_path / "home" / "thesis-original.pdf"),
                "destination": str(victim),
                "size": 10,
                "sha256": digest,
            }
        )
        + "\n"
    )
    code, out, err = cli(capsys, "undo", manifest)
    assert code == 1 and out == ""
    line = one_line_error(err)
    assert str(victim) in line and "not inside the folder the manifest is in" in line
    assert victim.read_bytes() == b"four years"


# -- 3. export writes only its own output ---------------------------------------------------


def test_export_never_replaces_a_runs_files(capsys, tmp_path, run):
    other = make_run_folder(tmp_path / "other", seed=1)
    before = {"run": file_bytes(run), "other": file_bytes(other)}

    code, _, err = cli(capsys, "export", run, "--out", other, "--format", "folder", "--force")
    assert code == 1 and "file of the training run" in one_line_error(err)

    for name in ("model.pt", "config.pt"):
        code, out, err = cli(capsys, "export", run, "--out", run / name)
        assert code == 0, err
        assert out.strip().endswith(f"Exported torchscript model to {run / name}")
    code, _, err = cli(capsys, "export", run, "--out", run / "model.pt")
    assert code == 1 and "already exists" in one_line_error(err)

    after = {"run": file_bytes(run), "other": file_bytes(other)}
    assert after["other"] == before["other"]
    assert {k: after["run"][k] for k in before["run"]} == before["run"]
    assert sorted(set(after["run"]) - set(before["run"])) == [
        "config.pt",
        "config.pt.json",
        "model.pt",
        "model.pt.json",
    ]


# -- 4. one writer per run folder -----------------------------------------------------------


def test_a_second_train_into_a_busy_run_folder_is_refused(capsys, tmp_path, photos):
    out = tmp_path / "run"
    first = RunLock.acquire(str(out))  # another `train` is writing this folder
    try:
        code, _, err = cli(capsys, "train", photos, "--out", out, "--epochs", 1, "--device", "cpu")
    finally:
        first.release()
    assert code == 1
    assert "is in use by another Loupe run" in one_line_error(err)
    assert [p.name for p in out.iterdir()] == [".loupe-run.lock"]  # nothing else written


def test_a_second_train_process_is_refused_with_exit_code_1(tmp_path, photos):
    """Real processes: the lock is the operating system's, between processes."""
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                sys.path.insert(0, {str(ROOT)!r})
                from core.files.run_lock import RunLock
                lock = RunLock.acquire({str(out)!r})
                print("locked", flush=True)
                time.sleep(120)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "train", str(photos), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1
    line = one_line_error(second.stderr)
    assert f"in use by another Loupe run (process {holder.pid}" in line


# -- 5. hostile metadata is refused in one line naming the file and the field ----------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"image_size": 100_000}, "'image_size'"),
        ({"format_version": "abc"}, "'format_version'"),
        ({"normalization": [0.5, 0.5, 0.5]}, "'normalization'"),
        ({"resize_mode": "zoom"}, "'resize_mode'"),
    ],
)
def test_classify_with_a_hostile_model_json(capsys, tmp_path, run, photos, change, field):
    meta = json.loads((run / "model.json").read_text())
    (run / "model.json").write_text(json.dumps({**meta, **change}))
    results = tmp_path / "r.csv"
    code, _, err = cli(capsys, "classify", run, photos, "--out", results)
    assert code == 1
    assert one_line_error(err).startswith(f"loupe: error: {run / 'model.json'}: {field}")
    assert not results.exists()


@pytest.mark.parametrize(
    ("config", "words"),
    [([1], "must be a JSON object"), ({"epochs": "many"}, "'epochs' must be a whole number")],
)
def test_resume_with_a_hostile_config_json(capsys, tmp_path, run, photos, config, words):
    (run / "config.json").write_text(json.dumps(config))
    before = file_bytes(run)
    code, _, err = cli(capsys, "train", photos, "--out", run, "--resume")
    assert code == 1
    line = one_line_error(err)
    assert str(run / "config.json") in line and words in line
    assert file_bytes(run) == before


def test_export_into_a_missing_folder_names_it(capsys, tmp_path, run):
    code, _, err = cli(
        capsys, "export", run, "--out", tmp_path / "no" / "m.onnx", "--format", "onnx"
    )
    assert code == 1
    assert f"the folder {tmp_path / 'no'} does not exist" in one_line_error(err)
