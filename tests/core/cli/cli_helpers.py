"""Running Loupe's command line from tests: in this process (fast) or as a real process."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def loupe(*args) -> Result:
    """`python main.py ARGS`, in this process."""
    import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main.main([str(a) for a in args])
        except SystemExit as exc:  # argparse's errors, --help and --version exit
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return Result(code, out.getvalue(), err.getvalue())


def loupe_process(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


# One thread, no bf16: the CPU tuner would choose them by timing, moving the numbers (and the
# accuracy some tests rely on) with the machine's load.
PINNED_CPU = ("--cpu-threads", "1", "--mixed-precision", "off")


def cli(capsys, *args) -> tuple[int, str, str]:
    """run_cli in this process: (exit code, stdout, stderr) as pytest's capsys caught them."""
    from core.cli.commands import run_cli

    code = run_cli([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    """The one `loupe: error: ...` line stderr must be (asserted)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loupe: error: "), err
    assert "Traceback" not in err
    return lines[0]
