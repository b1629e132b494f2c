"""Small helpers shared by the sorting tests: fake classified files and tree snapshots."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from core.infer.results import ClassifiedImage


def make_file(path: Path, content: bytes | None = None, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if content is not None else os.urandom(64) + path.name.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def result(path: Path, label: str, confidence: float = 0.9) -> ClassifiedImage:
    return ClassifiedImage(str(path), label, confidence, ((label, confidence),))


def sha(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(root: Path, ignore_suffix: str = ".jsonl") -> dict[str, str]:
    """relative path -> sha256 for files, "<dir>" for folders (empty ones included)."""
    tree: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            tree[os.path.relpath(os.path.join(folder, d), root)] = "<dir>"
        for f in files:
            if not f.endswith(ignore_suffix):
                full = os.path.join(folder, f)
                tree[os.path.relpath(full, root)] = sha(full)
    return tree


def files_under(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, f), root)
        for folder, _, files in os.walk(root)
        for f in files
        if not f.endswith(".jsonl")
    )


def disable_hard_links(monkeypatch) -> None:
    """As on another disk or FAT: moves must copy, verify, then delete."""

    def no_link(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)


def visible_files(root) -> dict[str, bytes]:
    """{relative path: bytes} of every file under `root` that is not hidden (nor in a hidden
    folder): a dataset as training sees it, manifests and Loupe's own records left out."""
    found = {}
    for current, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                path = os.path.join(current, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, root)] = f.read()
    return found
