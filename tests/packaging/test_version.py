"""One version, written once: core/__init__.py's __version__. The spec, the shell scripts and
the Windows build (and its Inno Setup installer) read it from there; no packaging file writes
it by hand."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.packaging.spec_reader import PACKAGING, ROOT, spec_namespace


def core_version() -> str:
    """core.__version__, read without importing core (that must stay cheap, but this is cheaper)."""
    text = (ROOT / "core" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    assert match, "core/__init__.py defines no __version__"
    return match.group(1)


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
