"""What a process of a data-parallel run (core.train.distributed) does differently in setup
and in the loop: its device, its CPU threads, the model wrapped in DistributedDataParallel,
its share of every epoch, and metrics summed over all processes. Each function does exactly
the single-process thing when the process is alone.

Batch size: the configured batch is the global one (all processes together); each process
trains on its share (core.train.shards). So the learning rate, which Loupe derives from the
batch size, follows the global batch, and a run means the same at any world size.

Randomness: the epoch's permutation comes from (seed, epoch), the same on every process and
at every world size. Augmentation draws from each process's own generator: rank 0's is the
run's (saved in last.ckpt); the others derive theirs from it and their rank. So a resume at
the same world size repeats the data order exactly, but not the augmentation of ranks > 0;
across world sizes the weights, optimizer state, schedule and epoch carry over exactly and
the random streams start anew."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from core.data.augment import normalize
from core.train import shards
from core.train.distributed import Ranks
from core.train.evaluation import Evaluation, autocast, evaluate, summarise
from core.train.setup import Setup
from core.train.step_report import ReportWindow


def wrap_model(s: Setup, ranks: Ranks) -> None:
    """DistributedDataParallel around the model (synchronised BatchNorm on GPUs; PyTorch's
    SyncBatchNorm has no CPU kernel, so on the CPU each process normalises its share and the
    running statistics are rank 0's, broadcast at every step). s.model stays the plain
    module: checkpoints carry no "module." prefix and validation needs no collective."""
    if not ranks.distributed:
        return
    if s.device.type == "cuda":
        # The converted layers keep the same parameters: the optimizer needs no rebuild.
        s.model = nn.SyncBatchNorm.convert_sync_batchnorm(s.model)
    device_ids = [s.device.index] if s.device.type == "cuda" else None
    s.parallel = nn.parallel.DistributedDataParallel(s.model, device_ids=device_ids)
    s.eval_batch_size = max(1, s.eval_batch_size // ranks.world)
    if ranks.rank > 0:
        base = int(torch.randint(0, 2**62, (1,), generator=s.gen))
        s.gen.manual_seed(base + ranks.rank)
        torch.manual_seed(base + 2 * ranks.rank + 1)


def train_batches(s: Setup, ranks: Ranks, batch: int, epoch: int):
    """This process's batches of the epoch: its share of every global batch."""
    if not ranks.distributed:
        return s.train.batches(batch, True, s.gen)
    n = len(s.train)
    positions, sizes = shards.rank_positions(n, batch, ranks.rank, ranks.world)
    order = torch.randperm(
        n, generator=torch.Generator().manual_seed(shards.epoch_seed(s.cfg.seed, epoch))
    )
    return s.train.batches_in(order[torch.as_tensor(positions, dtype=torch.long)], sizes, True)


def report_due(ranks: Ranks, window: ReportWindow, now: float, last_step: bool) -> bool:
    """Whether this step reports. In a group the wish (rank 0's clock, or any's) is shared at
    the next step's checkpoint, so every process reports at the same step."""
    if not ranks.distributed:
        return window.due(now, last_step)
    control = ranks.control
    control.report_wanted = not last_step and window.due(now, False)
    return last_step or control.report_agreed


def window_figures(
    ranks: Ranks, window: ReportWindow, now: float, paused_seconds: float
) -> tuple[float, float]:
    """Mean loss and images per second since the last report, over all processes."""
    if not ranks.distributed:
        return window.mean_loss(), window.images_per_second(now, paused_seconds)
    loss, samples, images = ranks.all_reduce([float(window.loss), window.samples, window.images])
    seconds = now - window.started - (paused_seconds - window.paused_at_start)
    return loss / max(1, samples), images / max(seconds, 1e-9)


def epoch_figures(
    ranks: Ranks, loss_sum: torch.Tensor, correct: torch.Tensor, seen: int
) -> tuple[float, float]:
    """The epoch's training loss and accuracy over all processes."""
    loss, right, images = ranks.all_reduce([float(loss_sum), float(correct), seen])
    return loss / max(1, images), right / max(1, images)


def validate(s: Setup, ranks: Ranks, should_stop: Callable[[], bool]) -> Evaluation | None:
    """The epoch's validation: alone, core.train.evaluation.evaluate (None when stopped);
    in a group, evaluate_shared."""
    if ranks.distributed:
        return evaluate_shared(s, ranks)
    return evaluate(
        s.model,
        s.val,
        s.eval_batch_size,
        len(s.class_names),
        s.device,
        s.tuner.precision,
        s.mean,
        s.std,
        s.sample_indices,
        s.thumbnails,
        should_stop=should_stop,
    )


@torch.inference_mode()
def evaluate_shared(s: Setup, ranks: Ranks) -> Evaluation:
    """Validation split between the processes (contiguous slices) and gathered back in order:
    every process ends with the same Evaluation, so the best epoch and early stopping agree.
    It is not interrupted by a stop (that waits for the next step): the processes would
    disagree on where they stopped."""
    num_classes = len(s.class_names)
    lo, hi = shards.slice_range(len(s.val), ranks.rank, ranks.world)
    sizes = shards.batch_sizes(hi - lo, s.eval_batch_size)
    s.model.eval()
    parts = []
    for images, labels, idx in s.val.batches_in(torch.arange(lo, hi), sizes):
        with autocast(s.device, s.tuner.precision):
            logits = s.model(normalize(images, s.mean, s.std))
        extra = torch.stack([labels.double(), idx.to(labels.device).double()], 1)
        parts.append(torch.cat([logits.double(), extra], 1).cpu())
    rows = torch.cat(parts) if parts else torch.zeros(0, num_classes + 2, dtype=torch.float64)
    rows = ranks.gather_rows(rows)
    if rows.shape[0] == 0:
        empty = torch.zeros(num_classes, num_classes, dtype=torch.long)
        return Evaluation(0.0, 0.0, empty, [], [], [])
    logits = rows[:, :num_classes].float()
    true = rows[:, num_classes].long()
    row_of = {int(i): r for r, i in enumerate(rows[:, num_classes + 1].long().tolist())}

    def sample_probabilities(temperature: float) -> dict[int, torch.Tensor]:
        picked = [i for i in s.sample_indices if i in row_of]
        return {i: torch.softmax(logits[row_of[i]] / temperature, 0) for i in picked}

    loss_sum = float(F.cross_entropy(logits, true, reduction="sum"))
    return summarise(
        loss_sum,
        true,
        logits,
        sample_probabilities,
        s.val,
        num_classes,
        s.sample_indices,
        s.thumbnails,
    )
