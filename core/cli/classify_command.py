"""`loupe classify`: classify a folder, write CSV/JSON, optionally sort the images.

Every output is checked before the model is loaded, so a bad --out fails at once, not after
an hour of classifying. An existing --out/--json is replaced only with --force, and never
when it is a file of a run or model folder or an image of the folder being classified. A
sort reports every file it could not place and exits non-zero then; Ctrl+C stops it between
files (a second Ctrl+C at once, still leaving every file in exactly one place) and says how
to undo what was done."""

from __future__ import annotations

import argparse
import os
import sys
import threading

from core.cli.classify_parts import PartSlice
from core.cli.cli_support import check_folder, first_ctrl_c
from core.command_name import command_line
from core.errors import LoupeError
from core.files.file_transfer import describe_os_error
from core.files.output_files import check_output_file, check_replaceable, same_file
from core.words import format_count


def check_classify_outputs(args: argparse.Namespace) -> None:
    if args.move and not args.sort_into:
        raise LoupeError("--move only works with --sort-into DEST: say where to move the images.")
    if args.unsure_threshold is not None and not args.sort_into:
        raise LoupeError(
            "--unsure-threshold only works with --sort-into DEST: it says which images go "
            "to DEST/_unsure/."
        )
    if args.move and args.shard:
        raise LoupeError(
            "--move cannot be used with --shard: a part that moves its images away changes "
            "the folder the other parts are still listing, so they would miss or repeat "
            "images; sort a copy per part (--sort-into without --move) or move in one run."
        )
    outputs = [("--out", args.out)] + ([("--json", args.json)] if args.json else [])
    for flag, path in outputs:
        check_output_file(path, flag)
        _check_replaceable(path, flag, args)
    if args.json and same_file(args.out, args.json):
        raise LoupeError(
            f"--out and --json both name {args.json}: one would replace the other; give "
            "each its own file."
        )
    if args.json and args.shard:
        from core.infer.shards import record_path

        if same_file(args.json, record_path(args.out)):
            raise LoupeError(
                f"--json {args.json} is the part record that --shard writes next to --out "
                f"{args.out}: one would replace the other; give --json another name."
            )
    if args.sort_into and os.path.exists(args.sort_into) and not os.path.isdir(args.sort_into):
        raise LoupeError(f"--sort-into {args.sort_into} is a file: choose a folder.")


def _check_replaceable(path: str, flag: str, args: argparse.Namespace) -> None:
    """Refuse an output that would replace a file: always a run's or model's own file or an
    image of IMAGES_DIR (the classify's own inputs), any other existing file without
    --force (core/files/output_files.py holds the rule, shared with merge)."""
    check_replaceable(
        path,
        flag,
        args.force,
        model=args.model,
        image_folders=[(args.images, args.images, "the folder being classified")],
    )
    if args.shard and flag == "--out":
        from core.infer.shards import record_path

        record = record_path(os.path.abspath(os.path.expanduser(path)))
        if os.path.lexists(record) and not args.force:
            raise LoupeError(
                f"{record} (the part record of --out) already exists: choose another "
                "--out, or add --force to replace both."
            )


