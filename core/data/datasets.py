"""Finding the images of a dataset folder, checking them, and splitting train/val.

Two layouts are understood:
  flat:  DATA/<class>/<images>  (Loupe holds out a seeded, stratified share for validation)
  split: DATA/train/<class>, DATA/val/<class> ("valid"/"validation" too, any case) and an
         optional DATA/test/<class>.
Folders inside a class folder are searched too. numpy + PIL only (no torch).
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from core.data.dataset_folders import (
    images_under,
    split_folders_among,
    stray_files,
    visible_subfolders,
)
from core.data.file_work import map_files
from core.data.imaging import IMAGE_EXTENSIONS, quick_check
from core.errors import DatasetError
from core.train.config import named

Progress = Callable[[int, int], None]

_FEW_IMAGES = 10
_IMBALANCE_RATIO = 5.0
_PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress calls per second
_CHECK_THREADS = 8  # slow header checks wait on the disk, not the CPU
_SKIPPED_WARNING = re.compile(r"^\d+ files? could not be read")


@dataclass(frozen=True)
class Sample:
    path: str
    label: int


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class DatasetReport:
    root: str
    layout: str  # "flat" (Loupe splits) or "split" (train/val[/test] folders)
    class_names: list[str]  # sorted by name, like torchvision's ImageFolder
    counts: dict[str, dict[str, int]]  # split -> class -> readable images
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored: int = 0  # hidden entries and non-image files: not errors
    min_size: tuple[int, int] | None = None  # (w, h) of the image with fewest pixels
    max_size: tuple[int, int] | None = None  # (w, h) of the image with most pixels
    median_size: tuple[int, int] | None = None  # (median w, median h)
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Readable images in all splits."""
        return sum(sum(per_class.values()) for per_class in self.counts.values())

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> DatasetReport:
        def size(value) -> tuple[int, int] | None:
            return None if value is None else (int(value[0]), int(value[1]))

        return DatasetReport(
            root=d["root"],
            layout=d["layout"],
            class_names=list(d["class_names"]),
            counts={s: {c: int(n) for c, n in per.items()} for s, per in d["counts"].items()},
            skipped=[SkippedFile(s["path"], s["reason"]) for s in d.get("skipped", [])],
            ignored=int(d.get("ignored", 0)),
            min_size=size(d.get("min_size")),
            max_size=size(d.get("max_size")),
            median_size=size(d.get("median_size")),
            warnings=list(d.get("warnings", [])),
        )


@dataclass
class DatasetScan:
    report: DatasetReport
    train: list[Sample]
    val: list[Sample]
    test: list[Sample]


def _skipped_warning(n: int) -> str:
    files = "file" if n == 1 else "files"
    return f"{n} {files} could not be read and will be skipped (see the list of skipped files)."


def add_skipped(
    report: DatasetReport,
    path: str,
    reason: str,
    split: str | None = None,
    class_name: str | None = None,
) -> None:
    """Record a file that failed later (e.g. full decode during training). With split and
    class_name given, the counts are corrected too. A path already listed is not added again."""
    if any(s.path == path for s in report.skipped):
        return
    report.skipped.append(SkippedFile(path, reason))
    per_class = report.counts.get(split or "", {})
    if class_name in per_class and per_class[class_name] > 0:
        per_class[class_name] -= 1
    report.warnings = [w for w in report.warnings if not _SKIPPED_WARNING.match(w)]
    report.warnings.append(_skipped_warning(len(report.skipped)))


def _split_key(seed: int, root: str, path: str) -> str:
    # A hash of the relative path: the split depends only on the seed and the file names,
    # not on listing order, and adding one file moves no other file across the split.
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    return hashlib.blake2b(f"{seed}:{relative}".encode(), digest_size=8).hexdigest()


def _hold_out(paths: list[str], val_split: float, seed: int, root: str) -> tuple[list, list]:
    """Split one class: round(n * val_split) to val, at least 1 when n >= 2 and val_split > 0,
    always leaving at least one for training."""
    n = len(paths)
    n_val = min(max(1, round(n * val_split)), n - 1) if val_split > 0 and n >= 2 else 0
    ranked = sorted(paths, key=lambda p: (_split_key(seed, root, p), p))
    val = set(ranked[:n_val])
    return [p for p in paths if p not in val], [p for p in paths if p in val]


