"""The baselines benchmarks/train_throughput.py measures Loupe against, in the same run: the
classic tutorial loop, the model step alone on synthetic tensors (the ceiling), and Loupe's
data path alone (cache + batched augmentation, no model)."""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmarks.throughput_cases import Case, LoupeResult

NAIVE_WARMUP_BATCHES = 10  # the tutorial loop's first batches wait for worker start-up
PURE_WARMUP_STEPS = 3


# -- (b) the tutorial loop ------------------------------------------------------------------
def run_naive(
    case: Case, data_dir: str, device: str, workers: int, threads: int, max_seconds: float
) -> float:
    """Mean images/s of the tutorial loop from its 10th batch until the pass ends or
    max_seconds of timed steps have run."""
    from torchvision import datasets, transforms

    from core.device import resolve_device
    from core.models.registry import build_model

    torch.set_num_threads(threads)
    dev = resolve_device(device)
    transform = transforms.Compose(
        [
            transforms.RandomResizedCrop(case.image_size),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    dataset = datasets.ImageFolder(data_dir, transform=transform)
    if case.naive_images < len(dataset):
        pick = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))
        dataset = torch.utils.data.Subset(dataset, pick[: case.naive_images].tolist())
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True, num_workers=workers)
    torch.manual_seed(0)
    net = build_model(case.arch, case.classes).to(dev)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    net.train()
    running_loss, seen, t_start = 0.0, 0, 0.0
    for i, (inputs, labels) in enumerate(loader):
        if i == NAIVE_WARMUP_BATCHES:
            t_start, seen = time.perf_counter(), 0
        inputs, labels = inputs.to(dev), labels.to(dev)
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()  # the tutorial's per-step sync
        seen += labels.shape[0]
        if t_start and time.perf_counter() - t_start > max_seconds:
            break
    return seen / max(time.perf_counter() - t_start, 1e-9)


# -- (c) the model step alone ---------------------------------------------------------------
def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def run_pure(case: Case, lr: LoupeResult, device: str, max_seconds: float) -> float:
    """Median images/s over single steps (robust to other jobs on a shared machine), after
    PURE_WARMUP_STEPS, for case.pure_steps steps or max_seconds, whichever comes first."""
    from core.device import choose_precision, configure_backends, resolve_device
    from core.models.registry import build_model
    from core.train.evaluation import autocast
    from core.train.optim import build_optimizer

    cfg = lr.cfg
    dev = resolve_device(device)
    configure_backends(dev)
    torch.set_num_threads(lr.threads)
    precision = choose_precision(dev, "on" if lr.precision == "bf16" else cfg.mixed_precision)
    torch.manual_seed(0)
    model = build_model(case.arch, case.classes).to(dev).to(memory_format=torch.channels_last)
    opt = build_optimizer(model.parameters(), cfg, cfg.lr)
    criterion = torch.nn.CrossEntropyLoss()
    shape = (case.batch_size, 3, case.image_size, case.image_size)
    x = torch.randn(shape, device=dev).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, case.classes, (case.batch_size,), device=dev)
    model.train()

    def step() -> None:
        with autocast(dev, precision):
            loss = criterion(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(PURE_WARMUP_STEPS):
        step()
    _sync(dev)
    times: list[float] = []
    t_end = time.perf_counter() + max_seconds
    while len(times) < case.pure_steps and (len(times) < 3 or time.perf_counter() < t_end):
        t0 = time.perf_counter()
        step()
        _sync(dev)  # per-step timing; on a GPU a fuller queue would be a little faster
        times.append(time.perf_counter() - t0)
    return case.batch_size / float(np.median(times))


# -- (d) Loupe's data path alone ------------------------------------------------------------
def run_data_path(case: Case, lr: LoupeResult, device: str) -> float:
    from core.data.augment import augment_batch
    from core.data.batches import CachedSource
    from core.device import memory_hint, resolve_device

    dev = resolve_device(device)
    torch.set_num_threads(lr.threads)
    n, s = lr.train_images, case.image_size
    arr = np.random.default_rng(0).integers(0, 256, size=(n, s, s, 3), dtype=np.uint8)
    # Same placement rule as core.train.labelled_data: on the GPU when it fits there.
    storage = dev if dev.type == "cuda" and arr.nbytes < memory_hint(dev) else torch.device("cpu")
    source = CachedSource(arr, [i % case.classes for i in range(n)], [""] * n, storage, dev)
    gen = torch.Generator().manual_seed(0)
    done, t0 = 0, 0.0
    for epoch in range(2):  # the first pass warms up
        if epoch == 1:
            _sync(dev)
            t0, done = time.perf_counter(), 0
        for images, labels, _idx in source.batches(case.batch_size, True, gen):
            augment_batch(images, lr.cfg.augment, gen)
            done += labels.shape[0]
    _sync(dev)
    return done / (time.perf_counter() - t0)
