"""`loupe FOLDER` (a file manager's "Open with", a launcher) opens the window with that
dataset; a command word stays a command even when a folder of that name is next to you; a
path that is no folder is one sentence, and no window."""

from __future__ import annotations

import pytest

import core.cli.commands
import gui.app
import main


@pytest.fixture
def opened(monkeypatch):
    """What the window would have been asked to open (its event loop is not run)."""
    calls: list[dict] = []
    monkeypatch.setattr(gui.app, "run_gui", lambda argv, dataset=None: calls.append(dataset) or 0)
    return calls


@pytest.fixture
def commands(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(core.cli.commands, "run_cli", lambda argv: calls.append(argv) or 0)
    return calls


def test_a_folder_opens_the_window_with_that_dataset(tmp_path, opened, commands):
    data = tmp_path / "flowers"
    data.mkdir()
    assert main.main([str(data)]) == 0
    assert opened == [str(data)] and commands == []


def test_a_folder_next_to_you_opens_by_its_name(tmp_path, monkeypatch, opened):
    (tmp_path / "flowers").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main.main(["flowers"]) == 0
    assert opened == [str(tmp_path / "flowers")]


def test_a_command_stays_a_command_beside_a_folder_of_its_name(
    tmp_path, monkeypatch, opened, commands
):
    (tmp_path / "samples").mkdir()
    monkeypatch.chdir(tmp_path)
    main.main(["samples"])
    assert commands == [["samples"]] and opened == []


@pytest.mark.parametrize("what", ["missing", "file"])
def test_a_path_that_is_no_folder_is_one_sentence(tmp_path, capsys, opened, commands, what):
    path = tmp_path / "photos.txt"
    if what == "file":
        path.write_text("not a folder")
    assert main.main([str(path)]) == 2
    assert opened == [] and commands == []
    assert capsys.readouterr().err == (
        f"loupe: {path} is not a folder: give a dataset folder (one subfolder per class) to "
        "open it in the window, or a command (loupe --help lists them).\n"
    )