def _check_all(paths: list[str], progress: Progress | None) -> list[tuple]:
    """quick_check every path (in threads where that helps); results in input order."""
    total = len(paths)
    if progress:
        progress(0, total)
    results: list[tuple] = []
    last_report = time.monotonic()
    for result in map_files(quick_check, paths, _CHECK_THREADS, "loupe-scan"):
        results.append(result)
        now = time.monotonic()
        if progress and now - last_report >= _PROGRESS_INTERVAL_S and len(results) < total:
            progress(len(results), total)
            last_report = now
    if progress:
        progress(total, total)
    return results


def _size_stats(sizes: list[tuple[int, int]]) -> tuple:
    if not sizes:
        return None, None, None
    by_area = sorted(sizes, key=lambda s: (s[0] * s[1], s))
    median = (
        int(statistics.median_low(s[0] for s in sizes)),
        int(statistics.median_low(s[1] for s in sizes)),
    )
    return by_area[0], by_area[-1], median


def _balance_warnings(class_totals: dict[str, int]) -> list[str]:
    out = []
    for name, n in class_totals.items():
        if 0 < n < _FEW_IMAGES:
            out.append(
                f"Class '{name}' has only {n} image{'s' if n != 1 else ''}; "
                f"aim for at least {_FEW_IMAGES}, ideally 50+."
            )
    present = {name: n for name, n in class_totals.items() if n > 0}
    if len(present) >= 2:
        largest = max(present, key=lambda c: (present[c], c))
        smallest = min(present, key=lambda c: (present[c], c))
        ratio = present[largest] / present[smallest]
        if ratio > _IMBALANCE_RATIO:
            out.append(
                f"Classes are imbalanced: '{largest}' has {present[largest]} images but "
                f"'{smallest}' only {present[smallest]} ({ratio:.1f}x). Turn on "
                f"{named('class_balanced')} so the model does not simply favour '{largest}'."
            )
    return out


def _collect(root: str) -> tuple[str, dict[str, dict[str, list[str]]], int, list[str]]:
    """(layout, split -> class -> candidate image paths, ignored count, warnings)."""
    try:
        subfolders, hidden_at_root = visible_subfolders(root)
    except OSError as error:
        raise DatasetError(f"Cannot read the dataset folder {root}: {error.strerror}") from None
    warnings: list[str] = []
    split_folders = split_folders_among(root, subfolders)
    # split name -> the folder whose subfolders are the classes
    sources = split_folders or {"train": root}
    ignored = 0
    if split_folders:  # in a flat layout the loop below looks at root itself
        ignored += hidden_at_root
        known = {os.path.basename(p) for p in split_folders.values()}
        for name in subfolders:
            if name not in known:
                ignored += 1
                warnings.append(f"Folder '{name}' is not train, val or test and was ignored.")
    found: dict[str, dict[str, list[str]]] = {}
    for split, folder in sources.items():
        class_folders, hidden = visible_subfolders(folder)
        ignored += hidden
        if not class_folders:
            raise DatasetError(
                f"No class folders in {folder}: put each class's images in its own "
                f"subfolder, e.g. {os.path.join(folder, 'cats')}."
            )
        stray = stray_files(folder)
        if stray:
            ignored += stray
            warnings.append(
                f"{stray} file{'s' if stray != 1 else ''} directly inside '{folder}' "
                "belong to no class folder and were ignored."
            )
        found[split] = {}
        sorts: list[str] = []
        for name in class_folders:
            path = os.path.join(folder, name)
            images, not_images = images_under(path, sorts)
            ignored += not_images
            if not (sorts and sorts[-1] == path):  # a sort destination is no class
                found[split][name] = images
        for sort in sorts:
            ignored += 1
            warnings.append(
                f"Folder '{os.path.relpath(sort, root)}' holds a Loupe sort (its images are "
                "copies sorted by a model) and was ignored."
            )
    return ("split" if split_folders else "flat"), found, ignored, warnings


def _keep_readable(
    found: dict[str, dict[str, list[str]]], check_images: bool, progress: Progress | None
) -> tuple[dict[str, dict[str, list[str]]], list[SkippedFile], list[tuple[int, int]]]:
    ordered = [(s, c, p) for s in found for c in found[s] for p in found[s][c]]
    if check_images:
        results = _check_all([p for _, _, p in ordered], progress)
    else:
        results = [(None, None)] * len(ordered)
    readable: dict[str, dict[str, list[str]]] = {s: {c: [] for c in found[s]} for s in found}
    skipped: list[SkippedFile] = []
    sizes: list[tuple[int, int]] = []
    for (split, name, path), (reason, size) in zip(ordered, results, strict=True):
        if reason is not None:
            skipped.append(SkippedFile(path, reason))
            continue
        readable[split][name].append(path)
        if size is not None:
            sizes.append(size)
    return readable, skipped, sizes


