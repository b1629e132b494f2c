"""Where training batches come from: every image decoded once into a uint8 tensor cache
(when it fits the memory budget) or streamed from disk by a DataLoader with workers.
Both yield uint8 (B,3,S,S) batches on the training device; augmentation happens later,
in batches, on that device (core.data.augment)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence

import numpy as np
import torch

from core.command_name import command_line
from core.data.augment import to_device
from core.data.datasets import Sample
from core.data.file_work import map_files
from core.data.imaging import load_square, open_rgb
from core.errors import ImageLoadError, LoupeError

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # images uint8, labels, sample indices
WORKER_TIMEOUT_S = 300  # for one batch from a loader worker: a slow network drive, not a hang


def cache_bytes(count: int, size: int) -> int:
    return count * 3 * size * size


def decode_threads() -> int:
    return max(1, min(8, (os.cpu_count() or 1)))


def decode_into_array(
    paths: Sequence[str],
    size: int,
    resize_mode: str,
    should_stop: Callable[[], bool] | None = None,
) -> Generator[tuple[int, int], None, tuple[np.ndarray, list[int], list[tuple[str, str]]]]:
    """Decode every image once (in threads where that helps: core.data.file_work).
    Yields (done, total) as it goes; returns (N_ok,S,S,3) uint8, the indices that decoded,
    and (path, reason) for the files that did not."""
    out = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    ok = np.zeros(len(paths), dtype=bool)
    skipped: list[tuple[str, str]] = []

    def work(i: int) -> str | None:
        try:
            out[i] = load_square(paths[i], size, resize_mode)
            return None
        except ImageLoadError as exc:
            return exc.reason

    every = 256
    decoded = map_files(work, range(len(paths)), decode_threads(), "loupe-decode")
    try:
        for i, reason in enumerate(decoded):
            if reason is None:
                ok[i] = True
            else:
                skipped.append((paths[i], reason))
            done = i + 1
            if done % every == 0 or done == len(paths):
                yield done, len(paths)
                if should_stop and should_stop():
                    break
    finally:
        decoded.close()  # a stop: the files not yet started are not decoded
    kept = np.flatnonzero(ok).tolist()
    if len(kept) < len(paths):
        # Compact in place: boolean indexing would copy the whole cache once more.
        for new, old in enumerate(kept):
            if new != old:
                out[new] = out[old]
        out = out[: len(kept)]
    return out, kept, skipped


class _PinnedStaging:
    """A few reused pinned host buffers for batches gathered from a RAM cache on their way to
    a GPU: one host copy per batch (the gather itself) instead of a gather, a pinning copy and
    a fresh pinned allocation. A buffer is reused only once the copy that last read it has
    finished (an event per buffer); with three, that wait is over long before it comes."""

    SLOTS = 3

    def __init__(self) -> None:
        self.buffers: list[torch.Tensor | None] = [None] * self.SLOTS
        self.copied: list[torch.cuda.Event | None] = [None] * self.SLOTS
        self.turn = 0

    def to_device(
        self, images: torch.Tensor, idx: torch.Tensor, device: torch.device
    ) -> torch.Tensor:
        slot = self.turn % self.SLOTS
        self.turn += 1
        if self.copied[slot] is not None:
            self.copied[slot].synchronize()  # the copy of SLOTS batches ago
        shape = (len(idx), *images.shape[1:])
        buffer = self.buffers[slot]
        if buffer is None or buffer.shape[0] < len(idx) or buffer.shape[1:] != shape[1:]:
            buffer = torch.empty(shape, dtype=images.dtype, pin_memory=True)
            self.buffers[slot] = buffer
        staged = buffer[: len(idx)]
        torch.index_select(images, 0, idx, out=staged)
        on_device = staged.to(device, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        self.copied[slot] = event
        return on_device


class CachedSource:
    """All images decoded once at training resolution and kept as one uint8 tensor."""

    mode = "cache"

    def __init__(
        self, images: np.ndarray, labels: Sequence[int], paths: Sequence[str], storage, device
    ):
        # Kept as decoded (NHWC: no reordering copy of the whole cache); a batch is permuted to
        # an NCHW view, which is then already in channels_last layout. Stored on the GPU when
        # it fits there (a batch is one gather, no host-to-device copy), else in RAM.
        self.images = torch.from_numpy(images)
        # Labels live on the training device whatever the storage: a batch's labels are a
        # gather there, not a host-to-device copy per step.
        self.labels = torch.as_tensor(list(labels), dtype=torch.long).to(device)
        self.paths = list(paths)
        self.device = device
        self.storage = storage
        self._staging: _PinnedStaging | None = None
        self.move_to(storage)

    def move_to(self, storage: torch.device) -> None:
        """Store the images elsewhere (a GPU cache that left too little memory moves to RAM)."""
        self.images = self.images.to(storage)
        self.storage = storage
        needs_staging = storage.type == "cpu" and self.device.type == "cuda"
        self._staging = _PinnedStaging() if needs_staging else None

    def __len__(self) -> int:
        return len(self.paths)

    def is_grayscale(self, sample: int = 512) -> bool:
        """Whether the (first `sample`) images have equal R, G and B everywhere."""
        x = self.images[:sample]
        return bool((x[..., 0] == x[..., 1]).all() and (x[..., 1] == x[..., 2]).all())

    def batches(
        self, batch_size: int, shuffle: bool, gen: torch.Generator | None
    ) -> Iterator[Batch]:
        """Sample indices come on the storage device (CPU for a RAM cache)."""
        n = len(self)
        order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
        sizes = []
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if shuffle and stop - start == 1 and n > 1:
                break  # BatchNorm cannot train on a batch of one
            sizes.append(stop - start)
        yield from self.batches_in(order, sizes)

    def batches_in(
        self, order: torch.Tensor, sizes: Sequence[int], keep_steps: bool = False
    ) -> Iterator[Batch]:
        """Consecutive batches of `sizes` images taken from `order` (sample indices, CPU): one
        process's share of a data-parallel epoch, or its slice of the validation set. Every
        cached image is readable: `keep_steps` (StreamingSource's) has nothing to do here."""
        on_device = to_device(order, self.device)  # one copy per epoch, not per batch
        on_storage = on_device if self.storage == self.device else order.to(self.storage)
        stop = 0
        for size in sizes:
            start, stop = stop, stop + size
            idx = on_storage[start:stop]
            labels = self.labels[on_device[start:stop]]
            if self.storage == self.device:
                images = self.images[idx]
            elif self._staging is not None:
                images = self._staging.to_device(self.images, idx, self.device)
            else:
                images = self.images[idx].to(self.device)
            yield images.permute(0, 3, 1, 2), labels, idx

    def images_at(self, indices: Sequence[int]) -> torch.Tensor:
        picked = self.images[torch.as_tensor(list(indices), device=self.storage)]
        return picked.to(self.device).permute(0, 3, 1, 2)


class _FileDataset(torch.utils.data.Dataset):
    def __init__(self, samples: Sequence[Sample], size: int, resize_mode: str) -> None:
        self.samples = list(samples)
        self.size = size
        self.resize_mode = resize_mode

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        s = self.samples[i]
        try:
            arr = load_square(s.path, self.size, self.resize_mode)
            return torch.from_numpy(arr).permute(2, 0, 1), s.label, i
        except ImageLoadError:
            # Reported by the main process (it re-reads the file to name the reason).
            return torch.zeros(3, self.size, self.size, dtype=torch.uint8), -1, i


class _GivenBatches:
    """A batch sampler whose batches are set before each pass."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class StreamingSource:
    """Images decoded on the fly by DataLoader workers (JPEGs decoded at reduced scale)."""

    mode = "stream"

    def __init__(
        self, samples: Sequence[Sample], size: int, resize_mode: str, device, workers: int
    ):
        self.dataset = _FileDataset(samples, size, resize_mode)
        self.paths = [s.path for s in samples]
        self.labels = [s.label for s in samples]
        self.device = device
        self.workers = workers
        self.skipped: list[tuple[str, str]] = []
        self._seen_bad: set[int] = set()
        self._loaders: dict[tuple, torch.utils.data.DataLoader] = {}
        self._index_batches = _GivenBatches()  # batches_in's batches, set for each pass

    def __len__(self) -> int:
        return len(self.paths)

    def _loader(self, batch_size: int, shuffle: bool, gen) -> torch.utils.data.DataLoader:
        key = (batch_size, shuffle)
        if key not in self._loaders:
            workers = self.workers if shuffle else min(self.workers, 2)
            self._loaders[key] = torch.utils.data.DataLoader(
                self.dataset,
                batch_size=batch_size,
                shuffle=shuffle,
                generator=gen if shuffle else None,
                # Validation needs fewer workers; each is a process that imports torch.
                num_workers=workers,
                # Workers start once per run, not per epoch: spawned ones (Windows/macOS) take
                # seconds to start, and forking anew each epoch from a process that holds a
                # CUDA context and Qt threads is what risks a worker stuck on a copied lock.
                persistent_workers=workers > 0,
                # A stuck worker becomes an error after this long, not a silent hang.
                timeout=WORKER_TIMEOUT_S if workers > 0 else 0,
                pin_memory=self.device.type == "cuda",
                drop_last=False,
            )
        return self._loaders[key]

    def _make_loader(self, batch_sampler) -> torch.utils.data.DataLoader:
        """A loader over given index batches (persistent workers, like the others: the
        batches themselves are drawn in this process, anew for each pass)."""
        return torch.utils.data.DataLoader(
            self.dataset,
            batch_sampler=batch_sampler,
            num_workers=self.workers,
            persistent_workers=self.workers > 0,
            timeout=WORKER_TIMEOUT_S if self.workers > 0 else 0,
            pin_memory=self.device.type == "cuda",
        )

    def batches(
        self, batch_size: int, shuffle: bool, gen: torch.Generator | None
    ) -> Iterator[Batch]:
        yield from self._worker_timeouts(self._batches(batch_size, shuffle, gen))

    def _worker_timeouts(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        try:
            yield from batches
        except RuntimeError as exc:
            if "timed out" not in str(exc):
                raise
            raise LoupeError(
                f"No images arrived from the {self.workers} loader worker process(es) for "
                f"{WORKER_TIMEOUT_S} s (a stuck worker, or a drive that stopped answering): "
                "try again with fewer workers (0 reads in the training process)."
            ) from exc

    def batches_in(
        self, order: torch.Tensor, sizes: Sequence[int], keep_steps: bool = False
    ) -> Iterator[Batch]:
        """Consecutive batches of `sizes` images taken from `order` (as CachedSource's).
        `keep_steps`: a batch left too small by unreadable files is replaced by this
        process's previous batch, so that every process of a data-parallel run takes the
        same number of steps (one skipped step would leave the others waiting)."""
        bounds = torch.cumsum(torch.as_tensor([0, *sizes]), 0).tolist()
        self._index_batches.batches = [
            order[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        if ("given",) not in self._loaders:
            self._loaders[("given",)] = self._make_loader(self._index_batches)
        loader = self._loaders[("given",)]
        previous = None
        checked = self._checked(loader, keep_steps, shuffle=keep_steps)
        for batch in self._worker_timeouts(checked):
            if batch is None:  # keep_steps: every image of this batch was unreadable
                if previous is None:
                    example = self.skipped[-1][0] if self.skipped else "?"
                    raise LoupeError(
                        f"A whole training batch was unreadable (e.g. {example}): remove the "
                        f"broken files ({command_line('doctor', 'DATA_DIR')}) and train again."
                    )
                batch = previous
            previous = batch
            yield batch

    def _batches(
        self, batch_size: int, shuffle: bool, gen: torch.Generator | None
    ) -> Iterator[Batch]:
        yield from self._checked(self._loader(batch_size, shuffle, gen), False, shuffle)

    def _checked(self, loader, keep_steps: bool, shuffle: bool = True) -> Iterator[Batch | None]:
        for images, labels, idx in loader:
            bad = labels < 0
            if bool(bad.any()):
                self._note_bad(idx[bad].tolist())
                images, labels, idx = images[~bad], labels[~bad], idx[~bad]
            if len(idx) == 0 or (shuffle and len(idx) == 1):
                if keep_steps:
                    yield None
                continue
            nb = self.device.type == "cuda"
            yield (
                images.to(self.device, non_blocking=nb),
                labels.to(self.device, non_blocking=nb),
                idx,
            )

    def _note_bad(self, indices: list[int]) -> None:
        for i in indices:
            if i in self._seen_bad:
                continue
            self._seen_bad.add(i)
            try:
                open_rgb(self.paths[i])
                reason = "unreadable"
            except ImageLoadError as exc:
                reason = exc.reason
            self.skipped.append((self.paths[i], reason))

    def images_at(self, indices: Sequence[int]) -> torch.Tensor:
        return torch.stack([self.dataset[i][0] for i in indices]).to(self.device)

    def close(self) -> None:
        self._loaders.clear()  # ends persistent workers
