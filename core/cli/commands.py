"""Loupe's command line: train, classify, models, export, undo. It drives the same engine
as the window. User errors print one line and exit non-zero; never a traceback."""

from __future__ import annotations

import argparse
import io
import os
import sys
from typing import TYPE_CHECKING, Any

from core import APP_NAME, __version__
from core.cli import data_commands, model_commands
from core.cli.classify_command import cmd_classify
from core.cli.classify_parts import SHARD_HELP, add_merge_parser, cmd_merge, shard_argument
from core.cli.cli_support import check_folder, first_ctrl_c
from core.cli.samples_command import add_samples_parser, cmd_samples
from core.cli.short_lived import training_started
from core.cli.train_events import (
    add_event_flags,
    event_output,
    human_stream,
    log_file_output,
    open_log_file,
    run_control,
)
from core.cli.train_flags import add_train_flags, given_settings
from core.command_name import command_line
from core.errors import ConfigError, LoupeError
from core.events import RunStarted
from core.train.config import AUTO, TrainConfig, resume_config
from core.train.presets import PRESET_WORDS, preset_values
from core.train.resume_rules import MAY_CHANGE
from core.train.settings import replace_values
from core.train.shards import PEER_FAILED, process_rank, wait_for_process_0
from core.train.validation import check_config

if TYPE_CHECKING:
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's convention)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="loupe", description=f"{APP_NAME} {__version__}: train and use image classifiers."
    )
    p.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    p.add_argument(  # main.py runs it before this parser: listed here for --help
        "--self-test",
        action="store_true",
        help="check this installation headlessly (PyTorch, a tiny training run, Qt) and exit",
    )
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    t = sub.add_parser(
        "train",
        help="train a classifier on DATA_DIR (one subfolder per class)",
        description="Train a classifier on DATA_DIR (one subfolder per class). Every setting "
        "of the window's Train page has a flag; each says which control it matches.",
    )
    t.add_argument("data_dir", metavar="DATA_DIR")
    t.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder to write")
    t.add_argument(
        "--resume",
        action="store_true",
        help=f"continue RUN_DIR from its last.ckpt with its own settings. {MAY_CHANGE} On "
        "resume, --epochs auto is the run's own number, and --unlabelled '' goes on without "
        "its unlabelled images.",
    )
    t.add_argument(
        "--preset",
        choices=tuple(PRESET_WORDS),
        default=None,
        help="start from the window's preset of that name (tutorial: the classic PyTorch "
        "CIFAR-10 tutorial's recipe, exactly); the other flags given change it",
    )
    add_train_flags(t)
    add_event_flags(t)

    c = sub.add_parser("classify", help="classify every image in IMAGES_DIR with a trained model")
    c.add_argument("model", metavar="RUN_DIR", help="run folder, model folder or model.safetensors")
    c.add_argument("images", metavar="IMAGES_DIR")
    c.add_argument("--out", required=True, metavar="results.csv")
    c.add_argument("--top-k", type=_positive_int, default=1, help="extra top-k columns (default 1)")
    c.add_argument("--batch-size", type=_positive_int, default=32)
    c.add_argument("--no-recursive", action="store_true", help="do not look into subfolders")
    c.add_argument("--device", default="auto")
    c.add_argument("--json", default=None, metavar="FILE", help="also write results as JSON")
    c.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out/--json file (never a run's or model's own file, nor "
        "an image of IMAGES_DIR)",
    )
    c.add_argument(
        "--sort-into", default=None, metavar="DEST", help="copy images into DEST/<class>/"
    )
    c.add_argument("--move", action="store_true", help="with --sort-into: move instead of copy")
    c.add_argument(
        "--unsure-threshold",
        type=_fraction,
        default=None,  # given or not: refused without --sort-into; 0 when not given
        metavar="F",
        help="with --sort-into: images whose confidence is below F (0-1) are unsure and go to "
        "DEST/_unsure/ (the window's 'Unsure below')",
    )
    c.add_argument("--shard", type=shard_argument, default=None, metavar="K/N", help=SHARD_HELP)
    # The flag's name before one word was chosen for the concept; kept so scripts still run.
    c.add_argument(
        "--min-confidence", dest="unsure_threshold", type=_fraction, help=argparse.SUPPRESS
    )

    m = sub.add_parser("models", help="list the architectures")
    m.add_argument("--all", action="store_true", help="every torchvision classification model")
    m.add_argument("--classes", type=_positive_int, default=10, help="head size for the counts")

    e = sub.add_parser(
        "export", help="export a trained model (TorchScript, ONNX or a model folder)"
    )
    e.add_argument("model", metavar="RUN_DIR")
    e.add_argument("--out", required=True, metavar="PATH")
    e.add_argument(
        "--format",
        choices=("torchscript", "onnx", "folder"),
        default=None,
        help="default: the one --out's extension names (.onnx, .pt)",
    )
    e.add_argument("--force", action="store_true", help="replace existing export files")

    u = sub.add_parser("undo", help="undo a sort, using the manifest it wrote")
    u.add_argument("manifest", metavar="MANIFEST")
    add_merge_parser(sub)
    model_commands.add_parsers(sub)
    data_commands.add_parsers(sub)
    add_samples_parser(sub)
    return p


def _train_config(args: argparse.Namespace) -> TrainConfig:
    given = given_settings(args)
    if args.resume:
        config = resume_config(args.out, data_dir=args.data_dir)
    else:
        config = TrainConfig(data_dir=args.data_dir, out_dir=args.out)
    if args.preset:
        config = replace_values(config, preset_values(PRESET_WORDS[args.preset]))
    return replace_values(config, given)


