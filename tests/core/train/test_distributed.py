"""Data-parallel training under torchrun, with 2 CPU processes (gloo) as CI has no GPU: the
real launcher (`python -m torch.distributed.run --standalone --nproc-per-node 2`) in a
subprocess on a few dozen 16 px images. Plus the arithmetic that shares an epoch out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from core.cli.commands import run_cli
from core.control import RunControl
from core.data.batches import CachedSource, StreamingSource
from core.data.datasets import Sample
from core.errors import LoupeError
from core.events import LogMessage, RunFinished
from core.infer.inference import classify_paths, list_images, load_model_for_inference
from core.models.checkpoints import load_checkpoint
from core.train import data_parallel, defaults, shards
from core.train.config import TrainConfig
from core.train.distributed import TEST_HOOK_EXIT_ENV, Ranks, ReadOnlyRunFolder
from core.train.step_report import ReportWindow
from tests.core.image_factory import make_image, make_shapes_dataset, write_corrupt

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
LAUNCH_TIMEOUT_S = 240  # a hang is a failure, not a stuck suite


# -- the arithmetic ----------------------------------------------------------------------
@pytest.mark.parametrize("images", [1, 2, 3, 17, 64, 65, 66, 129])
@pytest.mark.parametrize("batch", [2, 8, 64])
def test_one_process_takes_the_single_process_steps(images, batch):
    assert shards.steps_per_epoch(images, batch, 1) == defaults.steps_per_epoch(images, batch)


@pytest.mark.parametrize(("images", "batch", "world"), [(40, 8, 2), (41, 8, 2), (37, 12, 3)])
def test_every_process_takes_the_same_steps_and_together_every_image_once(images, batch, world):
    shares = [shards.rank_positions(images, batch, r, world) for r in range(world)]
    step_counts = {len(sizes) for _, sizes in shares}
    assert step_counts == {shards.steps_per_epoch(images, batch, world)}  # nobody waits alone
    assert all(min(sizes) >= 2 for _, sizes in shares)  # BatchNorm needs two per process
    taken = sorted(p for positions, _ in shares for p in positions)
    kept = [
        p for start, stop in shards.global_batches(images, batch, world) for p in range(start, stop)
    ]
    assert taken == kept  # no image twice, none of the kept batches left out
    for start, stop in shards.global_batches(images, batch, world)[:-1]:
        assert stop - start == batch  # the global batch is the configured one


def test_a_last_batch_too_small_to_share_is_left_out():
    # 41 images, global batch 8, 2 processes: 5 full batches and one of a single image.
    assert shards.global_batches(41, 8, 2)[-1] == (32, 40)
    assert shards.global_batches(43, 8, 2)[-1] == (32, 40)  # 3 images: one process gets 1
    assert shards.global_batches(44, 8, 2)[-1] == (40, 44)  # 4 images: two each


def test_validation_slices_cover_the_set_in_order():
    for images, world in ((8, 2), (9, 2), (10, 3), (1, 2)):
        ranges = [shards.slice_range(images, r, world) for r in range(world)]
        assert ranges[0][0] == 0 and ranges[-1][1] == images
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert max(hi - lo for lo, hi in ranges) - min(hi - lo for lo, hi in ranges) <= 1


def test_the_epoch_order_does_not_depend_on_the_world_size_or_the_resume_point():
    assert shards.epoch_seed(0, 3) == shards.epoch_seed(0, 3)
    assert len({shards.epoch_seed(0, e) for e in range(50)}) == 50
    assert shards.epoch_seed(0, 1) != shards.epoch_seed(1, 1)


def test_a_batch_too_small_for_the_processes_is_refused_in_one_sentence():
    with pytest.raises(LoupeError, match="at least 8"):
        shards.check_world(4, 100, 4, "data")
    with pytest.raises(LoupeError, match="data: 5 training images"):
        shards.check_world(8, 5, 4, "data")
    shards.check_world(1, 1, 1, "data")  # alone: nothing to share


# -- the real launcher ---------------------------------------------------------------------
def _torchrun(data, run, *flags, env_extra=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", **(env_extra or {}))
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "main.py",
        "train",
        str(data),
        "--out",
        str(run),
        "--device",
        "cpu",
        "--cpu-threads",
        "1",
        *flags,
    ]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S
    )


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    data = make_shapes_dataset(root / "data", classes=("circle", "square"), per_class=20, size=16)
    run = root / "run"
    done = _torchrun(data, run, "--epochs", "2", "--batch-size", "8", "--mixed-precision", "off")
    return data, run, done


def test_torchrun_trains_into_one_run_folder_written_by_rank_0(ddp_run):
    data, run, done = ddp_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(os.listdir(run)) == sorted(
        [
            ".loupe-run.lock",
            "config.json",
            "dataset.json",
            "evaluation.json",
            "last.ckpt",
            "metrics.csv",
            "model.json",
            "model.safetensors",
            "run.json",
            "steps.csv",
        ]
    )  # no stray files: the other process wrote nothing
    with open(run / "metrics.csv", encoding="utf-8") as f:
        assert len(f.read().strip().splitlines()) == 1 + 2  # one row per epoch, not per process
    config = json.loads((run / "config.json").read_text())
    summary = json.loads((run / "run.json").read_text())
    assert config["world_size"] == 2 and summary["world_size"] == 2
    assert summary["status"] == "completed"
    assert done.stdout.count("Model:") == 1  # rank 0 speaks for the run
    assert done.stderr.count("epoch 2/2") == 1
    weights = load_file(str(run / "model.safetensors"))
    checkpoint = load_checkpoint(str(run / "last.ckpt"))
    for keys in (weights.keys(), checkpoint["model"].keys()):
        assert not [k for k in keys if k.startswith("module.")]


def test_the_data_parallel_model_classifies(ddp_run):
    data, run, done = ddp_run
    assert done.returncode == 0, done.stderr[-3000:]
    lm = load_model_for_inference(str(run), "cpu")
    paths = list_images(str(data))
    results = [r for r in classify_paths(lm, paths) if hasattr(r, "label")]
    right = sum(r.label == os.path.basename(os.path.dirname(r.path)) for r in results)
    assert len(results) == 40 and right >= 32  # two colours: far above chance (20 of 40)


def test_resume_across_world_sizes_and_a_killed_process(ddp_run):
    data, run, done = ddp_run
    assert done.returncode == 0, done.stderr[-3000:]
    # The torchrun run continues in a single process...
    assert run_cli(["train", str(data), "--out", str(run), "--resume", "--epochs", "3"]) == 0
    assert json.loads((run / "config.json").read_text()).get("world_size", 1) == 1
    assert load_checkpoint(str(run / "last.ckpt"))["next_epoch"] == 3
    # ... and again under torchrun, where process 1 dies at its second step of epoch 4.
    killed = _torchrun(
        data, run, "--resume", "--epochs", "5", env_extra={TEST_HOOK_EXIT_ENV: "1:2"}
    )
    assert killed.returncode != 0
    assert "loupe: error: Training process 0 of 2" in killed.stderr  # one sentence, rank 0's
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == "failed" and "--resume" in summary["reason"]
    assert load_checkpoint(str(run / "last.ckpt"))["next_epoch"] == 3  # kept, resumable
    assert run_cli(["train", str(data), "--out", str(run), "--resume", "--epochs", "4"]) == 0
    with open(run / "metrics.csv", encoding="utf-8") as f:
        assert [r.split(",")[0] for r in f.read().strip().splitlines()[1:]] == ["0", "1", "2", "3"]


def test_a_refusal_every_process_makes_alike_is_said_once_by_process_0(tmp_path):
    """Not once per process ("loupe: error: ..." and "loupe: error: process 1: ..."), and not
    never either: the other processes wait for torchrun to stop them once process 0 has said
    it (ending first, they would have torchrun stop process 0 before it does)."""
    data = make_shapes_dataset(
        tmp_path / "data", classes=("circle", "square"), per_class=6, size=16
    )
    unlabelled = make_shapes_dataset(
        tmp_path / "unlabelled", classes=("circle", "square"), per_class=3, size=16
    )
    refusals = [
        (["--batch-size", "3"], "Batch size 3 is the global batch shared by 2 processes"),
        (["--lr", "99"], "Learning rate (--lr) must be from"),  # refused before torch loads
        (
            ["--unlabelled", str(unlabelled)],  # README: "refused before anything starts"
            "Learning from unlabelled images (--unlabelled) is not supported under torchrun",
        ),
    ]
    for flags, sentence in refusals:
        done = _torchrun(data, tmp_path / "run", "--epochs", "1", *flags)
        assert done.returncode != 0
        assert done.stderr.count(sentence) == 1, done.stderr[-3000:]
        assert f"loupe: error: {sentence}" in done.stderr and "process 1:" not in done.stderr
        assert not (tmp_path / "run").exists()


# -- the agreements, with a scripted second process -----------------------------------------
class _TwoRanks(Ranks):
    """Rank 0 of two, whose peer's contribution to each all_reduce is scripted."""

    def __init__(self, peer: list[float]) -> None:
        super().__init__(rank=0, world=2)
        self.peer = peer
        self.sent: list[list[float]] = []

    def all_reduce(self, values, op="sum"):
        self.sent.append([float(v) for v in values])
        return [max(a, b) for a, b in zip(values, self.peer, strict=True)]


