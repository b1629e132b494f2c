"""The commands that judge a trained model: `evaluate` (a labelled folder -> report) and
`explain` (Grad-CAM overlays). Registered by core.cli.commands."""

from __future__ import annotations

import argparse
import os
import sys

from core.errors import LoupeError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "evaluate", help="evaluate a trained model on a labelled folder (class subfolders)"
    )
    ev.add_argument("model", metavar="RUN_DIR")
    ev.add_argument(
        "data_dir", metavar="DATA_DIR", help="class subfolders; a split dataset means its test/"
    )
    ev.add_argument("--out", required=True, metavar="REPORT_DIR")
    ev.add_argument("--batch-size", type=int, default=32)
    ev.add_argument("--device", default="auto")
    ev.add_argument("--force", action="store_true", help="replace an earlier report in REPORT_DIR")

    ex = sub.add_parser("explain", help="Grad-CAM heat maps: why the model chose a class")
    ex.add_argument("model", metavar="RUN_DIR")
    ex.add_argument("images", metavar="IMAGE_OR_DIR")
    ex.add_argument("--out", required=True, metavar="DIR")
    ex.add_argument(
        "--class",
        dest="class_name",
        default=None,
        metavar="NAME",
        help="explain this class instead of the predicted one",
    )
    ex.add_argument("--device", default="auto")
    ex.add_argument(
        "--force",
        action="store_true",
        help="replace the heat maps an earlier explain wrote in DIR (its explanations.csv "
        "lists them); nothing else there is ever replaced",
    )


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.cli.cli_support import check_report_folder
    from core.cli.progress import ClassifyProgressLine
    from core.infer.evaluate import evaluate_folder, existing_report_files, write_report
    from core.infer.inference import load_model_for_inference

    if args.batch_size < 1:
        raise LoupeError(f"--batch-size must be at least 1, got {args.batch_size}.")
    data_dir = os.path.abspath(os.path.expanduser(args.data_dir))
    if not os.path.exists(data_dir):  # both said before the model loads
        raise LoupeError(f"Folder not found: {data_dir}")
    if not os.path.isdir(data_dir):
        raise LoupeError(
            f"{data_dir} is a file, not a folder: DATA_DIR must be a folder of class subfolders."
        )
    out = check_report_folder(args.out, existing_report_files, args.force)
    lm = load_model_for_inference(args.model, args.device)
    line = ClassifyProgressLine(sys.stderr)
    evaluation = evaluate_folder(lm, args.data_dir, args.batch_size)
    try:
        while True:
            line.update(next(evaluation))
    except StopIteration as stop:
        report = stop.value
    finally:
        line.close()
    data = write_report(report, out)
    for name, count in data["unknown_classes"].items():
        print(
            f"not evaluated: class '{name}' ({count} images) is unknown to the model",
            file=sys.stderr,
        )
    for item in data["unreadable"]:
        print(f"unreadable: {item['path']}: {item['reason']}", file=sys.stderr)
    print(
        f"Accuracy {data['accuracy']:.2%} on {data['images']} images "
        f"({len(data['misclassified'])} misclassified); ECE {data['ece']:.3f} calibrated, "
        f"{data['ece_uncalibrated']:.3f} uncalibrated. Report: {os.path.join(out, 'report.html')}"
    )
    return 0 if data["images"] else 1


def cmd_explain(args: argparse.Namespace) -> int:
    from core.infer.explain_files import explain_paths
    from core.words import format_count

    written = 0
    for result in explain_paths(
        args.model, args.images, args.out, args.class_name, args.device, args.force
    ):
        if result.error:
            print(f"not explained: {result.path}: {result.error}", file=sys.stderr)
        else:
            written += 1
    maps = format_count(written, "heat map")
    print(f"Wrote {maps} to {os.path.abspath(args.out)} (explanations.csv lists them).")
    return 0 if written else 1


COMMANDS = {"evaluate": cmd_evaluate, "explain": cmd_explain}
