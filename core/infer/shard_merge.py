"""`loupe merge`: join the CSV parts of `classify --shard K/N` into the single-run CSV.

The parts are put in the order of their part number (not of the command line), checked to
be one classification (same model, folder listing, batch size and columns), complete (no
part missing or given twice) and unchanged since written (each CSV against the checksum in
its record); then the header is written once and each part's rows follow, byte for byte.
The result appears atomically and never replaces a file unless asked to. No torch here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from core.command_name import command_line
from core.errors import LoupeError
from core.files.atomic import AtomicFile
from core.files.output_files import check_output_file, check_replaceable
from core.infer.shards import RECORD_SUFFIX, PartRecord, read_part_record, record_path

# Fields every part of one classification shares, with what a difference means.
_SAME = (
    ("model_sha256", "they were classified with different models"),
    ("images", "they name the folder differently (the CSV's paths start with it)"),
    ("listing_sha256", "they saw different files (the folder changed between the parts)"),
    ("batch_size", "different --batch-size values cut the folder differently"),
    ("top_k", "they have different columns (--top-k)"),
)


@dataclass(frozen=True)
class MergeOutcome:
    parts: int
    rows: int
    unreadable: int
    out_path: str


def _ordered_parts(csv_paths: Sequence[str]) -> list[tuple[str, PartRecord]]:
    parts: list[tuple[str, PartRecord]] = []
    for path in csv_paths:
        if path.endswith(RECORD_SUFFIX):
            raise LoupeError(f"{path} is a part record: give the CSV files (e.g. part-*.csv).")
        if not os.path.isfile(path):
            raise LoupeError(f"Part not found: {path}")
        parts.append((path, read_part_record(path)))
    first_path, first = parts[0]
    by_index: dict[int, str] = {}
    for path, record in parts:
        if record.count != first.count:
            raise LoupeError(
                f"{path} is part {record.shard} but {first_path} is part {first.shard}: "
                "parts of one classification share the same N."
            )
        for key, meaning in _SAME:
            if getattr(record, key) != getattr(first, key):
                raise LoupeError(
                    f"{first_path} (part {first.shard}) and {path} (part {record.shard}) "
                    f"do not belong together: {meaning}."
                )
        if record.index in by_index:
            raise LoupeError(
                f"{by_index[record.index]} and {path} are both part {record.shard}: give each "
                "part once."
            )
        by_index[record.index] = path
    missing = [k for k in range(1, first.count + 1) if k not in by_index]
    if len(missing) == 1:
        k = missing[0]
        raise LoupeError(
            f"Part {k} of {first.count} is missing: classify it (--shard {k}/{first.count}) "
            "or give its CSV."
        )
    if missing:
        raise LoupeError(
            f"Parts {', '.join(map(str, missing))} of {first.count} are missing: classify "
            f"them (--shard K/{first.count}) or give their CSVs."
        )
    ordered = sorted(parts, key=lambda part: part[1].index)
    expected_start = 0
    for path, record in ordered:
        if record.start != expected_start:
            raise LoupeError(f"{path}: part {record.shard} does not start where the previous ends.")
        expected_start = record.stop
    if expected_start != first.files:
        raise LoupeError(f"The parts cover {expected_start} of {first.files} files.")
    return ordered


def _copy_rows(path: str, record: PartRecord, header: bytes | None, out) -> bytes:
    """Append `path`'s rows to `out`; returns its header. Checks the CSV against its record."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        first_line = f.readline()
        digest.update(first_line)
        if header is not None and first_line != header:
            raise LoupeError(f"{path} has other columns than the first part: {first_line!r}.")
        if header is None:
            out.write(first_line)
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != record.csv_sha256:
        raise LoupeError(
            f"{path} is not the CSV its part record describes (changed or written again "
            f"since): classify part {record.shard} again."
        )
    return first_line


def _check_out(out_path: str, parts: list[tuple[str, PartRecord]], force: bool) -> None:
    """classify's rule for its outputs (core/files/output_files.py), with the parts as the
    inputs: never a part or its record, an image of the folder the parts classified (the
    record names it as classify was given it: from here, or from the part's folder), or a
    run's or model's own file, even with --force."""
    inputs, folders = [], {}
    for path, record in parts:
        inputs.append((path, "one of the parts being merged"))
        inputs.append((record_path(path), f"the part record of {path}"))
        where = [record.images]
        if not os.path.isabs(record.images):
            where.append(os.path.join(os.path.dirname(os.path.abspath(path)), record.images))
        for folder in where:
            folders[folder] = (folder, record.images, "the folder the parts classified")
    check_replaceable(out_path, "--out", force, inputs=inputs, image_folders=list(folders.values()))


def merge_parts(csv_paths: Sequence[str], out_path: str, force: bool = False) -> MergeOutcome:
    """Write the parts' rows, in part order under one header, to `out_path`."""
    if not csv_paths:
        raise LoupeError(
            f"Name the parts to merge, e.g. {command_line('merge', 'part-*.csv', '--out', 'all.csv')}."
        )
    check_output_file(out_path, "--out")
    ordered = _ordered_parts(csv_paths)
    _check_out(out_path, ordered, force)
    try:
        target = AtomicFile(out_path, "wb")
    except OSError as exc:
        raise LoupeError(f"Cannot write --out {out_path}: {exc.strerror or exc}.") from None
    try:
        header: bytes | None = None
        for path, record in ordered:
            header = _copy_rows(path, record, header, target.file)
    except BaseException:
        target.abort()
        raise
    try:
        target.commit(overwrite=force)
    except FileExistsError:
        raise LoupeError(
            f"--out {out_path} appeared while merging: merge never replaces a file; "
            "pass --force to replace it."
        ) from None
    return MergeOutcome(
        parts=len(ordered),
        rows=sum(record.rows for _, record in ordered),
        unreadable=sum(record.unreadable for _, record in ordered),
        out_path=out_path,
    )