def _arch_facts(cfg: TrainConfig) -> dict[str, Any] | None:
    """What the window knows about the chosen architecture, for the same checks."""
    if cfg.arch == AUTO:
        return None
    from core.models.registry import arch_facts

    return arch_facts(cfg.arch, check_weights=cfg.pretrained)


def cmd_train(args: argparse.Namespace) -> int:
    from core.cli.progress import TrainProgress
    from core.train.loop import fit

    check_folder(args.data_dir, "Dataset folder")
    cfg = _train_config(args)
    check_config(cfg)  # values first: a typo must not wait for torch to load
    check_config(cfg, _arch_facts(cfg))
    # Under torchrun, rank 0 speaks for the run: the other processes print only a failure.
    secondary = process_rank() > 0
    progress = TrainProgress(io.StringIO() if secondary else sys.stderr)
    control = run_control(args)
    events = fit(cfg, control)
    finished = None

    def on_first_ctrl_c() -> None:
        control.request_stop()  # under torchrun every process gets it: they stop together
        progress.message("Stopping after this step (Ctrl+C again to quit at once) ...")

    try:
        with first_ctrl_c(on_first_ctrl_c), event_output(args) as send:
            for event in events:
                if isinstance(event, RunStarted):
                    training_started()  # the garbage collector resumes (core.cli.short_lived)
                progress.handle(event)
                send(event)
                finished = event
    except KeyboardInterrupt:
        events.close()  # run.json says "interrupted", the run folder's lock is released
        progress.close()
        if not secondary:
            print(f"Interrupted. {_what_is_kept(cfg)}", file=sys.stderr)
        return 130
    progress.close()
    if finished is None or finished.status == "failed":
        reason = finished.reason if finished else "no result"
        if not secondary:
            print(f"loupe: error: {reason}", file=sys.stderr)
        elif PEER_FAILED not in reason:  # its own failure: the others only lost contact
            print(f"loupe: error: process {process_rank()}: {reason}", file=sys.stderr)
        return 1
    if secondary:
        return 130 if finished.status == "stopped" else 0
    if finished.status == "stopped":
        print(f"{finished.reason} {_what_is_kept(cfg)}", file=sys.stderr)
        return 130
    print(f"{finished.reason} Model: {finished.model_path}", file=human_stream(args))
    return 0


def _what_is_kept(cfg: TrainConfig) -> str:
    """What the run folder really holds after a stop, and how to go on."""
    from core.models.checkpoints import LAST_CKPT, MODEL_WEIGHTS

    run = os.path.abspath(cfg.out_dir)
    if not os.path.isfile(os.path.join(run, MODEL_WEIGHTS)):
        return "No model was saved yet."
    text = f"The model so far is in {run}."
    if os.path.isfile(os.path.join(run, LAST_CKPT)):
        resume = command_line("train", cfg.data_dir, "--out", run, "--resume")
        text += f" Continue with: {resume}"
    return text


def cmd_models(args: argparse.Namespace) -> int:
    from core.models.registry import list_architectures, parameter_count, weights_status

    print(f"{'architecture':<22}{'parameters':>14}  {'ImageNet weights':<18}description")
    for info in list_architectures(include_all=args.all):
        status = weights_status(info.name, check_network=False)
        words = {"bundled": "bundled (offline)", "unavailable": "not cached", "none": "-"}.get(
            status, status
        )
        count = parameter_count(info.name, args.classes)
        print(f"{info.name:<22}{count:>14,}  {words:<18}{info.description}")
    print(
        f"\nParameter counts for a {args.classes}-class head. 'not cached' weights download on "
        "first use with --pretrained when online; offline, pass --weights FILE."
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.infer.model_export import ParityError, export_verified

    try:
        result = export_verified(args.model, args.out, args.format, force=args.force)
    except ParityError as exc:
        print(f"loupe: error: {exc}", file=sys.stderr)
        return 1
    if result.parity is not None:
        print(result.parity.line())
    print(f"Exported {result.format} model to {result.path}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from core.files.sorting import undo_sort

    outcome = undo_sort(args.manifest)
    for path, reason in outcome.skipped:
        print(f"left as it is: {path}: {reason}", file=sys.stderr)
    print(outcome.summary())
    return 0 if not outcome.skipped else 1


COMMANDS = {
    "train": cmd_train,
    "classify": cmd_classify,
    "models": cmd_models,
    "export": cmd_export,
    "undo": cmd_undo,
    "merge": cmd_merge,
    **model_commands.COMMANDS,
    **data_commands.COMMANDS,
    "samples": cmd_samples,
}


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        log = open_log_file(args)  # `train --log-file`: the window's training process
    except LoupeError as exc:  # a folder, a missing folder: said before anything is trained
        print(f"loupe: error: {exc}", file=sys.stderr)
        return 1
    with log_file_output(log):
        return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except LoupeError as exc:
        if isinstance(exc, ConfigError) and process_rank() > 0:
            wait_for_process_0()  # which says what every process refuses (back if it did not)
            exc = f"process {process_rank()}: {exc}"
        print(f"loupe: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output path that cannot be written, a full disk, ...
        from core.files.file_transfer import describe_os_error

        where = f"{exc.filename}: " if exc.filename else ""
        print(f"loupe: error: {where}{describe_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("loupe: interrupted", file=sys.stderr)
        return 130
