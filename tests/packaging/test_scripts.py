"""The packaging scripts and the Linux desktop entry: the shell scripts parse, the desktop
file is complete, and install.sh installs for the user and uninstalls again."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess

import pytest

from tests.packaging.spec_reader import ICONS, PACKAGING


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
    assert f'Exec="{dest}/Loupe" %f' in desktop  # a folder dropped on it opens as the dataset
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
