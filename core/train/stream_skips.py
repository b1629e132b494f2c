"""Files that only a full decode found broken (streaming mode): logged, and added to
dataset.json so the report stays the complete list of skipped files."""

from __future__ import annotations

from collections.abc import Iterator

from core.data.datasets import add_skipped
from core.events import LogMessage, TrainEvent
from core.files.run_folder import RunFolder
from core.train.setup import Setup


def report_stream_skips(s: Setup, folder: RunFolder) -> Iterator[TrainEvent]:
    found = False
    for split, source in (("train", s.train), ("val", s.val)):
        skipped = getattr(source, "skipped", None)
        while skipped:
            path, reason = skipped.pop(0)
            found = True
            add_skipped(
                s.report,
                path,
                reason,
                split=split,
                class_name=_class_of(s, source, path),
            )
            yield LogMessage("warning", f"Skipped {path}: {reason}")
    if found:
        folder.write_json("dataset.json", s.report.to_dict())


def _class_of(s: Setup, source, path: str) -> str | None:
    try:
        return s.class_names[int(source.labels[source.paths.index(path)])]
    except (ValueError, IndexError):
        return None
