"""core.device on a machine without a GPU: the CUDA queries are monkeypatched to describe the
GPUs a user may have (an old GTX 10xx, a Turing T4, an Ampere card, two GPUs)."""

from __future__ import annotations

import pytest
import torch

from core import device as device_module
from core.device import (
    auto_device_note,
    choose_precision,
    device_rng_state,
    free_memory,
    is_out_of_memory,
    memory_hint,
    release_memory,
    resolve_device,
    restore_device_rng,
    unsupported_gpu_reason,
    use_device,
)
from core.errors import LoupeError

WHEEL_ARCHS = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]  # torch 2.14 cu13


@pytest.fixture
def gpus(monkeypatch):
    """fake(capabilities, archs): pretend these GPUs exist, with this build's kernel list."""

    def fake(capabilities: list[tuple[int, int]], archs: list[str] = WHEEL_ARCHS) -> list:
        asked: list = []

        def capability(dev=None):
            index = dev.index if isinstance(dev, torch.device) else dev
            asked.append(index)
            return capabilities[index or 0]

        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: len(capabilities))
        monkeypatch.setattr(torch.cuda, "get_device_capability", capability)
        monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: list(archs))
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=None: f"Fake GPU {i}")
        monkeypatch.setattr(torch.version, "cuda", "13.0")
        return asked

    return fake


def test_auto_falls_back_to_the_cpu_with_one_sentence_for_an_unsupported_gpu(gpus):
    gpus([(6, 1)])  # a GTX 1080: the wheel starts at sm_75
    assert resolve_device("auto") == torch.device("cpu")
    note = auto_device_note()
    assert "compute capability 6.1" in note and "not supported by this PyTorch" in note
    assert "CPU" in note and note.count(".") >= 1 and "\n" not in note
    with pytest.raises(LoupeError, match="capability 6.1.*choose --device cpu"):
        resolve_device("cuda:0")


def test_auto_takes_the_first_supported_gpu(gpus):
    gpus([(7, 0), (8, 6)])  # a V100 beside an RTX 3090
    assert resolve_device("auto") == torch.device("cuda", 1)
    assert auto_device_note() is None
    assert unsupported_gpu_reason(0) and unsupported_gpu_reason(1) is None


@pytest.mark.parametrize(
    ("capability", "archs", "supported"),
    [
        ((8, 9), WHEEL_ARCHS, True),  # sm_86 cubins run on 8.9 (same major, higher minor)
        ((7, 5), WHEEL_ARCHS, True),
        ((7, 0), WHEEL_ARCHS, False),
        ((9, 0), ["sm_80", "sm_90a"], True),  # an "a" build runs on exactly 9.0
        ((9, 2), ["sm_80", "sm_90a"], False),
        ((6, 1), ["sm_50", "compute_50"], True),  # PTX is compiled for any newer GPU
        ((13, 0), ["sm_120", "compute_120"], True),
        ((13, 0), ["sm_120"], False),
    ],
)
def test_capability_against_the_build(gpus, capability, archs, supported):
    gpus([capability], archs)
    assert (unsupported_gpu_reason(0) is None) is supported


def test_bf16_only_from_capability_8_and_read_from_the_chosen_gpu(gpus, monkeypatch):
    # is_bf16_supported() says yes on Turing (emulation): it must not decide.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    asked = gpus([(8, 0), (7, 5)])  # the current device (0) is Ampere, the chosen one Turing
    turing = choose_precision(torch.device("cuda", 1), "auto")
    assert (turing.dtype, turing.use_scaler, turing.label) == (torch.float16, True, "fp16")
    assert asked == [1]
    ampere = choose_precision(torch.device("cuda", 0), "on")
    assert (ampere.dtype, ampere.use_scaler, ampere.label) == (torch.bfloat16, False, "bf16")
    assert not choose_precision(torch.device("cuda", 0), "off").enabled


