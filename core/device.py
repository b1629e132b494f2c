"""Device detection and the speed settings that follow from it."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from core.errors import LoupeError


@dataclass(frozen=True)
class DeviceChoice:
    key: str  # "auto", "cpu", "cuda:0", "mps"
    label: str  # what the user reads


def list_devices() -> list[DeviceChoice]:
    """Choices for a device menu: auto first, then each GPU, then the CPU."""
    choices = [DeviceChoice("auto", f"Auto ({describe_device(resolve_device('auto'))})")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            choices.append(DeviceChoice(f"cuda:{i}", describe_device(torch.device("cuda", i))))
    if _mps_available():
        choices.append(DeviceChoice("mps", "Apple GPU (MPS)"))
    choices.append(DeviceChoice("cpu", describe_device(torch.device("cpu"))))
    return choices


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def resolve_device(name: str) -> torch.device:
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", 0)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise LoupeError(
                "Device 'cuda' was requested but no CUDA GPU is available "
                "(check the NVIDIA driver, or choose --device cpu)."
            )
        dev = torch.device(name if ":" in name else "cuda:0")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise LoupeError(
                f"GPU {dev.index} does not exist: this machine has {torch.cuda.device_count()}."
            )
        return dev
    if name == "mps":
        if not _mps_available():
            raise LoupeError("Device 'mps' was requested but Apple's GPU backend is not available.")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise LoupeError(f"Unknown device '{name}': use auto, cpu, cuda, cuda:N or mps.")


def describe_device(dev: torch.device) -> str:
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GB)"
    if dev.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({os.cpu_count() or 1} cores)"


@dataclass(frozen=True)
class Precision:
    enabled: bool
    dtype: torch.dtype | None
    use_scaler: bool  # fp16 needs loss scaling; bf16 does not

    @property
    def label(self) -> str:
        if not self.enabled:
            return "fp32"
        return "bf16" if self.dtype == torch.bfloat16 else "fp16"


def choose_precision(dev: torch.device, setting: str) -> Precision:
    """auto: mixed precision on CUDA (bf16 where the GPU supports it), fp32 elsewhere.
    On CPU, 'on' uses bf16 autocast: faster on CPUs with AMX/AVX512-BF16 for ResNets,
    slower for MobileNets; with 'auto' the CPU tuner (core.train.cpu_tuner) times both."""
    if setting == "off":
        return Precision(False, None, False)
    if dev.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision(True, torch.bfloat16, False)
        return Precision(True, torch.float16, True)
    if dev.type == "cpu" and setting == "on":
        return Precision(True, torch.bfloat16, False)
    return Precision(False, None, False)


def configure_backends(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = (
            True  # fixed input sizes: let cuDNN pick its fastest kernels
        )
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def memory_hint(dev: torch.device) -> int:
    """Bytes that may hold a uint8 dataset cache on this device."""
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        return int(free * 0.3)  # leave most of the GPU to activations
    return 0
