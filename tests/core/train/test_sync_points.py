"""The CUDA hot path without host syncs, checked on the CPU: what would make the CPU wait for
the GPU (a tensor read back, a copy through the CPU, reseeding every GPU) is counted or spied
on; the GPU's own counting is in benchmarks/cuda_check.py."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

import core.data.batches as batches
from core.data.augment import augment_batch
from core.data.batches import CachedSource
from core.device import Precision
from core.models.small_cnns import SimpleCNN
from core.train.config import AugmentConfig, TrainConfig
from core.train.evaluation import evaluate
from core.train.optim import build_optimizer
from core.train.resume import load_optimizer_state


@pytest.fixture
def readbacks(monkeypatch):
    """Counts Tensor.cpu / .tolist / .item calls: each is a sync point on a GPU tensor."""
    count = [0]
    for name in ("cpu", "tolist", "item"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            count[0] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return count


def test_trivial_augment_stays_on_the_device_and_reseeds_no_gpu(readbacks, monkeypatch):
    monkeypatch.setattr(torch, "manual_seed", pytest.fail)  # would reseed every CUDA generator
    monkeypatch.setattr(torch.cuda, "manual_seed_all", pytest.fail)
    x = torch.randint(0, 256, (6, 3, 24, 24), dtype=torch.uint8)
    cfg = AugmentConfig(trivial_augment=True)
    before = torch.get_rng_state()
    first = augment_batch(x, cfg, torch.Generator().manual_seed(5))
    assert readbacks[0] == 0  # no round trip through the CPU
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is kept
    again = augment_batch(x, cfg, torch.Generator().manual_seed(5))
    assert torch.equal(first, again)  # reproducible from the run's generator


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_optimizers_are_fused_on_cuda(monkeypatch, name):
    built = {}
    for cls in ("SGD", "Adam", "AdamW"):
        monkeypatch.setattr(torch.optim, cls, lambda params, **kw: built.update(kw) or kw)
    gpu_param = types.SimpleNamespace(requires_grad=True, device=torch.device("cuda", 0))
    build_optimizer([gpu_param], TrainConfig("data", "out", optimizer=name), 0.01)
    assert built.get("fused") is True  # GradScaler's inf check stays on the GPU
    built.clear()
    build_optimizer(
        [torch.nn.Parameter(torch.zeros(2))], TrainConfig("data", "out", optimizer=name), 0.01
    )
    assert "fused" not in built


def test_resume_keeps_the_kernels_of_this_device():
    """A checkpoint of a fused (GPU) optimizer resumed by an unfused (CPU) one, and back."""
    model = torch.nn.Linear(3, 2)
    fused = torch.optim.Adam(model.parameters(), lr=0.1, fused=True)
    model(torch.randn(4, 3)).sum().backward()
    fused.step()
    plain = torch.optim.Adam(model.parameters(), lr=0.1)
    load_optimizer_state(plain, fused.state_dict())
    assert not plain.param_groups[0]["fused"]
    plain.step()  # an unfused step with a step count from a fused one
    again = torch.optim.Adam(model.parameters(), lr=0.1, fused=True)
    load_optimizer_state(again, plain.state_dict())
    assert again.param_groups[0]["fused"] is True
    again.step()
    assert int(again.state[model.weight]["step"]) == 3


def _cached(n: int, classes: int = 3) -> CachedSource:
    images = np.random.default_rng(0).integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)
    labels = [i % classes for i in range(n)]
    cpu = torch.device("cpu")
    return CachedSource(images, labels, [f"img{i}.png" for i in range(n)], cpu, cpu)


def test_validation_reads_back_once_however_many_batches(readbacks):
    torch.manual_seed(0)
    model = SimpleCNN(3).eval()
    source = _cached(40)
    samples = [3, 17, 38, 0]
    thumbs = [np.zeros((16, 16, 3), np.uint8)] * len(samples)
    counts, results = [], []
    for batch_size in (4, 40):  # 10 batches, then 1
        readbacks[0] = 0
        off = Precision(False, None, False)
        ev = evaluate(
            model,
            source,
            batch_size,
            3,
            torch.device("cpu"),
            off,
            (0.5,) * 3,
            (0.5,) * 3,
            samples,
            thumbs,
        )
        counts.append(readbacks[0])
        results.append(ev)
    assert counts[0] == counts[1]  # nothing read back per batch
    with torch.inference_mode():
        x = source.images_at(samples).float().div(255).sub(0.5).div(0.5)
        logits = model(x)
    for ev in results:
        assert [s.path for s in ev.samples] == [f"img{i}.png" for i in samples]
        got = [s.confidence for s in ev.samples]
        # The grid shows calibrated confidences (the temperature fitted on this pass).
        probs = torch.softmax(logits / ev.calibration.temperature, 1)
        assert got == pytest.approx(probs.max(1).values.tolist(), abs=1e-5)


class _FakeEvent:
    waited = 0

    def record(self) -> None:
        pass

    def synchronize(self) -> None:
        _FakeEvent.waited += 1


def test_ram_cache_batches_for_a_gpu_go_through_reused_pinned_buffers(monkeypatch):
    """One host copy per batch into one of three reused pinned buffers (not a gather, then a
    pinning copy into a fresh pinned allocation); a buffer is refilled only after its copy."""
    allocations = []
    empty = torch.empty

    def pinned_empty(*shape, dtype=None, pin_memory=False, **kw):
        assert pin_memory  # this machine cannot pin: the test only checks it was asked for
        allocations.append(shape)
        return empty(*shape, dtype=dtype, **kw)

    monkeypatch.setattr(batches.torch, "empty", pinned_empty)
    monkeypatch.setattr(batches.torch.cuda, "Event", _FakeEvent)
    staging = batches._PinnedStaging()
    images = torch.arange(20 * 2 * 2 * 3, dtype=torch.int64).reshape(20, 2, 2, 3).to(torch.uint8)
    order = torch.randperm(20, generator=torch.Generator().manual_seed(1))
    for start in range(0, 20, 3):
        idx = order[start : start + 3]
        batch = staging.to_device(images, idx, torch.device("cpu")).clone()
        assert torch.equal(batch, images[idx])
    assert len(allocations) == 3  # seven batches, three buffers
    assert _FakeEvent.waited == 7 - 3