def test_a_stop_asked_of_another_process_stops_this_one_at_the_same_step():
    ranks = _TwoRanks(peer=[1, 0, 0])  # the other process got Ctrl+C
    control = ranks.shared_control(RunControl())
    assert control.checkpoint() is True and control.stop_requested


def test_a_pause_holds_every_process_in_short_polls_until_resumed():
    ranks = _TwoRanks(peer=[0, 0, 0])
    own = RunControl()
    control = ranks.shared_control(own)
    own.pause()
    threading.Timer(1.2, own.resume).start()
    assert control.checkpoint() is False  # went on once resumed
    # Polled together several times (no process waited in one long collective), each time
    # telling the others it was paused; then once more to say it goes on.
    paused_flags = [sent[1] for sent in ranks.sent]
    assert len(paused_flags) >= 3 and paused_flags[-1] == 0 and all(paused_flags[:-1])
    assert control.paused_seconds > 1.0  # the pause is left out of the speed


def test_a_report_wished_by_one_process_is_made_by_all_at_the_same_step():
    ranks = _TwoRanks(peer=[0, 0, 1])
    control = ranks.shared_control(RunControl())
    control.checkpoint()
    assert control.report_agreed
    ranks.peer = [0, 0, 0]
    control.checkpoint()
    assert not control.report_agreed


