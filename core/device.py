"""Device detection and the speed settings that follow from it: which GPU can run this
PyTorch build, which precision it should train in, how much of its memory a run may use,
and what counts as running out of it."""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass

import torch

from core.errors import LoupeError
from core.train.launch import ALL_GPUS


@dataclass(frozen=True)
class DeviceChoice:
    key: str  # "auto", "cpu", "cuda:0", "cuda:all" (every GPU), "mps"
    label: str  # what the user reads
    supported: bool = True  # False: a GPU this PyTorch build has no kernels for


def list_devices() -> list[DeviceChoice]:
    """Choices for a device menu: auto first, then each GPU, "All N GPUs" when more than one
    can train (one process per GPU under torch.distributed.run), then the CPU."""
    choices = [DeviceChoice("auto", f"Auto ({describe_device(resolve_device('auto'))})")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            label = describe_device(torch.device("cuda", i))
            supported = unsupported_gpu_reason(i) is None
            if not supported:
                label += " (not supported by this PyTorch)"
            choices.append(DeviceChoice(f"cuda:{i}", label, supported))
        gpus = usable_gpu_count()
        if gpus > 1:
            choices.append(DeviceChoice(ALL_GPUS, f"All {gpus} GPUs"))
    if _mps_available():
        choices.append(DeviceChoice("mps", "Apple GPU (MPS)"))
    choices.append(DeviceChoice("cpu", describe_device(torch.device("cpu"))))
    return choices


def usable_gpu_count() -> int:
    """CUDA GPUs this PyTorch build can train on: the processes of an "All N GPUs" run.
    Only the first ones count when an unsupported GPU sits between them, since each rank
    takes the GPU of its local rank (0, 1, ...)."""
    if not torch.cuda.is_available():
        return 0
    count = 0
    for i in range(torch.cuda.device_count()):
        if unsupported_gpu_reason(i) is not None:
            break
        count += 1
    return count


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def _arch_versions() -> list[tuple[str, int, int, str]]:
    """(kind, major, minor, suffix) for each entry of torch.cuda.get_arch_list():
    "sm_86" -> ("sm", 8, 6, ""), "sm_90a" -> ("sm", 9, 0, "a"), "compute_120" -> PTX 12.0."""
    versions = []
    for arch in torch.cuda.get_arch_list():
        match = re.fullmatch(r"(sm|compute)_(\d+)(\d)([a-z]?)", arch)
        if match:
            kind, major, minor, suffix = match.groups()
            versions.append((kind, int(major), int(minor), suffix))
    return versions


def unsupported_gpu_reason(index: int) -> str | None:
    """Why GPU `index` cannot run this PyTorch build's kernels, or None when it can.
    Kernels compiled for sm_XY run on GPUs of the same major version and minor >= Y
    (an "a" build only on exactly X.Y); PTX (compute_XY) is compiled at load time for any
    GPU of capability >= X.Y. Without this check an old GPU (a GTX 10xx or V100 with a build
    that starts at sm_75) fails at its first kernel with "no kernel image is available"."""
    if torch.version.cuda is None:  # ROCm or another backend: no such list to check
        return None
    versions = _arch_versions()
    if not versions:
        return None  # an unusual build that does not say: let the GPU try
    major, minor = torch.cuda.get_device_capability(index)
    for kind, arch_major, arch_minor, suffix in versions:
        if kind == "compute":
            runs = (major, minor) >= (arch_major, arch_minor)
        elif suffix == "a":
            runs = (major, minor) == (arch_major, arch_minor)
        else:
            runs = major == arch_major and minor >= arch_minor
        if runs:
            return None
    built = ", ".join(torch.cuda.get_arch_list())
    return (
        f"GPU {index} ({torch.cuda.get_device_name(index)}, compute capability {major}.{minor}) "
        f"is not supported by this PyTorch build (kernels for {built})"
    )


def auto_device_note() -> str | None:
    """The sentence to show when "auto" left a CUDA GPU unused because this PyTorch build
    cannot run on it; None otherwise."""
    if not torch.cuda.is_available():
        return None
    reasons = [unsupported_gpu_reason(i) for i in range(torch.cuda.device_count())]
    if any(r is None for r in reasons):
        return None  # some GPU is usable: auto picks it
    return (
        f"{'; '.join(reasons)}: training on the CPU instead. Install a PyTorch build "
        "made for this GPU (pytorch.org, 'Get started') to use it."
    )


def resolve_device(name: str) -> torch.device:
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                if unsupported_gpu_reason(i) is None:
                    return torch.device("cuda", i)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == ALL_GPUS:
        raise LoupeError(
            f"Device '{ALL_GPUS}' trains in one process per GPU: choose 'All N GPUs' in the "
            "window, or start the command under torchrun with --device cuda (README: "
            "'More than one GPU')."
        )
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
        reason = unsupported_gpu_reason(dev.index or 0)
        if reason:
            raise LoupeError(f"{reason}: choose --device cpu, or install a PyTorch build for it.")
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


BF16_MIN_CAPABILITY = 8  # Ampere: the first GPUs with bf16 tensor cores and cuDNN kernels


def choose_precision(dev: torch.device, setting: str) -> Precision:
    """auto: mixed precision on CUDA, fp32 elsewhere. On CUDA, bf16 on GPUs of compute
    capability 8.0 and newer, fp16 with loss scaling before that: torch.cuda.is_bf16_supported()
    also counts emulation, which puts a Turing GPU (T4, RTX 20xx) on slow non-cuDNN
    convolutions. The capability is read from `dev`, not from the current device.
    On CPU, 'on' uses bf16 autocast: faster on CPUs with AMX/AVX512-BF16 for ResNets,
    slower for MobileNets; with 'auto' the CPU tuner (core.train.cpu_tuner) times both."""
    if setting == "off":
        return Precision(False, None, False)
    if dev.type == "cuda":
        major, _minor = torch.cuda.get_device_capability(dev)
        if major >= BF16_MIN_CAPABILITY:
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


def use_device(dev: torch.device) -> None:
    """Make `dev` the current CUDA device of the calling thread (the current device is per
    thread). Without it, on cuda:1 pinned memory, cuDNN handles and anything asking for "the"
    device would create a context (300-500 MB) on GPU 0 and read GPU 0's properties."""
    if dev.type == "cuda":
        torch.cuda.set_device(dev)


def device_rng_state(dev: torch.device) -> torch.Tensor | None:
    """The random generator state of the training GPU (it draws the dropout masks there), for
    a checkpoint; None elsewhere. Only that GPU's: torch.cuda.get_rng_state_all() would touch
    every GPU, and a resumed run may train on another index."""
    return torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None


def restore_device_rng(state: torch.Tensor | None, dev: torch.device) -> None:
    if state is not None and dev.type == "cuda":
        torch.cuda.set_rng_state(state, dev)


def free_memory(dev: torch.device) -> int:
    """Bytes a new allocation could get on a CUDA device: what the driver reports free plus
    what this process's caching allocator holds but no tensor uses (mem_get_info counts
    that as used, so a second run in the same window would see gigabytes less)."""
    free, _total = torch.cuda.mem_get_info(dev)
    reclaimable = torch.cuda.memory_reserved(dev) - torch.cuda.memory_allocated(dev)
    return int(free + max(0, reclaimable))


GPU_CACHE_SHARE = 0.3  # of the free GPU memory; the rest is left to activations and cuDNN


def memory_hint(dev: torch.device) -> int:
    """Bytes that may hold a uint8 dataset cache on this device. Measured before any
    activation exists, so it can be too generous for a big model on a small GPU: the
    training loop then moves the cache to RAM and retries (core.train.oom_retry)."""
    if dev.type == "cuda":
        return int(free_memory(dev) * GPU_CACHE_SHARE)
    return 0


def release_memory(dev: torch.device | None = None) -> None:
    """Give a finished run's GPU memory back: collect the tensors that only reference
    cycles still hold, then return the caching allocator's unused blocks to the driver, so
    other programs (and the next run's free-memory check) see it."""
    gc.collect()
    if (dev is None or dev.type == "cuda") and torch.cuda.is_initialized():
        # cuBLAS keeps a workspace per handle and stream in the caching allocator: without
        # this, a finished run still holds a few MB allocated on each GPU it used.
        clear_workspaces = getattr(torch._C, "_cuda_clearCublasWorkspaces", None)
        if clear_workspaces is not None:
            clear_workspaces()
        torch.cuda.empty_cache()


# cuBLAS/cuDNN/cuFFT report a failed allocation in their own words, as a plain RuntimeError.
_ALLOCATION_FAILURES = (
    "out of memory",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_ALLOC_FAILED",
    "CUFFT_ALLOC_FAILED",
    "CUSOLVER_STATUS_ALLOC_FAILED",
)


def is_out_of_memory(exc: BaseException) -> bool:
    """True when `exc` means the device ran out of memory. The one place an OOM is
    recognised: torch.cuda.OutOfMemoryError from the caching allocator, and the RuntimeErrors
    of the CUDA libraries and the MPS backend whose message names a failed allocation.
    Whoever recovers from an OOM (the GPU cache falling back to RAM, a smaller batch)
    classifies the exception here."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    if not isinstance(exc, RuntimeError):
        return False
    message = str(exc)
    return any(marker.lower() in message.lower() for marker in _ALLOCATION_FAILURES)
