"""Learning from unlabelled images (issue 11 item 5): the flag reaches the run, the run folder
says how many images were used at which threshold and whether they helped, bad folders are
refused before anything is written, and a resumed run ends where an uninterrupted one does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from core.control import RunControl
from core.events import EpochEnded, LogMessage, RunFinished
from core.train.config import TrainConfig
from core.train.loop import fit
from core.train.semi_supervised import pseudo_labels
from core.train.unlabelled_config import UnlabelledConfig
from tests.core.cli.cli_helpers import PINNED_CPU, loupe
from tests.core.image_factory import make_image, make_shapes_dataset, write_corrupt
from tests.core.run_checks import assert_same_tensors, metric_rows

PER_CLASS = 6  # unlabelled shapes per class
SMALL = dict(
    arch="loupe_net",
    epochs=2,
    batch_size=8,
    image_size=32,
    cpu_threads=1,
    mixed_precision="off",
    device="cpu",
    seed=5,
)


@pytest.fixture(scope="module")
def unlabelled(shapes_data, tmp_path_factory) -> Path:
    """Shapes of the dataset's classes (their class folders mean nothing here), one corrupt
    file and one byte-for-byte copy of a labelled image."""
    root = tmp_path_factory.mktemp("unlabelled") / "pool"
    make_shapes_dataset(root, per_class=PER_CLASS, size=32, seed=7)
    write_corrupt("truncated_jpeg", root)
    labelled = sorted(Path(shapes_data).rglob("*.png"))[0]
    shutil.copy(labelled, root / "copy-of-a-labelled-image.png")
    return root


def _config(data: str, out: Path, folder: Path | None, **overrides) -> TrainConfig:
    semi = UnlabelledConfig(folder=str(folder) if folder else None, threshold=0.9, ratio=2)
    return TrainConfig(data_dir=data, out_dir=str(out), unlabelled=semi, **{**SMALL, **overrides})


@pytest.fixture(scope="module")
def semi_run(shapes_data, unlabelled, tmp_path_factory):
    out = tmp_path_factory.mktemp("semi") / "run"
    result = loupe(
        "train", shapes_data, "--out", out, "--unlabelled", unlabelled,
        "--unlabelled-threshold", "0.9", "--unlabelled-ratio", "2", "--arch", "loupe_net",
        "--epochs", "2", "--batch-size", "8", "--image-size", "32", "--seed", "5",
        "--device", "cpu", *PINNED_CPU,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, result


def test_pseudo_labels_only_where_the_model_is_sure_enough():
    # Two classes: softmax of (log p, log (1 - p)) gives confidence p exactly.
    p = torch.tensor([0.96, 0.94, 0.03, 0.951])
    logits = torch.stack([p.log(), (1 - p).log()], 1)
    classes, mask = pseudo_labels(logits, threshold=0.95)
    assert classes.tolist() == [0, 0, 1, 0]
    assert mask.tolist() == [1.0, 0.0, 1.0, 1.0]  # the third is 97 % sure of class 1
    assert pseudo_labels(logits, threshold=0.99)[1].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_with_label_smoothing_the_threshold_is_relative_to_the_reachable_confidence():
    # Smoothing 0.1 over 2 classes: a perfect model says 0.95, which is 100 % of its reach.
    p = torch.tensor([0.95, 0.90])
    logits = torch.stack([p.log(), (1 - p).log()], 1)
    assert pseudo_labels(logits, 0.95, label_smoothing=0.0)[1].tolist() == [1.0, 0.0]
    assert pseudo_labels(logits, 0.95, label_smoothing=0.1)[1].tolist() == [1.0, 0.0]
    assert pseudo_labels(logits, 0.85, label_smoothing=0.1)[1].tolist() == [1.0, 1.0]


def test_run_records_the_images_used_and_the_threshold(semi_run, unlabelled):
    out, result = semi_run
    record = json.loads((out / "run.json").read_text())["unlabelled"]
    # Three classes of shapes; the corrupt file and the dataset's own image are left out.
    assert record["images"] == 3 * PER_CLASS
    assert record["unreadable"] == 1 and record["left_out_as_dataset_copies"] == 1
    assert record["threshold"] == 0.9 and record["ratio"] == 2
    assert isinstance(record["labelled_only_best_val_acc"], float)
    assert record["verdict"].startswith("Unlabelled images")
    assert isinstance(record["helped"], bool)
    config = json.loads((out / "config.json").read_text())
    assert config["unlabelled"]["folder"] == str(unlabelled)
    rows = metric_rows(out)
    assert len(rows) == 2
    for row in rows:
        assert 0.0 <= float(row["unlabelled_confident"]) <= 1.0
        assert 0.0 <= float(row["labelled_only_val_acc"]) <= 1.0
    skipped = json.loads((out / "dataset.json").read_text())["skipped"]
    assert any(s["path"].endswith("cut.jpg") for s in skipped)
    assert "also in the dataset" in result.stderr
    assert "above the 90% confidence threshold" in result.stderr


@pytest.mark.parametrize("problem", ["missing", "no images", "inside the dataset"])
def test_bad_unlabelled_folders_are_refused_before_the_run_folder_exists(
    shapes_data, tmp_path, problem
):
    folder = {
        "missing": tmp_path / "nowhere",
        "no images": tmp_path / "notes",
        "inside the dataset": Path(shapes_data) / "circle",
    }[problem]
    if problem == "no images":
        folder.mkdir()
        (folder / "readme.txt").write_text("not an image")
        make_image(folder / ".hidden" / "a.png")  # hidden folders are not looked in
    out = tmp_path / "run"
    finished = list(fit(_config(shapes_data, out, folder)))[-1]
    assert isinstance(finished, RunFinished) and finished.status == "failed"
    assert "Unlabelled images (--unlabelled)" in finished.reason
    assert str(folder) in finished.reason
    assert not out.exists()
    cli = loupe("train", shapes_data, "--out", out, "--unlabelled", folder, "--epochs", 1)
    assert cli.returncode != 0 and str(folder) in cli.stderr and not out.exists()


def test_a_folder_of_only_dataset_copies_is_refused_in_a_sentence(shapes_data, tmp_path):
    copies = tmp_path / "copies"
    copies.mkdir()
    for path in sorted(Path(shapes_data).rglob("*.png"))[:3]:
        shutil.copy(path, copies / path.name)
    finished = list(fit(_config(shapes_data, tmp_path / "run", copies)))[-1]
    assert finished.status == "failed"
    assert finished.reason.startswith(f"Every image in {copies} is also in the dataset")
    assert not (tmp_path / "run").exists()


def test_stopped_and_resumed_semi_supervised_run_equals_an_uninterrupted_one(
    shapes_data, unlabelled, semi_run, tmp_path
):
    straight, _ = semi_run  # the same settings, given as flags, trained without a stop
    out = tmp_path / "resumed"
    control = RunControl()
    events = []
    for event in fit(_config(shapes_data, out, unlabelled), control):
        events.append(event)
        if isinstance(event, EpochEnded):
            control.request_stop()
    assert event.status == "stopped" and len(metric_rows(out)) == 1
    assert any(isinstance(e, LogMessage) and "labelled-only model" in e.text for e in events)
    finished = list(fit(_config(shapes_data, out, unlabelled, resume=True)))[-1]
    assert finished.status == "completed", finished.reason

    # The labelled-only twin resumed too: its figures and weights match the straight run's.
    assert metric_rows(out) == metric_rows(straight)
    ours = torch.load(out / "last.ckpt", weights_only=True)
    theirs = torch.load(straight / "last.ckpt", weights_only=True)
    assert_same_tensors(ours["model"], theirs["model"])
    assert_same_tensors(ours["unlabelled"]["model"], theirs["unlabelled"]["model"])
    summary = json.loads((out / "run.json").read_text())["unlabelled"]
    assert summary == json.loads((straight / "run.json").read_text())["unlabelled"]
    assert finished.reason.endswith(summary["verdict"])
    assert finished.unlabelled_verdict == summary["verdict"]


def test_under_torchrun_unlabelled_images_are_refused_in_a_sentence(
    shapes_data, unlabelled, tmp_path, monkeypatch
):
    from core.train import loop
    from core.train.distributed import Ranks

    # Process 0 of two, as torchrun would start it; refused before joining the others.
    monkeypatch.setattr(loop.Ranks, "from_env", classmethod(lambda cls: Ranks(0, 2, 0, 2)))
    finished = list(fit(_config(shapes_data, tmp_path / "run", unlabelled)))[-1]
    assert finished.status == "failed"
    assert finished.reason.startswith("Learning from unlabelled images (--unlabelled) is not")
    assert not (tmp_path / "run").exists()


def test_all_gpus_with_unlabelled_images_is_a_problem_before_anything_starts(
    shapes_data, unlabelled
):
    from core.train.launch import ALL_GPUS
    from core.train.validation import config_problems

    config = _config(shapes_data, Path("unused"), unlabelled, device=ALL_GPUS)
    assert any(p.startswith("Unlabelled images (--unlabelled) cannot be used with 'All GPUs'")
               for p in config_problems(config))  # fmt: skip
    assert not config_problems(_config(shapes_data, Path("unused"), unlabelled))