# -- one process's share, from both kinds of source -------------------------------------------
def test_a_streamed_share_keeps_its_steps_when_a_batch_turns_out_unreadable(tmp_path):
    paths = [make_image(tmp_path / f"{i}.png", size=16) for i in range(4)]
    broken, _ = write_corrupt("truncated_png", tmp_path, "broken.png")
    samples = [Sample(str(p), i % 2) for i, p in enumerate([*paths, broken])]
    source = StreamingSource(samples, 16, "crop", torch.device("cpu"), workers=0)
    order = torch.tensor([0, 1, 4, 2, 3])  # the second batch holds only the broken file
    batches = list(source.batches_in(order, [2, 1, 2], keep_steps=True))
    assert len(batches) == 3  # as many steps as the other processes take
    assert [b[2].tolist() for b in batches] == [[0, 1], [0, 1], [2, 3]]  # the previous one again
    assert [p for p, _ in source.skipped] == [str(broken)]


def test_a_cached_share_is_the_given_order_in_the_given_sizes():
    images = np.arange(6, dtype=np.uint8).reshape(6, 1, 1, 1).repeat(3, axis=3)
    source = CachedSource(images, [0, 1, 0, 1, 0, 1], list("abcdef"), *[torch.device("cpu")] * 2)
    got = [idx.tolist() for _, _, idx in source.batches_in(torch.tensor([5, 3, 1, 0]), [3, 1])]
    assert got == [[5, 3, 1], [0]]


