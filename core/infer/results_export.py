"""Export classification results as CSV or JSON, atomically.

The CSV has one row per image: `path,label,confidence` and, when asked, the `top_k` best
classes as `top1_label,top1_confidence,...`. Confidences have 6 decimals. Files are UTF-8
with "\\n" line endings; a file appears at the target path only once it is complete.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from typing import Any

from core.files.atomic import AtomicFile
from core.infer.results import ClassifiedImage, UnreadableImage


def csv_header(top_k: int = 0) -> list[str]:
    header = ["path", "label", "confidence"]
    for i in range(1, top_k + 1):
        header += [f"top{i}_label", f"top{i}_confidence"]
    return header


def _confidence_text(value: float) -> str:
    return f"{value:.6f}"


def csv_row(result: ClassifiedImage, top_k: int = 0) -> list[str]:
    row = [result.path, result.label, _confidence_text(result.confidence)]
    for i in range(top_k):
        if i < len(result.top_k):
            label, confidence = result.top_k[i]
            row += [label, _confidence_text(confidence)]
        else:  # a model with fewer classes than top_k: empty cells keep the columns aligned
            row += ["", ""]
    return row


class ResultsCsvWriter:
    """Streams results to a CSV in constant memory.

    Rows go to a hidden temporary file next to `out_path`; `close()` moves the finished file
    into place (with `overwrite=False` never over a file there by then: FileExistsError, and
    the file is left as it is). `abort()`, an exception inside `with`, or dropping the writer unclosed
    leaves `out_path` as it was (absent, or the previous export).
    """

    def __init__(
        self, out_path: str | os.PathLike[str], top_k: int = 0, overwrite: bool = True
    ) -> None:
        if top_k < 0:
            raise ValueError(f"top_k must be 0 or more, got {top_k}")
        self.out_path = os.fspath(out_path)
        self.top_k = top_k
        self.overwrite = overwrite
        self.rows_written = 0
        # newline="" hands line endings to the csv module, which quotes embedded newlines.
        self._file = AtomicFile(self.out_path, "w", newline="")
        self._csv = csv.writer(self._file.file, lineterminator="\n")
        self._csv.writerow(csv_header(top_k))

    def write(self, result: ClassifiedImage) -> None:
        if self._file.closed:
            raise ValueError(f"{self.out_path}: CSV writer is already closed")
        self._csv.writerow(csv_row(result, self.top_k))
        self.rows_written += 1

    def close(self) -> None:
        """Finish the file. Idempotent, so `with` after an explicit close() is fine."""
        if not self._file.closed:
            self._file.commit(self.overwrite)

    def abort(self) -> None:
        """Discard what was written; `out_path` is untouched."""
        self._file.abort()

    def __enter__(self) -> ResultsCsvWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_results_csv(
    results: Iterable[ClassifiedImage], out_path: str | os.PathLike[str], top_k: int = 0
) -> int:
    """Write all `results` to `out_path`; returns the number of rows (header not counted)."""
    with ResultsCsvWriter(out_path, top_k) as writer:
        for result in results:
            writer.write(result)
    return writer.rows_written


def _json_number(value: float) -> float | None:
    # NaN is not JSON; a broken probability is better shown as null than as an invalid file.
    value = float(value)
    return value if math.isfinite(value) else None


def result_to_json(result: ClassifiedImage) -> dict[str, Any]:
    return {
        "path": result.path,
        "label": result.label,
        "confidence": _json_number(result.confidence),
        "top_k": [
            {"label": label, "confidence": _json_number(confidence)}
            for label, confidence in result.top_k
        ],
    }


def _labels_seen(results: list[ClassifiedImage]) -> list[str]:
    seen: dict[str, None] = {}
    for result in results:
        seen.setdefault(result.label)
        for label, _ in result.top_k:
            seen.setdefault(label)
    return sorted(seen)


def write_results_json(
    results: Iterable[ClassifiedImage],
    out_path: str | os.PathLike[str],
    class_names: Iterable[str] | None = None,
    model_info: dict[str, Any] | None = None,
    unreadable: Iterable[UnreadableImage] = (),
    overwrite: bool = True,
) -> int:
    """Write `{"model", "classes", "results", "unreadable"}` to `out_path`; returns the
    number of results. Without `class_names`, "classes" lists every label seen, sorted.
    With `overwrite=False` a file already at `out_path` is kept: FileExistsError.

    Results are streamed one per line, so a large export never holds a second copy of the
    whole document in memory (unless `class_names` must be derived from the results).
    """
    if class_names is None:
        results = list(results)
        classes = _labels_seen(results)
    else:
        classes = list(class_names)

    def dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False)

    count = 0
    out = AtomicFile(out_path, "w", newline="\n")
    try:
        f = out.file
        f.write(f'{{\n"model": {dumps(model_info)},\n"classes": {dumps(classes)},\n"results": [')
        for result in results:
            f.write(("\n" if count == 0 else ",\n") + dumps(result_to_json(result)))
            count += 1
        f.write('\n],\n"unreadable": [')
        for i, item in enumerate(unreadable):
            f.write(("\n" if i == 0 else ",\n") + dumps({"path": item.path, "reason": item.reason}))
        f.write("\n]\n}\n")
    except BaseException:
        out.abort()
        raise
    out.commit(overwrite)
    return count