def test_free_memory_counts_this_process_cache_as_free(monkeypatch):
    gb = 2**30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev=None: (1 * gb, 8 * gb))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda dev=None: 5 * gb)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda dev=None: 2 * gb)
    dev = torch.device("cuda", 0)
    # A first run left 3 GB cached but unused: the next one may count on it.
    assert free_memory(dev) == 4 * gb
    assert memory_hint(dev) == int(4 * gb * 0.3)
    assert memory_hint(torch.device("cpu")) == 0


def test_release_memory_collects_then_empties_the_cuda_cache(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append("empty"))
    monkeypatch.setattr(torch._C, "_cuda_clearCublasWorkspaces", lambda: calls.append("cublas"))
    monkeypatch.setattr(device_module.gc, "collect", lambda *a: calls.append("collect") or 0)
    release_memory(torch.device("cuda", 1))
    assert calls == ["collect", "cublas", "empty"]
    calls.clear()
    release_memory(torch.device("cpu"))
    assert calls == ["collect"]


@pytest.mark.parametrize(
    ("exc", "oom"),
    [
        (torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
        (RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate"), True),
        (RuntimeError("cuDNN error: CUDNN_STATUS_ALLOC_FAILED"), True),
        (RuntimeError("CUDA error: out of memory"), True),
        (RuntimeError("MPS backend out of memory (MPS allocated: 8 GB)"), True),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)"), False),
        (ValueError("out of memory"), False),
        (KeyError("CUBLAS_STATUS_ALLOC_FAILED"), False),
    ],
)
def test_is_out_of_memory(exc, oom):
    assert is_out_of_memory(exc) is oom


def test_use_device_sets_the_current_gpu_of_the_calling_thread(monkeypatch):
    chosen = []
    monkeypatch.setattr(torch.cuda, "set_device", lambda dev: chosen.append(dev))
    use_device(torch.device("cpu"))
    use_device(torch.device("cuda", 1))
    assert chosen == [torch.device("cuda", 1)]


def test_the_training_gpu_random_state_is_saved_and_restored(monkeypatch):
    state = torch.arange(16, dtype=torch.uint8)
    got, put = [], []
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda dev: got.append(dev) or state)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s, dev: put.append((s, dev)))
    gpu1 = torch.device("cuda", 1)
    assert device_rng_state(gpu1) is state and got == [gpu1]  # that GPU's, not GPU 0's
    restore_device_rng(state, gpu1)
    assert put == [(state, gpu1)]
    assert device_rng_state(torch.device("cpu")) is None
    restore_device_rng(None, gpu1)
    restore_device_rng(state, torch.device("cpu"))
    assert len(put) == 1


def test_the_device_menu_marks_an_unsupported_gpu(gpus, monkeypatch):
    gpus([(6, 1)])
    props = type("Props", (), {"name": "GeForce GTX 1080", "total_memory": 8 * 2**30})
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda dev: props)
    choices = device_module.list_devices()
    assert [c.key for c in choices] == ["auto", "cuda:0", "cpu"]
    assert choices[0].label.startswith("Auto (CPU")
    assert not choices[1].supported and "not supported by this PyTorch" in choices[1].label


def test_two_usable_gpus_offer_all_gpus_and_one_does_not(gpus, monkeypatch):
    props = type("Props", (), {"name": "RTX A6000", "total_memory": 48 * 2**30})
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda dev: props)
    gpus([(8, 6), (8, 6)])
    choices = device_module.list_devices()
    assert [c.key for c in choices] == ["auto", "cuda:0", "cuda:1", "cuda:all", "cpu"]
    assert choices[3].label == "All 2 GPUs"
    gpus([(8, 6)])
    assert [c.key for c in device_module.list_devices()] == ["auto", "cuda:0", "cpu"]
    gpus([(8, 6), (6, 1)])  # the second cannot run this build: one process would fail
    assert "cuda:all" not in [c.key for c in device_module.list_devices()]


def test_all_gpus_is_not_a_device_of_one_process():
    with pytest.raises(LoupeError, match="one process per GPU.*torchrun"):
        resolve_device("cuda:all")
