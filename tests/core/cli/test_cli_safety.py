"""The command line never leaves a half-truth (issue 8, items 6-10): what it prints after
Ctrl+C matches what exists, bad outputs are refused before any work, a sort that failed or
was interrupted says so and exits non-zero, and a sort inside its source is not re-read."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from core.events import StepEnded
from tests.core.cli.cli_helpers import PINNED_CPU, cli, one_line_error
from tests.core.image_factory import make_image, make_shapes_dataset
from tests.core.run_factory import make_run_folder

FAST = ["--arch", "loupe_net", "--epochs", 2, "--batch-size", 16, "--image-size", 16]
FAST += ["--device", "cpu", *PINNED_CPU]


@pytest.fixture
def photos(tmp_path) -> Path:
    return make_shapes_dataset(tmp_path / "photos", per_class=2, size=32, seed=5)


# -- 6. Ctrl+C says what is really there ----------------------------------------------------


def _ctrl_c_at_first_step(monkeypatch, action):
    from core.cli.progress import TrainProgress

    handle = TrainProgress.handle
    fired = []

    def handle_then_ctrl_c(self, event):
        handle(self, event)
        if isinstance(event, StepEnded) and not fired:
            fired.append(event)
            action()

    monkeypatch.setattr(TrainProgress, "handle", handle_then_ctrl_c)


def test_hard_ctrl_c_in_the_first_epoch_says_no_model_was_saved(
    capsys, monkeypatch, shapes_data, tmp_path
):
    out = tmp_path / "run"

    def hard_interrupt():
        raise KeyboardInterrupt

    _ctrl_c_at_first_step(monkeypatch, hard_interrupt)
    code, _, err = cli(capsys, "train", shapes_data, "--out", out, *FAST)
    assert code == 130
    assert err.strip().splitlines()[-1] == "Interrupted. No model was saved yet."
    assert "best model so far" not in err
    summary = json.loads((out / "run.json").read_text())
    assert summary["status"] == "interrupted" and not (out / "model.safetensors").exists()


def test_first_ctrl_c_stops_cleanly_and_says_how_to_go_on(
    capsys, monkeypatch, shapes_data, tmp_path
):
    out = tmp_path / "run"
    _ctrl_c_at_first_step(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGINT))
    code, _, err = cli(capsys, "train", shapes_data, "--out", out, *FAST)
    assert code == 130
    assert "Stopping after this step" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Stopped by the user during epoch 1; saved the weights so far")
    assert last.endswith(f"Continue with: python main.py train {shapes_data} --out {out} --resume")
    assert json.loads((out / "run.json").read_text())["status"] == "stopped"
    assert (out / "model.safetensors").is_file() and (out / "last.ckpt").is_file()


# -- 7. refused before a run folder exists --------------------------------------------------


def test_out_that_is_a_file_is_refused_and_kept(capsys, shapes_data, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    code, _, err = cli(capsys, "train", shapes_data, "--out", notes, *FAST)
    assert code == 1
    assert f"The run folder {notes} is a file" in one_line_error(err)
    assert notes.read_text() == "mine"


def test_a_dataset_that_cannot_train_leaves_no_run_folder(capsys, tmp_path):
    make_image(tmp_path / "data" / "only" / "a.png")
    code, _, err = cli(capsys, "train", tmp_path / "data", "--out", tmp_path / "run", *FAST)
    assert code == 1 and "at least two classes" in one_line_error(err)
    assert not (tmp_path / "run").exists()


# -- 8. classify checks its outputs first ---------------------------------------------------


@pytest.mark.parametrize("flag", ["--out", "--json"])
def test_classify_refuses_an_output_folder_before_loading_the_model(
    capsys, monkeypatch, tmp_path, photos, flag
):
    import core.infer.inference

    def never(*_args, **_kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(core.infer.inference, "load_model_for_inference", never)
    args = ["classify", tmp_path / "run", photos, "--out", tmp_path / "r.csv"]
    args += [flag, tmp_path] if flag == "--json" else []
    if flag == "--out":
        args[4] = tmp_path
    code, _, err = cli(capsys, *args)
    assert code == 1
    assert f"{flag} {tmp_path} is a folder" in one_line_error(err)


def test_classify_into_a_missing_folder_names_the_users_path(capsys, tmp_path, photos):
    target = tmp_path / "no" / "r.csv"
    code, _, err = cli(capsys, "classify", tmp_path / "run", photos, "--out", target)
    assert code == 1
    assert f"Cannot write --out {target}: the folder {tmp_path / 'no'}" in one_line_error(err)


# -- 9. sorting: failures exit non-zero, long names fit, Ctrl+C says how to undo ------------


def test_a_sort_with_failed_files_exits_non_zero(capsys, monkeypatch, tmp_path, photos):
    import core.files.sort_plan

    run = make_run_folder(tmp_path / "run")
    real_plan = core.files.sort_plan.plan_sort

    def plan_then_lose_a_file(results, *args, **kwargs):
        plan = real_plan(results, *args, **kwargs)
        os.remove(plan.ops[0].source)  # vanished between classifying and sorting
        return plan

    monkeypatch.setattr(core.files.sort_plan, "plan_sort", plan_then_lose_a_file)
    dest = tmp_path / "sorted"
    code, _, err = cli(
        capsys, "classify", run, photos, "--out", tmp_path / "r.csv", "--sort-into", dest
    )
    assert code == 1
    assert "not sorted:" in err and "file no longer exists" in err
    assert "Sorted 5 of 6 files; 1 could not be sorted (listed above). Undo with:" in err


def test_long_class_and_file_names_are_shortened_to_fit(capsys, tmp_path):
    long_class = "🐈" * 100  # 400 bytes of UTF-8: too long for any file system
    run = make_run_folder(tmp_path / "run")
    meta = json.loads((run / "model.json").read_text())
    meta["class_names"] = [long_class, "b" * 300, "c"]
    (run / "model.json").write_text(json.dumps(meta))
    name = "x" * 251 + ".png"  # 255 bytes: the longest name a file can have
    images = tmp_path / "images"
    make_image(images / name, size=(32, 32))
    dest = tmp_path / "sorted"
    code, _, err = cli(
        capsys, "classify", run, images, "--out", tmp_path / "r.csv", "--sort-into", dest
    )
    assert code == 0, err
    placed = [p for p in dest.rglob("*.png")]
    assert len(placed) == 1 and placed[0].name == name
    assert all(len(p.name.encode()) <= 100 for p in dest.iterdir() if p.is_dir())

    # The same image again: " (1)" still fits, by shortening the name, keeping ".png".
    code, _, err = cli(
        capsys, "classify", run, images, "--out", tmp_path / "r2.csv", "--sort-into", dest
    )
    assert code == 0, err
    second = sorted(dest.rglob("*.png"), key=lambda p: len(p.name))[0]
    assert second.name.endswith(" (1).png") and len(second.name.encode()) == 255


def test_ctrl_c_during_a_sort_says_how_to_undo(capsys, monkeypatch, tmp_path, photos):
    import core.files.sorting

    run = make_run_folder(tmp_path / "run")
    real_place = core.files.sorting.place_file
    calls = []

    def place_with_ctrl_c(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl+C during file 2
        return real_place(*args, **kwargs)

    monkeypatch.setattr(core.files.sorting, "place_file", place_with_ctrl_c)
    dest = tmp_path / "sorted"
    code, _, err = cli(
        capsys, "classify", run, photos, "--out", tmp_path / "r.csv", "--sort-into", dest, "--move"
    )
    assert code == 130
    manifest = next(dest.glob("loupe-sort-manifest-*.jsonl"))
    assert err.strip().endswith(
        f"Sorted 2 of 6 files; stopped by Ctrl+C. Undo with: python main.py undo {manifest}."
    )
    assert len(list(dest.rglob("*.png"))) == 2 and len(list(photos.rglob("*.png"))) == 4


# -- 10. a sort inside its source is not read again; --move needs --sort-into ---------------


def test_a_sort_inside_the_source_folder_is_skipped_next_time(capsys, tmp_path, photos):
    run = make_run_folder(tmp_path / "run")
    inside = photos / "sorted"
    code, _, _ = cli(
        capsys, "classify", run, photos, "--out", tmp_path / "a.csv", "--sort-into", inside
    )
    assert code == 0
    code, _, err = cli(capsys, "classify", run, photos, "--out", tmp_path / "b.csv")
    assert code == 0
    assert f"skipped {inside}: it holds a Loupe sort" in err
    rows = (tmp_path / "b.csv").read_text().splitlines()
    assert len(rows) == 1 + 6  # the 6 photos, not 12


def test_move_without_sort_into_is_an_error(capsys, tmp_path, photos):
    code, _, err = cli(
        capsys, "classify", tmp_path / "run", photos, "--out", tmp_path / "r.csv", "--move"
    )
    assert code == 1 and "--move only works with --sort-into" in one_line_error(err)
    assert not (tmp_path / "r.csv").exists()