def cmd_classify(args: argparse.Namespace) -> int:
    from core.cli.progress import ClassifyProgressLine
    from core.infer.inference import classify_paths, list_images, load_model_for_inference
    from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
    from core.infer.results_export import ResultsCsvWriter, write_results_json
    from core.train.verdict import saved_verdict

    check_classify_outputs(args)
    check_folder(args.images, "Images folder")
    lm = load_model_for_inference(args.model, args.device)
    if args.sort_into:  # a class folder linked elsewhere is refused before any work
        check_class_folders(args.sort_into, lm.class_names)
    verdict = saved_verdict(args.model)
    if verdict:  # still classify (the user asked), but never silently with a guessing model
        print(f"warning: {verdict}", file=sys.stderr)
    sorts: list[str] = []
    paths = list_images(args.images, recursive=not args.no_recursive, skipped=sorts)
    for folder in sorts:
        print(
            f"skipped {folder}: it holds a Loupe sort (its images are sorted copies)",
            file=sys.stderr,
        )
    if not paths:
        raise LoupeError(f"No images found in {args.images}.")
    part = PartSlice.cut(paths, args) if args.shard else None
    if part is not None:
        paths = paths[part.start : part.stop]
        print(part.describe(), file=sys.stderr)
    keep = args.json is not None or args.sort_into is not None
    kept: list[ClassifiedImage] = []
    unreadable: list[UnreadableImage] = []
    line = ClassifyProgressLine(sys.stderr)
    top_k = min(args.top_k, len(lm.class_names))
    if top_k < args.top_k:
        print(
            f"--top-k {args.top_k}: the model knows {format_count(top_k, 'class', 'classes')}; "
            f"writing the top {top_k}.",
            file=sys.stderr,
        )
    columns = top_k if args.top_k > 1 else 0  # the top-k columns of the CSV
    try:
        with ResultsCsvWriter(args.out, top_k=columns, overwrite=args.force) as writer:
            for item in classify_paths(lm, paths, batch_size=args.batch_size, top_k=top_k):
                if isinstance(item, ClassifiedImage):
                    writer.write(item)
                    if keep:
                        kept.append(item)
                elif isinstance(item, UnreadableImage):
                    unreadable.append(item)
                    line.message(f"unreadable: {item.path}: {item.reason}")
                elif isinstance(item, ClassifyProgress):
                    if item.note:
                        line.message(item.note)
                    line.update(item)
            classified = writer.rows_written
    except FileExistsError:
        raise LoupeError(_appeared(args.out, "--out")) from None
    except OSError as exc:  # a write failed mid-way (disk full): the user's path, not a temp
        raise LoupeError(f"Cannot write {args.out}: {describe_os_error(exc)}.") from exc
    line.close()
    print(
        f"Classified {format_count(classified, 'image')} into {args.out}"
        + (f"; {len(unreadable)} unreadable (listed above)" if unreadable else ""),
        file=sys.stderr,
    )
    if args.json:
        try:
            write_results_json(
                kept,
                args.json,
                lm.class_names,
                {"path": lm.path, "arch": lm.meta.arch},
                unreadable,
                overwrite=args.force,
            )
        except FileExistsError:
            raise LoupeError(_appeared(args.json, "--json")) from None
        except OSError as exc:
            raise LoupeError(f"Cannot write {args.json}: {describe_os_error(exc)}.") from exc
    if part is not None:
        record = part.write_record(args, lm.path, classified, len(unreadable), columns)
        print(f"Part record: {record}", file=sys.stderr)
        if classified == 0:  # an empty part is still a part: merge needs its CSV
            return 0
    if classified == 0:
        return 1
    if args.sort_into:
        return sort_results(kept, args)
    return 0


def _appeared(path: str, flag: str) -> str:
    return (
        f"{flag} {path} appeared while classifying and was left as it is: classify again "
        "with another name, or add --force to replace it."
    )


def check_class_folders(dest: str, class_names: list[str]) -> None:
    """The folders a sort into `dest` may use, checked as the sort itself checks them."""
    from core.files.sort_names import folder_names
    from core.files.sorting import UNSURE_FOLDER, check_sort_folders

    names = [*folder_names(class_names).values(), UNSURE_FOLDER]
    root = os.path.abspath(dest)  # as plan_sort makes it
    check_sort_folders(root, [os.path.join(root, name) for name in names])


def sort_results(kept: list, args: argparse.Namespace) -> int:
    """Sort into --sort-into; 0 only when every file was placed."""
    from core.files.sort_manifest import MANIFEST_PREFIX
    from core.files.sort_plan import plan_sort
    from core.files.sorting import SortInterrupted, default_manifest_path, execute_sort

    threshold = args.unsure_threshold if args.unsure_threshold is not None else 0.0
    plan = plan_sort(kept, args.sort_into, move=args.move, unsure_threshold=threshold)
    print(plan.summary(), file=sys.stderr)
    stop = threading.Event()

    def on_first_ctrl_c() -> None:
        stop.set()
        print("Stopping after this file (Ctrl+C again to stop at once) ...", file=sys.stderr)

    manifest = None
    if args.shard:  # parts sorting at the same moment must not race for one manifest name
        shard = args.shard
        prefix = f"{MANIFEST_PREFIX}part-{shard.index}-of-{shard.count}-"
        manifest = default_manifest_path(plan.dest_root, prefix)
    try:
        with first_ctrl_c(on_first_ctrl_c):
            outcome = execute_sort(plan, manifest_path=manifest, should_stop=stop.is_set)
    except SortInterrupted as interrupted:
        outcome = interrupted.outcome
    for path, reason in outcome.failed:
        print(f"not sorted: {path}: {reason}", file=sys.stderr)
    text = f"Sorted {outcome.done:,} of {format_count(len(plan.ops), 'file')}"
    if outcome.failed:
        text += f"; {len(outcome.failed)} could not be sorted (listed above)"
    if outcome.stopped:
        text += "; stopped by Ctrl+C"
    if outcome.manifest_path:
        text += f". Undo with: {command_line('undo', outcome.manifest_path)}"
    print(text + ".", file=sys.stderr)
    if outcome.stopped:
        return 130
    return 1 if outcome.failed else 0
