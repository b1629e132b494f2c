"""Loupe: `python main.py` opens the window (`python main.py FOLDER` with that dataset open);
`python main.py train|classify|models|export|undo` runs the command line; `python main.py
--self-test` checks an installation headlessly."""

from __future__ import annotations

import os
import sys

CLI_COMMANDS = {
    "train",
    "classify",
    "models",
    "export",
    "undo",
    "evaluate",
    "explain",
    "-h",
    "--help",
    "--version",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--self-test" in argv:
        from core.selftest import run_self_test
        from gui.selfcheck import check_qt

        return run_self_test(extra_checks=[("qt", check_qt)])
    if argv and argv[0] == "distributed-train":  # hidden: the window's "All N GPUs", bundled
        from core.train.launch import run_launcher

        return run_launcher(argv[1:])
    if argv == ["train-standby"]:  # hidden: the window's next training process, made ready
        from core.train.standby import run_standby

        return run_standby()
    if argv == ["classify-worker"]:  # hidden: the window's classification process
        from core.infer.classify_worker import run_worker

        return run_worker()
    if argv == ["doctor-worker"]:  # hidden: the window's dataset check process
        from core.data.doctor_worker import run_worker as run_doctor_worker

        return run_doctor_worker()
    if argv and argv[0] in CLI_COMMANDS:
        from core.cli.commands import run_cli

        return run_cli(argv)
    if len(argv) == 1 and _is_path(argv[0]):  # a file manager's "Open with", a launcher
        if not os.path.isdir(argv[0]):
            print(
                f"loupe: {argv[0]} is not a folder: give a dataset folder (one subfolder per "
                "class) to open it in the window, or a command (loupe --help lists them).",
                file=sys.stderr,
            )
            return 2
        from gui.app import run_gui

        return run_gui([sys.argv[0]], dataset=os.path.abspath(argv[0]))
    if argv and not argv[0].startswith("-"):
        from core.cli.commands import run_cli

        return run_cli(argv)  # an unknown command gets argparse's one-line error
    # The window: torch is imported later, in the background, so it appears at once.
    from gui.app import run_gui

    return run_gui([sys.argv[0], *argv])


def _is_path(arg: str) -> bool:
    """A folder or file named on the command line rather than a command: written as a path
    (a command word has no slash), or an existing entry whose name is no command (a folder
    named `samples` next to you does not hide `loupe samples`)."""
    if os.sep in arg or "/" in arg or arg in (".", ".."):
        return True
    from core.cli.commands import COMMANDS  # no torch: cheap

    return os.path.exists(arg) and arg not in COMMANDS and not arg.startswith("-")


if __name__ == "__main__":
    if sys.platform == "win32" or getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()  # DataLoader workers in a bundled app
    command = sys.argv[1:]
    if command and not command[0].startswith("-") and "--self-test" not in command:
        # train, classify, ...: the process ends with the command (core.cli.short_lived).
        from core.cli.short_lived import run_command

        run_command(main, command)
    sys.exit(main())