def _assign_splits(
    readable: dict[str, dict[str, list[str]]],
    class_names: list[str],
    val_split: float,
    seed: int,
    root: str,
    warnings: list[str],
) -> dict[str, dict[str, list[str]]]:
    """Hold out val from train when there is no val folder; warn about gaps in a split set."""
    for name in class_names:
        if not readable["train"].get(name):  # in val/ or test/ only
            warnings.append(
                f"Class '{name}' has no images in the train folder, so the model cannot learn it."
            )
    if "val" in readable:
        for name in class_names:
            if not readable["val"].get(name):
                warnings.append(
                    f"Class '{name}' has no images in the val folder, so its accuracy "
                    "cannot be measured."
                )
        return readable
    held: dict[str, dict[str, list[str]]] = {"train": {}, "val": {}}
    for name in class_names:
        train, val = _hold_out(readable["train"].get(name, []), val_split, seed, root)
        held["train"][name], held["val"][name] = train, val
    return {**readable, **held}


def scan_dataset(
    root: str,
    val_split: float = 0.2,
    seed: int = 0,
    progress: Progress | None = None,
    check_images: bool = True,
) -> DatasetScan:
    """Find classes and images under root, check each image's header, split train/val.

    progress(done, total) is called from this thread during the image checks, at most
    ~20 times a second. Raises DatasetError (one line naming the folder) when no dataset
    can be built, ValueError for a val_split outside [0, 1)."""
    if not 0.0 <= val_split < 1.0:
        raise ValueError(f"val_split must be in [0, 1), not {val_split}")
    root = os.path.normpath(os.path.abspath(os.path.expanduser(root)))
    if not os.path.exists(root):
        raise DatasetError(f"Dataset folder not found: {root}")
    if not os.path.isdir(root):
        raise DatasetError(f"Not a folder: {root} (choose the folder that holds the classes)")

    layout, found, ignored, warnings = _collect(root)
    if not any(paths for per_class in found.values() for paths in per_class.values()):
        extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise DatasetError(f"No images found in {root} (looked for {extensions}).")
    readable, skipped, sizes = _keep_readable(found, check_images, progress)
    if not any(paths for per_class in readable.values() for paths in per_class.values()):
        first = skipped[0]
        raise DatasetError(
            f"No readable images in {root}: all {len(skipped)} image files failed "
            f"(e.g. {os.path.basename(first.path)}: {first.reason})."
        )

    # A class with no readable image anywhere cannot be learnt: drop it, say why.
    all_names = sorted({c for per_class in readable.values() for c in per_class})
    class_names = [c for c in all_names if any(readable[s].get(c) for s in readable)]
    for name in all_names:
        if name not in class_names:
            had_files = any(found[s].get(name) for s in found)
            what = "no readable images" if had_files else "no images"
            warnings.append(f"Class folder '{name}' has {what} and was ignored.")
    if layout == "split" and "val" not in readable:
        warnings.append(
            f"No val folder found: {val_split:.0%} of each class in 'train' is held out "
            "for validation."
        )
    readable = _assign_splits(readable, class_names, val_split, seed, root, warnings)

    splits = [s for s in ("train", "val", "test") if s in readable]
    counts = {s: {c: len(readable[s].get(c, [])) for c in class_names} for s in splits}
    samples = {
        s: [Sample(p, label) for label, c in enumerate(class_names) for p in readable[s].get(c, [])]
        for s in splits
    }
    if len(class_names) == 1:
        warnings.append(
            f"Only one class found ('{class_names[0]}'); a classifier needs at least two classes."
        )
    warnings += _balance_warnings({c: sum(counts[s][c] for s in splits) for c in class_names})
    if skipped:
        warnings.append(_skipped_warning(len(skipped)))
    min_size, max_size, median_size = _size_stats(sizes)
    report = DatasetReport(
        root=root,
        layout=layout,
        class_names=class_names,
        counts=counts,
        skipped=skipped,
        ignored=ignored,
        min_size=min_size,
        max_size=max_size,
        median_size=median_size,
        warnings=warnings,
    )
    return DatasetScan(report, samples["train"], samples["val"], samples.get("test", []))
