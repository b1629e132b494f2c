"""Out of device memory during a training step: halve the batch and go on from that step.
This comes after core.train.oom_retry (a GPU-stored cache moving to RAM): it takes only the
out-of-memory errors that one declines (core.device.is_out_of_memory says what they are).

The step that failed is trained again as two half batches (no image of the epoch is skipped),
every later batch of the run is split the same way, and the learning rate follows the batch
size by the same rule as Loupe's defaults (linear for SGD, square root for the adaptive
optimizers). The schedule keeps its place: a run 40 % through stays 40 % through, now counted
in twice as many steps. The new batch size and learning rate go into the run's config, so a
resumed run continues with them."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator

import torch

from core.device import is_out_of_memory, release_memory
from core.train import defaults
from core.train.optim import make_scheduler


def lr_for_batch(optimizer: str, lr: float, old_batch: int, new_batch: int) -> float:
    """`lr` tuned for `old_batch`, moved to `new_batch` as default_lr scales it."""
    ratio = new_batch / old_batch
    return lr * (ratio if optimizer in defaults.LINEAR_SCALING else ratio**0.5)


Piece = tuple[torch.Tensor, torch.Tensor]  # images, labels


class BatchFeed:
    """Hands out training batches no larger than the current batch size; after `halve`
    the piece that failed comes again, split."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self._pending: deque[Piece] = deque()
        self._current: Piece | None = None

    def pieces(self, batches: Iterable[tuple]) -> Iterator[Piece]:
        for images, labels, _idx in batches:
            self._pending.append((images, labels))
            while self._pending:
                images, labels = self._pending.popleft()
                if labels.shape[0] > self.batch_size:
                    rest = list(zip(images.split(self.batch_size), labels.split(self.batch_size)))
                    self._pending.extendleft(reversed(rest[1:]))
                    images, labels = rest[0]
                self._current = (images, labels)
                yield images, labels

    def retry_current(self) -> None:
        if self._current is not None:
            self._pending.appendleft(self._current)
            self._current = None


def can_back_off(exc: BaseException, batch_size: int) -> bool:
    return is_out_of_memory(exc) and batch_size > 1


def halve_batch(setup, feed: BatchFeed, step_in_epoch: int) -> tuple[int, str]:
    """Called after an out-of-memory step (outside the except block, so that the failed
    step's activations are already freed). Updates the run's config, optimizer, schedule
    and step counters; returns the step index within the epoch in the new units and the
    sentence to tell the user."""
    s = setup
    cfg = s.cfg
    old_batch, new_batch = cfg.batch_size, max(1, cfg.batch_size // 2)
    new_lr = lr_for_batch(cfg.optimizer, cfg.lr, old_batch, new_batch)
    s.optimizer.zero_grad(set_to_none=True)  # the failed step's partial gradients
    release_memory(s.device)  # hand the failed step's blocks back before trying again
    old_steps = s.steps_per_epoch
    s.steps_per_epoch = defaults.steps_per_epoch(len(s.train), new_batch)
    ratio = s.steps_per_epoch / old_steps
    s.global_step = round(s.global_step * ratio)
    s.cfg = dataclasses.replace(cfg, batch_size=new_batch, lr=new_lr)
    s.eval_batch_size = min(s.eval_batch_size, 2 * new_batch)
    s.scheduler = make_scheduler(s.optimizer, s.cfg, s.steps_per_epoch, s.global_step)
    feed.batch_size = new_batch
    feed.retry_current()
    message = (
        f"The {s.device.type.upper()} ran out of memory at batch size {old_batch}: continuing "
        f"from the same step with batch size {new_batch} and learning rate {new_lr:.3g} "
        f"(was {cfg.lr:.3g})."
    )
    return round(step_in_epoch * ratio), message
