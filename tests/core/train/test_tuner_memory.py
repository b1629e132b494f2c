"""The CPU tuner's choice is remembered per machine and kind of run, and reused."""

from __future__ import annotations

import json
import os

import torch

from core.train.cpu_tuner import BF16, FP32, ROUNDS, STEPS_PER_VISIT, WARMUP_STEPS, CpuSetting
from core.train.tuner_memory import FILE_NAME, TunerMemory, TuningKey, build_tuner

KEY = TuningKey("loupe_net", 32, 64, 0, "auto")
CANDIDATES = [CpuSetting(1, FP32), CpuSetting(2, FP32), CpuSetting(1, BF16)]


def _drive(tuner, steps: int) -> None:
    for step in range(steps):
        tuner.before_step(step)
        tuner.after_step(step + 1, 8)


def test_a_measured_choice_is_reused_by_the_next_run(tmp_path):
    before = torch.get_num_threads()
    memory = TunerMemory(str(tmp_path))
    first, note = build_tuner(CANDIDATES, FP32, KEY, retune=False, memory=memory)
    assert first.enabled and note is None  # nothing remembered yet: it measures
    _drive(first, WARMUP_STEPS + ROUNDS * len(CANDIDATES) * STEPS_PER_VISIT)
    assert first.chosen is not None and os.path.isfile(tmp_path / FILE_NAME)

    second, note = build_tuner(CANDIDATES, FP32, KEY, retune=False, memory=memory)
    assert not second.enabled  # no measuring steps: full speed from the first step
    assert second.chosen == first.chosen
    assert "last measured on this machine" in note and "--retune-cpu" in note
    torch.set_num_threads(before)


def test_retune_and_other_runs_measure_again(tmp_path):
    before = torch.get_num_threads()
    memory = TunerMemory(str(tmp_path))
    memory.remember(KEY, CpuSetting(1, BF16), {"1 thread, bf16": 900.0})
    assert build_tuner(CANDIDATES, FP32, KEY, retune=False, memory=memory)[0].chosen == (
        CpuSetting(1, BF16)
    )
    assert build_tuner(CANDIDATES, FP32, KEY, retune=True, memory=memory)[0].enabled
    for other in (
        TuningKey("resnet18", 32, 64, 0, "auto"),
        TuningKey("loupe_net", 64, 64, 0, "auto"),
        TuningKey("loupe_net", 32, 128, 0, "auto"),
    ):
        assert build_tuner(CANDIDATES, FP32, other, retune=False, memory=memory)[0].enabled
    torch.set_num_threads(before)


def test_a_new_torch_or_cpu_is_another_machine(tmp_path, monkeypatch):
    memory = TunerMemory(str(tmp_path))
    memory.remember(KEY, CpuSetting(2, FP32), {})
    assert memory.recall(KEY, CANDIDATES) == CpuSetting(2, FP32)
    monkeypatch.setattr(torch, "__version__", "99.0.0")
    assert memory.recall(KEY, CANDIDATES) is None
    monkeypatch.undo()
    monkeypatch.setattr("core.train.tuner_memory.cpu_model", lambda: "Another CPU")
    assert memory.recall(KEY, CANDIDATES) is None


def test_a_remembered_setting_no_longer_offered_is_not_used(tmp_path):
    memory = TunerMemory(str(tmp_path))
    memory.remember(KEY, CpuSetting(1, BF16), {})
    assert memory.recall(KEY, [CpuSetting(1, FP32), CpuSetting(2, FP32)]) is None


def test_a_damaged_cache_file_means_measuring_again(tmp_path):
    (tmp_path / FILE_NAME).write_text("{not json", encoding="utf-8")
    memory = TunerMemory(str(tmp_path))
    assert memory.recall(KEY, CANDIDATES) is None
    memory.remember(KEY, CpuSetting(2, FP32), {})  # and the next measurement repairs it
    data = json.loads((tmp_path / FILE_NAME).read_text(encoding="utf-8"))
    assert data["version"] == 1 and len(data["entries"]) == 1


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path / "c"))
    assert TunerMemory().path == str(tmp_path / "c" / FILE_NAME)


def chosen_precision(tuner_line: str) -> str:
    """'bf16' from the tuner's line 'CPU: using 1 thread, bf16 (...' or '..., bf16, the ...'."""
    return tuner_line.split("using ", 1)[1].split(" (", 1)[0].split(", ")[1]


def test_second_identical_run_skips_the_measurement(shapes_data, tmp_path):
    from core.events import LogMessage, RunFinished
    from core.train.config import TrainConfig
    from core.train.loop import fit

    before = torch.get_num_threads()

    def run(name: str) -> list[str]:
        cfg = TrainConfig(
            data_dir=shapes_data, out_dir=str(tmp_path / name), arch="simple_cnn",
            image_size=16, epochs=1, batch_size=2, device="cpu", cpu_threads=0,
            prediction_samples=0,
        )  # fmt: skip
        events = list(fit(cfg))
        assert isinstance(events[-1], RunFinished) and events[-1].status == "completed"
        texts = [e.text for e in events if isinstance(e, LogMessage)]
        models.append(next(t for t in texts if " parameters on " in t))
        return [t for t in texts if t.startswith("CPU")]

    models: list[str] = []
    first, second = run("first"), run("second")  # 36 steps: the tuner needs at most 26
    torch.set_num_threads(before)
    assert len(first) == 1 and "measured" in first[0]
    # The model line names the precision the steps use: timed first, then the remembered one
    # (it said fp32 beside "CPU: using 2 threads, bf16", audit, session 7).
    assert "precision timed in the first steps" in models[0]
    assert f", {chosen_precision(first[0])}, " in models[1]
    chosen = first[0].split("using ", 1)[1].split(" (", 1)[0]
    assert second == [
        f"CPU: using {chosen}, the fastest when last measured on this machine for this model, "
        "image size and batch size (measure again: --retune-cpu)."
    ]


def test_the_model_line_names_a_precision_that_is_not_timed(shapes_data, tmp_path):
    """`--preset tutorial` (mixed precision off) said "precision timed in the first steps"
    while only the thread count was timed: every step ran in fp32, as README says it does."""
    from core.events import LogMessage
    from core.train.config import TrainConfig
    from core.train.loop import fit

    before = torch.get_num_threads()
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(tmp_path / "run"), arch="simple_cnn", image_size=16,
        epochs=1, batch_size=2, device="cpu", cpu_threads=0, mixed_precision="off",
        retune_cpu=True, prediction_samples=0,
    )  # fmt: skip
    texts = [e.text for e in fit(cfg) if isinstance(e, LogMessage)]
    torch.set_num_threads(before)
    line = next(t for t in texts if " parameters on " in t)
    assert ", fp32, " in line and "timed" not in line, line