# -- what the other processes do and do not do ------------------------------------------------
class _SummingPeer(Ranks):
    """Rank 0 of two; the peer's numbers are added to every sum."""

    def __init__(self, peer: list[float]) -> None:
        super().__init__(rank=0, world=2, local_world=2)
        self.peer = peer

    def all_reduce(self, values, op="sum"):
        return [a + b for a, b in zip(values, self.peer, strict=True)]


def test_epoch_and_report_figures_are_those_of_all_processes():
    ranks = _SummingPeer(peer=[6.0, 1, 4])  # the peer: loss sum 6 over 4 images, 1 right
    loss, acc = data_parallel.epoch_figures(ranks, torch.tensor(2.0), torch.tensor(3), 4)
    assert (loss, acc) == (1.0, 0.5)  # (2 + 6) / 8 and (3 + 1) / 8
    window = ReportWindow(torch.device("cpu"), 0.0)
    window.add(torch.tensor(1.0), 4)
    ranks.peer = [12.0, 4, 4]  # loss 3 on its 4 images
    mean_loss, ips = data_parallel.window_figures(ranks, window, window.started + 2.0, 0.0)
    assert mean_loss == 2.0 and ips == pytest.approx(4.0)  # 8 images in 2 s, both processes


def test_the_other_processes_report_only_how_the_run_ended_and_write_nothing(tmp_path):
    def events():
        yield LogMessage("info", "Scanning ...")
        yield RunFinished("completed", "done", str(tmp_path), 1, 1.0, 0, None)

    assert [type(e) for e in Ranks(rank=1, world=2).own_events(events())] == [RunFinished]
    assert len(list(Ranks().own_events(events()))) == 2
    folder = ReadOnlyRunFolder(str(tmp_path / "run"))
    folder.update_summary(status="running")
    folder.write_json("config.json", {})
    folder.add_epoch({"epoch": 0})
    assert not (tmp_path / "run").exists() and folder.summary["status"] == "running"


def test_each_process_gets_its_share_of_the_cores_and_no_tuning():
    cfg = TrainConfig(data_dir="d", out_dir="o")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    (setting,) = Ranks(rank=1, world=4, local_world=4).fixed_cpu_setting(cfg)
    assert setting.threads == max(1, cores // 4) and not setting.precision.enabled
    assert Ranks().fixed_cpu_setting(cfg) is None  # alone: the tuner measures as before


def test_a_stuck_loader_worker_in_a_share_is_named_as_such_not_as_a_lost_process(tmp_path):
    path = make_image(tmp_path / "a.png", size=16)
    source = StreamingSource([Sample(str(path), 0)] * 4, 16, "crop", torch.device("cpu"), 1)

    class _Stuck:
        def __iter__(self):
            raise RuntimeError("DataLoader timed out after 300 seconds")

    source._make_loader = lambda batches: _Stuck()
    with pytest.raises(LoupeError, match="loader worker"):
        list(source.batches_in(torch.arange(4), [2, 2], keep_steps=True))


def test_a_failing_run_ignores_torchruns_sigterm_before_it_writes_its_record(tmp_path, monkeypatch):
    """torchrun sends SIGTERM to the survivors of a failed process: arriving while rank 0 wrote
    its failure into run.json, it cut the write short and the run kept saying "running"."""
    from core.train import loop, train_epoch

    order: list[str] = []
    monkeypatch.setattr(Ranks, "ending", lambda self: order.append("SIGTERM ignored"))
    real_record = loop.record_finished

    def recording(*args, **kwargs):
        order.append("run.json written")
        return real_record(*args, **kwargs)

    def peer_died(*args, **kwargs):
        raise LoupeError("Training process 0 of 2 lost contact with the others")

    monkeypatch.setattr(loop, "record_finished", recording)
    monkeypatch.setattr(train_epoch, "train_step", peer_died)
    data = make_shapes_dataset(tmp_path / "data", per_class=6, size=16)
    config = TrainConfig(
        data_dir=str(data), out_dir=str(tmp_path / "run"), epochs=1, batch_size=8, device="cpu"
    )
    finished = list(loop.fit(config))[-1]
    assert finished.status == "failed"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "failed"
    assert order[0] == "SIGTERM ignored" and "run.json written" in order
