"""The commands that fix a dataset: `doctor` (find duplicates, leaks, wrong labels) and
`relabel` (apply label changes as undoable moves). Registered by core.cli.commands."""

from __future__ import annotations

import argparse
import os
import sys

from core.cli.progress import _Line, bar
from core.command_name import command_line


class _StageLine(_Line):
    """A live bar per stage on a terminal; one line per stage into a file or pipe."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self._stage = stage
            if not self.tty:
                self.message(stage + " ...")
        self.live(f"{stage}: [{bar(done / max(1, total))}] {done:,}/{total:,}")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "doctor",
        help="check a dataset for duplicates, train/test leaks and probably wrong labels",
        description="Check DATA_DIR: exact and near duplicates, images shared between train "
        "and val/test, labels that are probably wrong (out-of-sample predictions + confident "
        "learning) and outliers. Writes REPORT_DIR/doctor.json and doctor.html.",
    )
    d.add_argument("data_dir", metavar="DATA_DIR")
    d.add_argument("--out", required=True, metavar="REPORT_DIR")
    d.add_argument(
        "--run",
        default=None,
        metavar="RUN_DIR",
        help="judge labels with this run's model, on the images it did not train on "
        "(default: 5-fold cross-validation of a fast model)",
    )
    d.add_argument(
        "--force", action="store_true", help="replace an earlier doctor.json/doctor.html"
    )
    r = sub.add_parser(
        "relabel",
        help="move images to other classes (or exclude them) from a CSV, with undo",
        description="Apply CHANGES.csv (columns path,new_label; new_label _exclude moves the "
        "image into DATA_DIR/_excluded/<class>/). Nothing is overwritten; a manifest is "
        f"written for '{command_line('undo', 'MANIFEST')}'.",
    )
    r.add_argument("data_dir", metavar="DATA_DIR")
    r.add_argument("changes", metavar="CHANGES.csv")


def cmd_doctor(args: argparse.Namespace) -> int:
    from core.cli.cli_support import check_folder, check_report_folder, first_ctrl_c
    from core.control import RunControl
    from core.data.doctor import (
        DoctorConfig,
        DoctorFinished,
        DoctorProgress,
        check_dataset,
        run_split_settings,
    )
    from core.data.doctor_report import existing_report_files, write_report

    check_folder(args.data_dir, "Dataset folder")  # one line before any progress output
    out = check_report_folder(args.out, existing_report_files, args.force)
    config = DoctorConfig(data_dir=args.data_dir, run_dir=args.run)
    if args.run:
        val_split, seed = run_split_settings(args.run)
        config = DoctorConfig(args.data_dir, args.run, val_split, seed)
    control = RunControl()
    line = _StageLine(sys.stderr)
    finished = None

    def on_first_ctrl_c() -> None:
        control.request_stop()
        line.message("Stopping after this step (Ctrl+C again to quit at once) ...")

    with first_ctrl_c(on_first_ctrl_c):
        for event in check_dataset(config, control):
            if isinstance(event, DoctorProgress):
                line.update(event.stage, event.done, event.total)
            elif isinstance(event, DoctorFinished):
                finished = event
    line.close()
    if finished is None or finished.report is None:
        what = "error: " if not finished or finished.status == "failed" else ""
        print(f"loupe: {what}{finished.reason if finished else 'no result'}", file=sys.stderr)
        return 130 if finished and finished.status == "stopped" else 1
    json_path, html_path = write_report(finished.report, out)
    print(finished.reason)
    print(f"Report: {html_path} (all findings: {json_path})")
    return 0


def cmd_relabel(args: argparse.Namespace) -> int:
    from core.files.relabel import apply_relabel, plan_relabel, read_changes

    plan = plan_relabel(args.data_dir, read_changes(args.changes))
    if not plan.ops:
        print("Nothing to change: every image already has its new label.")
        return 0
    outcome = apply_relabel(plan)
    for path, reason in outcome.failed:
        print(f"not moved: {path}: {reason}", file=sys.stderr)
    print(
        f"Moved {outcome.done} of {len(plan.ops)} files. "
        f"Undo with: {command_line('undo', outcome.manifest_path)}",
        file=sys.stderr,
    )
    print(os.path.abspath(outcome.manifest_path or ""))
    return 0 if not outcome.failed else 1


COMMANDS = {"doctor": cmd_doctor, "relabel": cmd_relabel}
