"""The command a user types to run Loupe's command line, for every sentence that shows one
("Undo with: python main.py undo MANIFEST").

From source that is `python main.py`. An installed bundle (PyInstaller) has no Python and no
main.py: its own executable is the command. On Linux and macOS that is the executable itself
(`loupe` when packaging/linux/install.sh's ~/.local/bin/loupe link on PATH leads to it); on
Windows it is loupe-cli.exe beside the windowed Loupe.exe, which has no console to print to.
A short name is shown only when PATH really finds this bundle under it, otherwise the full path:
a hint the user cannot run as shown is worse than a long one. Plain Python: no torch, no Qt."""

from __future__ import annotations

import ntpath
import os
import shutil
import sys
from collections.abc import Callable

SOURCE_WORDS = ("python", "main.py")
POSIX_NAME = "loupe"  # the link packaging/linux/install.sh puts in ~/.local/bin
WINDOWS_NAME = "loupe-cli"  # the console twin built by packaging/loupe.spec on Windows


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def command_words(
    frozen: bool | None = None,
    executable: str | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The words that start Loupe's command line here: ["python", "main.py"] from source, the
    bundle's console executable when frozen. The defaults are this process's (tests vary them)."""
    if not (is_frozen() if frozen is None else frozen):
        return list(SOURCE_WORDS)
    executable = executable or sys.executable
    if (platform or sys.platform) == "win32":
        program = ntpath.join(ntpath.dirname(executable), WINDOWS_NAME + ".exe")
        short = WINDOWS_NAME
    else:
        program, short = executable, POSIX_NAME
    found = which(short)
    return [short] if found and _same_file(found, program) else [program]


def _shown(word: str) -> str:
    # Double quotes work in POSIX shells, cmd.exe and PowerShell alike for a plain path.
    return f'"{word}"' if any(c.isspace() for c in word) else word


def command_line(*arguments: object) -> str:
    """`python main.py ARGUMENTS...` (or the bundle's command) as one line to show a user. Only
    the program is quoted: the arguments are shown as the sentence had them (placeholders such
    as DATA_DIR or part-*.csv must stay readable)."""
    return " ".join([*(_shown(w) for w in command_words()), *(str(a) for a in arguments)])
