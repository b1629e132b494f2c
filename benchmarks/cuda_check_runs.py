"""The instruments of benchmarks/cuda_check.py: a real fit() run that also reports where its
data lived (captured as plain strings, so nothing keeps the run's GPU memory alive), a host
sync counter built on torch.cuda.set_sync_debug_mode, and the pure model step / forward pass
the engine's speed is compared with."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import statistics
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

RUN_DEFAULTS = dict(device="cuda", epochs=2, batch_size=64, prediction_samples=24)


@dataclass
class RunResult:
    cfg: Any  # TrainConfig
    finished: Any  # RunFinished
    info: dict[str, Any]  # mode, storage, labels_device, batch_device, precision, ...
    logs: list[str]
    speed: float  # median StepEnded images/s after the first epoch

    def cfg_for(self, out: Path, **overrides: Any):
        return dataclasses.replace(self.cfg, out_dir=str(out), resume=False, **overrides)


@contextlib.contextmanager
def _patched(patches: list[tuple[Any, str, Any]]) -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def _watch_batches(source, info: dict[str, Any]) -> None:
    """Record where the first training batch's images and labels are (the source's own
    method is shadowed by a recording one; the cycle this makes is collected at the end)."""
    original = source.batches

    def batches(*args, **kwargs):
        for images, labels, idx in original(*args, **kwargs):
            info.setdefault("batch_device", images.device.type)
            info.setdefault("labels_device", labels.device.type)
            loaders = getattr(source, "_loaders", {})
            info.setdefault(
                "pinned", bool(loaders) and all(dl.pin_memory for dl in loaders.values())
            )
            yield images, labels, idx

    source.batches = batches


def _describe(setup, info: dict[str, Any]) -> None:
    train = setup.train
    info.update(mode=train.mode, precision=setup.precision.label, scaler=setup.scaler is not None)
    if train.mode == "cache":
        info.update(
            storage=train.images.device.type,
            storage_device=str(train.images.device),
            staging=getattr(train, "_staging", None) is not None,
        )
    _watch_batches(train, info)


def train(
    data: str,
    out: Path,
    precision=None,
    syncs: SyncCounter | None = None,
    ram_cache: bool = False,
    **overrides: Any,
) -> RunResult:
    """fit() as configured (on "cuda" unless `device` is given). `precision`: a
    core.device.Precision to force instead of the device's choice; `ram_cache`: keep the
    cache in RAM although it would fit on the GPU; `syncs`: count host syncs meanwhile."""
    import core.train.data_parallel as data_parallel
    import core.train.labelled_data as labelled_data
    import core.train.loop as loop
    import core.train.setup as setup_module
    from core.train.config import TrainConfig

    cfg = TrainConfig(data_dir=data, out_dir=str(out), **{**RUN_DEFAULTS, **overrides})
    info: dict[str, Any] = {}
    prepare = loop.prepare

    def prepare_and_describe(config, folder, control):
        setup = yield from prepare(config, folder, control)
        if setup is not None:
            _describe(setup, info)
        return setup

    patches: list[tuple[Any, str, Any]] = [(loop, "prepare", prepare_and_describe)]
    if precision is not None:
        patches.append((setup_module, "choose_precision", lambda dev, setting: precision))
    if ram_cache:
        patches.append((labelled_data, "memory_hint", lambda dev: 0))
    if syncs is not None:
        # validation calls core.train.evaluation.evaluate through data_parallel.validate
        patches.append((data_parallel, "evaluate", syncs.wrap_evaluate(data_parallel.evaluate)))
    finished, logs, speeds = None, [], []
    watching = syncs.watching() if syncs is not None else contextlib.nullcontext()
    with _patched(patches), watching:
        for event in loop.fit(cfg):
            kind = type(event).__name__
            if syncs is not None:
                syncs.on_event(event)
            if kind == "LogMessage":
                logs.append(event.text)
            elif kind == "StepEnded" and event.epoch > 0:
                speeds.append(event.images_per_second)
            elif kind == "RunFinished":
                finished = event
    assert finished is not None, "fit() ended without RunFinished"
    if finished.status == "failed" and "out of memory" not in finished.reason:
        raise AssertionError(f"the run failed: {finished.reason}")
    speed = statistics.median(speeds) if speeds else 0.0
    return RunResult(cfg, finished, info, logs, speed)


class SyncCounter:
    """Host syncs by phase, from the warnings of torch.cuda.set_sync_debug_mode("warn").
    The first epoch (cuDNN autotuning, first allocations) is left out; "epoch_end" is the
    checkpoint writing after each epoch; "train" includes the throttled progress reports."""

    def __init__(self) -> None:
        self.phase = "warmup"
        self.train = self.val = self.epoch_end = 0
        self.steps = self.val_batches = 0
        self.steps_per_epoch = 0
        self.first_where = ""

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # every sync, not once per code location
            shown = warnings.showwarning
            warnings.showwarning = lambda message, *args, **kwargs: (
                self._count() if "synchroniz" in str(message) else shown(message, *args, **kwargs)
            )
            torch.cuda.set_sync_debug_mode("warn")
            try:
                yield
            finally:
                torch.cuda.set_sync_debug_mode("default")

    def _count(self) -> None:
        if self.phase == "warmup":
            return
        setattr(self, self.phase, getattr(self, self.phase) + 1)
        if not self.first_where and self.phase in ("train", "val"):
            inside = [f for f in traceback.extract_stack() if "/core/" in f.filename]
            if inside:
                frame = inside[-1]
                self.first_where = f"{self.phase} {Path(frame.filename).name}:{frame.lineno}"

    def wrap_evaluate(self, evaluate: Callable) -> Callable:
        def counted(model, source, batch_size, *args, **kwargs):
            previous = self.phase
            if previous != "warmup":
                self.phase = "val"
                self.val_batches += math.ceil(len(source) / batch_size)
            try:
                return evaluate(model, source, batch_size, *args, **kwargs)
            finally:
                self.phase = previous

        return counted

    def on_event(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "RunStarted":
            self.steps_per_epoch = event.steps_per_epoch
        elif kind == "EpochEnded" and self.phase != "warmup":
            self.steps += self.steps_per_epoch
            self.phase = "epoch_end"
        elif kind == "CheckpointSaved" and event.kind == "last":
            self.phase = "train"  # the next epoch's steps follow


def _timed_images_per_second(step: Callable[[], None], batch: int, steps: int = 30) -> float:
    for _ in range(5):
        step()  # cuDNN autotuning and first allocations
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()  # a full queue, as in training
    return batch * steps / (time.perf_counter() - t0)


def _autocast(label: str):
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(label)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=dtype)


def pure_step_speed(arch: str, classes: int, batch: int, size: int, precision: str) -> float:
    """Forward + backward + fused AdamW step on a batch already on the GPU, channels_last,
    the run's precision (fp16 with a GradScaler): the ceiling for fit()'s training steps."""
    from core.models.registry import build_model

    model = build_model(arch, classes).cuda().to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
    x = torch.randn(batch, 3, size, size, device="cuda").contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, classes, (batch,), device="cuda")

    def step() -> None:
        with _autocast(precision):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

    return _timed_images_per_second(step, batch)  # its tensors go when it returns


@torch.inference_mode()
def pure_forward_speed(lm, batch: int) -> float:
    """The loaded model's forward pass alone on a batch already on the GPU."""
    size = lm.image_size
    x = torch.randn(batch, 3, size, size, device=lm.device).contiguous(
        memory_format=torch.channels_last
    )

    def forward() -> None:
        with _autocast(lm.precision.label):
            lm.model(x)

    return _timed_images_per_second(forward, batch)


def memory_report() -> str:
    stats = torch.cuda.memory_stats()
    return (
        f"{stats.get('allocation.all.current', 0)} live allocations, "
        f"{torch.cuda.memory_reserved() / 2**20:.0f} MB reserved"
    )
