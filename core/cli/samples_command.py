"""`python main.py samples NAME --out DIR [--from FILE]`: a sample dataset as class folders."""

from __future__ import annotations

import argparse
import os
import sys

from core.command_name import command_line
from core.data.samples import SAMPLES, write_sample


def add_samples_parser(sub) -> None:
    s = sub.add_parser(
        "samples",
        help="write a sample dataset (demo, cifar10, mnist, fashion-mnist) as class folders",
        description="Write a sample dataset as class folders with train/ and test/ splits. "
        "'demo' is drawn on this computer (no internet); the others download through "
        "torchvision into its usual folder ($TORCH_HOME/datasets) with their checksums, or "
        "read an archive you downloaded elsewhere (--from).",
    )
    s.add_argument("name", choices=tuple(SAMPLES), metavar="NAME", help=", ".join(SAMPLES))
    s.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="a new or empty folder to write the classes into, or an earlier (interrupted) "
        "copy of the same sample, which is completed",
    )
    s.add_argument(
        "--from",
        dest="from_file",
        default=None,
        metavar="FILE",
        help="an archive (or folder) of the dataset downloaded elsewhere, for offline use "
        "(not for demo)",
    )


# Into a file or a pipe, a count is printed at every tenth of the work, not at every image:
# a log of the demo's 400 pictures holds 10 lines, not 400.
LOGGED_STEPS = 10


def cmd_samples(args: argparse.Namespace) -> int:
    out = os.path.abspath(args.out)
    last_length = 0
    logged = -1  # the last tenth printed when stderr is not a terminal
    for progress in write_sample(args.name, out, args.from_file):
        line = progress.text
        if progress.total:
            line += f" ({progress.done / progress.total:.0%})"
        if sys.stderr.isatty():
            sys.stderr.write("\r" + line.ljust(last_length))
            last_length = len(line)
            continue
        if progress.total:  # a message without a count (downloading ...) is always printed
            step = progress.done * LOGGED_STEPS // progress.total
            if step == logged:
                continue
            logged = step
        print(line, file=sys.stderr)
    if last_length:
        sys.stderr.write("\n")
    info = SAMPLES[args.name]
    print(f"Wrote {info.title} to {out} (train/ and test/, {len(info.classes)} classes).")
    print(f"Train on it with: {command_line('train', out, '--out', 'RUN_DIR')}")
    return 0
