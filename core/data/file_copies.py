"""Which files are byte-for-byte copies of known ones: a copy teaches a model nothing new
and, from a validation or test split, leaks it into training. Used for the unlabelled images
of a semi-supervised run and for images added to a dataset from classify results.
os and hashlib only (no torch, no image decoding)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable


def _file_hash(path: str) -> str | None:
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def find_copies(paths: list[str], known: Iterable[str]) -> dict[str, str]:
    """{path: a file of `known` with the same bytes} for the files of `paths` that have one.
    Only files of a size some known file also has are read: a few stat calls, not a second
    read of a whole dataset."""
    known_by_size: dict[int, list[str]] = {}
    for path in known:
        size = _size(path)
        if size is not None:
            known_by_size.setdefault(size, []).append(path)
    candidates = [p for p in paths if _size(p) in known_by_size]
    if not candidates:
        return {}
    by_hash: dict[str, str] = {}
    for size in {_size(p) for p in candidates}:
        for path in known_by_size[size]:
            digest = _file_hash(path)
            if digest is not None:
                by_hash.setdefault(digest, path)
    found = {p: by_hash.get(_file_hash(p) or "") for p in candidates}
    return {p: match for p, match in found.items() if match is not None}


def dataset_copies(paths: list[str], labelled: Iterable[str]) -> set[str]:
    """The files of `paths` whose bytes equal a labelled image's."""
    return set(find_copies(paths, labelled))
