"""Out of GPU memory in the first epoch with the dataset cached on the GPU: move the cache to
RAM and start the epoch again, once.

The GPU cache may take a share of the memory that was free before any activation existed
(core.device.memory_hint); a big model on a 6-8 GB GPU can then run out where the same run
with its cache in RAM fits. The state at the start of the run (weights, optimizer, schedule,
random generators) is copied to the CPU beforehand, so the retried epoch is the epoch a run
with a RAM cache would have trained. Later recoveries (a smaller batch) come after this one:
they see the OOM only when `should_retry` declined it."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from core.data.batches import CachedSource
from core.device import (
    device_rng_state,
    is_out_of_memory,
    release_memory,
    restore_device_rng,
)


def _to_cpu(value: Any) -> Any:
    """A deep copy with every tensor on the CPU (optimizer and scaler states nest them)."""
    if torch.is_tensor(value):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return copy.deepcopy(value)


@dataclass
class _StartState:
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    scaler: dict[str, Any] | None
    generator: torch.Tensor
    cpu_rng: torch.Tensor
    device_rng: torch.Tensor | None
    global_step: int


def gpu_cached_sources(setup) -> list[CachedSource]:
    return [
        s
        for s in (setup.train, setup.val)
        if isinstance(s, CachedSource) and s.storage.type == "cuda"
    ]


class GpuCacheRetry:
    """Created before the first epoch of a run (`setup`: core.train.setup.Setup)."""

    def __init__(self, setup) -> None:
        self.setup = setup
        self.start_epoch = setup.start_epoch
        self.state: _StartState | None = None
        if gpu_cached_sources(setup):
            self.state = _StartState(
                model=_to_cpu(setup.model.state_dict()),
                optimizer=_to_cpu(setup.optimizer.state_dict()),
                scheduler=_to_cpu(setup.scheduler.state_dict()),
                scaler=_to_cpu(setup.scaler.state_dict()) if setup.scaler is not None else None,
                generator=setup.gen.get_state(),
                cpu_rng=torch.get_rng_state(),
                device_rng=device_rng_state(setup.device),
                global_step=setup.global_step,
            )

    def should_retry(self, exc: BaseException, epochs_done: int) -> bool:
        """An OOM before the run's first epoch ended, with a GPU cache to move: once."""
        return self.state is not None and epochs_done == self.start_epoch and is_out_of_memory(exc)

    def recover(self, folder) -> str:
        """Move the cache to RAM, restore the start state; returns the sentence to log.
        Call it after the except block: the exception's frames hold the activations."""
        s, state = self.setup, self.state
        self.state = None  # once only
        moved = gpu_cached_sources(s)
        for source in moved:
            source.move_to(torch.device("cpu"))
        s.optimizer.zero_grad(set_to_none=True)  # the failed step's gradients
        release_memory(s.device)
        s.model.load_state_dict(state.model)
        s.optimizer.load_state_dict(state.optimizer)
        s.scheduler.load_state_dict(state.scheduler)
        if s.scaler is not None and state.scaler is not None:
            s.scaler.load_state_dict(state.scaler)
        s.gen.set_state(state.generator)
        torch.set_rng_state(state.cpu_rng)
        restore_device_rng(state.device_rng, s.device)
        s.global_step = state.global_step
        # The steps of the abandoned attempt leave the curve (steps.csv) too.
        folder.steps = [r for r in folder.steps if int(r["epoch"]) < self.start_epoch]
        megabytes = sum(src.images.nbytes for src in moved) / 2**20
        return (
            f"The GPU ran out of memory with the images cached on it ({megabytes:.0f} MB): "
            f"moved the cache to RAM and started epoch {self.start_epoch + 1} again."
        )
