"""How a data-parallel run (torchrun) splits its work between processes, as plain arithmetic
(no torch, no process group: the command line reads the rank before torch loads).

The configured batch size is the *global* batch: the images of one optimizer step, all
processes together. Every process walks the same global batches of the epoch (one seeded
permutation, the same on every process) and trains on its share of each: positions
`rank, rank + world, ...` of the batch. So every process takes the same number of steps
(none waits alone in a collective), the learning rate and the schedule are those of a single
process with that batch, and a run resumes at another world size without changing its
meaning. Validation is split into contiguous slices, gathered back in order."""

from __future__ import annotations

import contextlib
import os
import signal
import time

from core.errors import ConfigError

MIN_PER_PROCESS = 2  # BatchNorm cannot train on a single image
# In every sentence of a process that ends because another one did (core.train.distributed):
# that process reports its own failure, this one need not repeat it.
PEER_FAILED = "another process of the run"
# How long a process waits for process 0 to say a refusal that every process reaches alike
# (torchrun stops the others within its --monitor-interval, 0.1 s, of process 0 ending).
ALIKE_WAIT_S = 10.0


def process_rank() -> int:
    """This process's rank under torchrun (0 alone): read from torchrun's environment."""
    return _env_int("RANK", 0)


def wait_for_process_0(seconds: float = ALIKE_WAIT_S) -> None:
    """Let process 0 end first: once one process fails, torchrun stops the others (SIGTERM),
    so a process that ended first with a refusal that process 0 says too could have it
    stopped before it says it. Returns only if this process was not stopped in `seconds`:
    process 0 did not refuse alike, and this process must say why itself."""
    with contextlib.suppress(ValueError):  # not the main thread: it keeps its handler
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    time.sleep(seconds)


def world_size() -> int:
    return max(1, _env_int("WORLD_SIZE", 1))


def local_world_size() -> int:
    return max(1, _env_int("LOCAL_WORLD_SIZE", world_size()))


def local_rank() -> int:
    return _env_int("LOCAL_RANK", 0)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def global_batches(images: int, batch: int, world: int) -> list[tuple[int, int]]:
    """The epoch's global batches as [start, stop) ranges of its permutation. A last batch too
    small to give every process two images is left out unless it is the only one (for one
    process: core.train.defaults.steps_per_epoch's rule)."""
    bounds = [(start, min(start + batch, images)) for start in range(0, images, max(1, batch))]
    smallest = MIN_PER_PROCESS * world
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < smallest:
        bounds.pop()
    return bounds


def steps_per_epoch(images: int, batch: int, world: int) -> int:
    return len(global_batches(images, batch, world))


def rank_positions(images: int, batch: int, rank: int, world: int) -> tuple[list[int], list[int]]:
    """The positions (in the epoch's permutation) this process trains on, in step order,
    and its batch size at each step."""
    positions: list[int] = []
    sizes: list[int] = []
    for start, stop in global_batches(images, batch, world):
        share = range(start + rank, stop, world)
        positions.extend(share)
        sizes.append(len(share))
    return positions, sizes


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's permutation: the same on every process, whatever the world size
    or the point the run resumed at."""
    return (seed * 1_000_003 + epoch * 7_919) % (2**63 - 1)


def slice_range(images: int, rank: int, world: int) -> tuple[int, int]:
    """This process's contiguous slice [lo, hi) of `images` (validation); sizes differ by one
    at most."""
    base, extra = divmod(images, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def batch_sizes(count: int, batch: int) -> list[int]:
    """`count` images in batches of `batch` (the last one smaller)."""
    return [min(batch, count - start) for start in range(0, count, max(1, batch))]


def check_world(batch: int, train_images: int, world: int, where: str) -> None:
    """Refuse a global batch or a dataset too small to give every process two images (alike in
    every process: process 0 says it)."""
    if world <= 1:
        return
    need = MIN_PER_PROCESS * world
    if batch < need:
        raise ConfigError(
            f"Batch size {batch} is the global batch shared by {world} processes: it must be at "
            f"least {need} (two images per process). Raise --batch-size."
        )
    if train_images < need:
        raise ConfigError(
            f"{where}: {train_images} training images cannot be shared by {world} processes "
            f"(at least {need} needed)."
        )
