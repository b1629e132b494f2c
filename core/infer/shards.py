"""Classifying one folder as N parts (a Slurm job array, N machines) whose CSVs join into
exactly the file a single run writes.

A part is a contiguous slice of the folder's listing (`list_images`: sorted by path, so
every machine sees the same order whatever its file system returns), cut on the batch
grid: part K of N gets whole batches of `--batch-size` files. The parts therefore feed
the model exactly the batches the single run feeds it (a network's float results depend
slightly on what else is in the batch), so their rows, in part order, are the single
run's rows, number for number.

Each part's CSV stays a plain CSV; next to it a small record (`PART.csv.shard.json`) says
which part it is, of which listing, model and batch size, and the CSV's own checksum, so
`merge` can put the parts in order, notice a missing or stale part, and refuse parts of
different models or of a folder that changed between parts. No torch here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from core.errors import LoupeError
from core.files.atomic import atomic_write_json

RECORD_SUFFIX = ".shard.json"
RECORD_FORMAT = "loupe-classify-part"
RECORD_VERSION = 1
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Part `index` of `count`, counted from 1 (Slurm: `--array=1-N`)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`"3/8"` -> Shard(3, 8). One sentence naming --shard and the value otherwise."""
    match = _SHARD.match(text)
    if not match:
        raise LoupeError(
            f"--shard {text!r} is not K/N: write the part and the number of parts, "
            "e.g. --shard 3/8 for the third of eight."
        )
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise LoupeError(f"--shard {text}: the number of parts N must be at least 1.")
    if index == 0:
        raise LoupeError(
            f"--shard {text}: parts count from 1 to N (the first of {count} is 1/{count}); "
            f"with Slurm use --array=1-{count}, not 0-{count - 1}."
        )
    if index > count:
        raise LoupeError(f"--shard {text}: part {index} does not exist, there are only {count}.")
    return Shard(index, count)


def shard_range(total: int, batch_size: int, shard: Shard) -> tuple[int, int]:
    """[start, stop) of `shard` in a listing of `total` files: contiguous, cut on the batch
    grid, the batches shared out as evenly as possible (parts differ by at most one batch;
    a part is empty when there are fewer batches than parts)."""
    batches = -(-total // batch_size)
    first = (shard.index - 1) * batches // shard.count
    last = shard.index * batches // shard.count
    return min(first * batch_size, total), min(last * batch_size, total)


def listing_digest(paths: Sequence[str], folder: str) -> str:
    """Which files the listing held (paths below `folder`): parts of a folder that changed
    between them would miss or repeat images."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.relpath(path, folder).replace(os.sep, "/").encode() + b"\0")
    return digest.hexdigest()


def files_digest(*paths: str) -> str:
    """One checksum over several files' bytes (a model's weights and its model.json)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class PartRecord:
    """What `merge` needs to know about one part. Nothing here depends on the time."""

    index: int
    count: int
    images: str  # IMAGES_DIR as given: it starts every path in the CSV
    files: int  # images in the whole listing
    listing_sha256: str
    start: int  # this part's slice of the listing
    stop: int
    batch_size: int
    model_sha256: str
    top_k: int
    rows: int
    unreadable: int
    csv_sha256: str

    @property
    def shard(self) -> Shard:
        return Shard(self.index, self.count)


def record_path(csv_path: str) -> str:
    return csv_path + RECORD_SUFFIX


def write_part_record(csv_path: str, record: PartRecord) -> str:
    path = record_path(csv_path)
    atomic_write_json(path, {"format": RECORD_FORMAT, "version": RECORD_VERSION, **asdict(record)})
    return path


def read_part_record(csv_path: str) -> PartRecord:
    """The record next to `csv_path`; LoupeError naming the file when absent or damaged."""
    path = record_path(csv_path)
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise LoupeError(
            f"{csv_path} has no part record {os.path.basename(path)} next to it (classify "
            "--shard writes one): merge needs it to order the parts and find missing ones."
        ) from None
    except (OSError, ValueError) as exc:
        raise LoupeError(f"{path} cannot be read as a part record ({exc}).") from None
    if not isinstance(raw, dict) or raw.get("format") != RECORD_FORMAT:
        raise LoupeError(f"{path} is not a Loupe part record.")
    if raw.get("version") != RECORD_VERSION:
        raise LoupeError(
            f"{path} is a part record of version {raw.get('version')}; this Loupe reads "
            f"version {RECORD_VERSION}: classify that part again."
        )
    values = {}
    for field in fields(PartRecord):
        value = raw.get(field.name)
        expected = str if field.type == "str" else int  # the annotations are strings here
        if type(value) is not expected:
            kind = "text" if expected is str else "a whole number"
            raise LoupeError(f"{path}: the field {field.name!r} is missing or not {kind}.")
        values[field.name] = value
    record = PartRecord(**values)
    if not (1 <= record.index <= record.count and 0 <= record.start <= record.stop <= record.files):
        raise LoupeError(f"{path}: the part's numbers do not fit together.")
    return record
