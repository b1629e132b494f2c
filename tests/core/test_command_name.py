"""Command hints name the command the user has: `python main.py` from source, the bundle's own
executable in an installed (PyInstaller) Loupe, which has neither Python nor main.py."""

from __future__ import annotations

import sys

import pytest

from core.cli.commands import run_cli
from core.command_name import command_line, command_words
from core.errors import LoupeError
from tests.core.image_factory import make_shapes_dataset


@pytest.fixture
def linux_bundle(tmp_path, monkeypatch):
    """This process as the bundled Linux executable, not installed on PATH."""
    executable = tmp_path / "Loupe" / "Loupe"
    executable.parent.mkdir()
    executable.write_bytes(b"")
    executable.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    monkeypatch.setattr(sys, "platform", "linux")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return executable


def test_from_source_the_command_is_python_main_py(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert command_words() == ["python", "main.py"]
    assert command_line("undo", "M.jsonl") == "python main.py undo M.jsonl"


def test_a_bundle_not_on_path_is_named_by_its_full_path(linux_bundle):
    assert command_words() == [str(linux_bundle)]
    assert command_line("models") == f"{linux_bundle} models"


def test_an_installed_bundle_is_named_by_its_link_on_path(linux_bundle, tmp_path):
    (tmp_path / "bin" / "loupe").symlink_to(linux_bundle)  # what install.sh makes
    assert command_line("models", "--all") == "loupe models --all"


def test_another_program_called_loupe_on_path_is_not_named(linux_bundle, tmp_path):
    other = tmp_path / "bin" / "loupe"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    assert command_words() == [str(linux_bundle)]


def test_windows_names_the_console_twin_quoted_when_its_path_has_spaces():
    words = command_words(
        frozen=True,
        executable="C:\\Program Files\\Loupe\\Loupe.exe",
        platform="win32",
        which=lambda name: None,
    )
    assert words == ["C:\\Program Files\\Loupe\\loupe-cli.exe"]  # Loupe.exe prints nothing


def test_windows_quoting_in_a_shown_command(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "C:\\Program Files\\Loupe\\Loupe.exe")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("PATH", "")
    assert command_line("undo", "M") == '"C:\\Program Files\\Loupe\\loupe-cli.exe" undo M'


def test_errors_in_a_bundle_name_the_bundles_command(linux_bundle):
    from core.infer.shard_merge import merge_parts
    from core.models.registry import arch_info

    with pytest.raises(LoupeError) as unknown:
        arch_info("no_such_net")
    assert f"Run '{linux_bundle} models --all' to list them." in str(unknown.value)
    assert "main.py" not in str(unknown.value)
    with pytest.raises(LoupeError) as no_parts:
        merge_parts([], "all.csv")
    assert f"e.g. {linux_bundle} merge part-*.csv --out all.csv." in str(no_parts.value)


def test_relabel_in_a_bundle_tells_the_undo_command_of_the_bundle(linux_bundle, tmp_path, capsys):
    root = make_shapes_dataset(tmp_path / "data", per_class=2)
    changes = tmp_path / "changes.csv"
    changes.write_text("path,new_label\ncircle/circle_000.png,square\n", encoding="utf-8")
    assert run_cli(["relabel", str(root), str(changes)]) == 0
    captured = capsys.readouterr()
    manifest = captured.out.strip().splitlines()[-1]
    assert f"Undo with: {linux_bundle} undo {manifest}" in captured.err, captured.err
    assert "python main.py" not in captured.err
