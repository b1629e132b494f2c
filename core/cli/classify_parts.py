"""`classify --shard K/N` and `merge`: one folder classified as N parts (a Slurm job
array, several machines), joined afterwards into the CSV a single run writes. The rules
(where a part starts, what its record holds, when parts belong together) are in
core/infer/shards.py and core/infer/shard_merge.py; this is the command line around them."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from core.command_name import command_line
from core.errors import LoupeError
from core.infer.shards import (
    PartRecord,
    Shard,
    files_digest,
    listing_digest,
    parse_shard,
    shard_range,
    write_part_record,
)
from core.words import format_count

SHARD_HELP = (
    "classify only part K of N (K from 1 to N, like sbatch --array=1-N with "
    "--shard $SLURM_ARRAY_TASK_ID/N): a contiguous run of whole batches of the folder's "
    "sorted listing. The parts' CSVs, in order K=1..N, join into exactly the CSV one run "
    f"writes ({command_line('merge')}, or the header once and then each part's rows); each "
    "part also writes OUT.shard.json for merge"
)


def shard_argument(text: str) -> Shard:
    """argparse type for --shard: bad values are refused while parsing, before anything
    is loaded or written."""
    try:
        return parse_shard(text)
    except LoupeError as exc:
        # argparse already starts the line with "argument --shard:".
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--shard ")) from None


@dataclass(frozen=True)
class PartSlice:
    shard: Shard
    start: int
    stop: int
    files: int
    listing_sha256: str

    @staticmethod
    def cut(paths: list[str], args: argparse.Namespace) -> PartSlice:
        start, stop = shard_range(len(paths), args.batch_size, args.shard)
        return PartSlice(args.shard, start, stop, len(paths), listing_digest(paths, args.images))

    def describe(self) -> str:
        if self.start == self.stop:
            return (
                f"Part {self.shard} is empty: the folder's {format_count(self.files, 'image')} "
                f"{'makes' if self.files == 1 else 'make'} fewer "
                f"batches than parts; writing the header only."
            )
        return f"Part {self.shard}: images {self.start + 1} to {self.stop} of {self.files}."

    def write_record(
        self, args: argparse.Namespace, model_path: str, rows: int, unreadable: int, top_k: int
    ) -> str:
        """`top_k`: the CSV's top-k columns (0 for none), as written."""
        from core.files.file_transfer import file_sha256
        from core.models.checkpoints import resolve_model_paths

        meta_path, weights_path = resolve_model_paths(model_path)
        record = PartRecord(
            index=self.shard.index,
            count=self.shard.count,
            images=args.images,
            files=self.files,
            listing_sha256=self.listing_sha256,
            start=self.start,
            stop=self.stop,
            batch_size=args.batch_size,
            model_sha256=files_digest(weights_path, meta_path),
            top_k=top_k,
            rows=rows,
            unreadable=unreadable,
            csv_sha256=file_sha256(args.out)[1],
        )
        return write_part_record(args.out, record)


def add_merge_parser(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser(
        "merge",
        help="join the CSV parts of classify --shard K/N into one CSV",
        description="Join the CSV parts written by classify --shard K/N into the CSV a single "
        "run writes: parts in part order (not the order given), header once. Refuses parts "
        "of different models, folders, batch sizes or columns, a missing or repeated part, "
        "and a part changed since it was written.",
    )
    m.add_argument("parts", nargs="+", metavar="PART.csv")
    m.add_argument("--out", required=True, metavar="results.csv", help="the CSV to write")
    m.add_argument(
        "--force",
        action="store_true",
        help="replace --out if it exists (never a part, a part's record, an image of the "
        "classified folder, or a run's or model's own file)",
    )


def cmd_merge(args: argparse.Namespace) -> int:
    from core.infer.shard_merge import merge_parts

    outcome = merge_parts(args.parts, args.out, force=args.force)
    unreadable = f"; {outcome.unreadable} unreadable (see the parts' logs)"
    print(
        f"Merged {format_count(outcome.parts, 'part')}, {format_count(outcome.rows, 'image')}, "
        f"into {outcome.out_path}" + (unreadable if outcome.unreadable else ""),
        file=sys.stderr,
    )
    return 0 if outcome.rows else 1
