"""The sort manifest: a JSON-lines journal of what a sort did, so it can be undone.

Line 1 is a header; every later line is one finished step. Each line is flushed and
fsynced as it is written, so after a crash the manifest still lists every file that was
placed (a torn last line is tolerated on reading).

    {"loupe_sort_manifest": 1, "created": "...", "dest_root": "/d", "move": false, ...}
    {"op": "mkdir", "path": "/d/cats"}
    {"op": "copy", "source": "/s/a.jpg", "destination": "/d/cats/a.jpg",
     "size": 123, "sha256": "...", "label": "cats"}

For a move the line is written after the copy is verified and before the source is
deleted; undo copes with a source that still exists. A moved symbolic link (its target's
bytes are copied; the link is removed, the file it points to is left alone) also records
`"link": "<the link's text>"`, so undo puts the link back rather than a copy.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from core.errors import LoupeError
from core.files.file_transfer import describe_os_error

MANIFEST_VERSION = 1
MANIFEST_PREFIX = "loupe-sort-manifest-"  # + timestamp + ".jsonl", in the destination root
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_manifest_name(name: str) -> bool:
    return name.startswith(MANIFEST_PREFIX) and name.endswith(".jsonl")


def holds_sort(file_names: list[str]) -> bool:
    """Whether a folder with these files is the destination of a Loupe sort: scanning it
    again as part of its source would pick up every sorted copy a second time."""
    return any(is_manifest_name(name) for name in file_names)


@dataclass(frozen=True)
class ManifestHeader:
    dest_root: str
    move: bool
    created: str


@dataclass(frozen=True)
class PlacedFile:
    action: str  # "copy" | "move"
    source: str
    destination: str
    size: int
    sha256: str
    label: str
    link: str | None = None  # a moved symbolic link: what it pointed to (os.readlink)


@dataclass(frozen=True)
class ManifestContents:
    header: ManifestHeader
    placed: tuple[PlacedFile, ...]
    created_folders: tuple[str, ...]
    torn_last_line: bool  # the sort was killed while writing its last record


class ManifestWriter:
    """Appends records durably. Creates the file exclusively: never overwrites a manifest."""

    def __init__(self, path: str, dest_root: str, move: bool, unsure_threshold: float) -> None:
        self.path = path
        self._file = open(path, "x", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._append(
            {
                "loupe_sort_manifest": MANIFEST_VERSION,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "dest_root": dest_root,
                "move": move,
                "unsure_threshold": unsure_threshold,
            }
        )

    def _append(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def folder_created(self, path: str) -> None:
        self._append({"op": "mkdir", "path": path})

    def file_placed(self, placed: PlacedFile) -> None:
        record = {
            "op": placed.action,
            "source": placed.source,
            "destination": placed.destination,
            "size": placed.size,
            "sha256": placed.sha256,
            "label": placed.label,
        }
        if placed.link is not None:
            record["link"] = placed.link
        self._append(record)

    def close(self) -> None:
        self._file.close()


def _inside(path: str, root: str) -> bool:
    try:
        path = os.path.abspath(path)
        return path != root and os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        return False


def really_inside(path: str, folder: str) -> bool:
    """`path` lies inside `folder` (a resolved path) once every symbolic link on the way is
    resolved. The last component is not followed: undo removes or moves that entry itself.
    The rule undo applies to a manifest, and a sort to its destination before it starts."""
    parent, name = os.path.split(os.path.abspath(path))
    if name in ("", ".", ".."):
        return False
    return _inside(os.path.join(os.path.realpath(parent), name), folder)


def _malformed(path: str, detail: str) -> LoupeError:
    return LoupeError(
        f"{os.path.basename(path)} is not a valid Loupe sort manifest ({detail}); "
        "nothing was undone"
    )


def _outside(path: str, number: int, named: str, trusted: str) -> LoupeError:
    return LoupeError(
        f"Refusing to undo with {path}: line {number} names {named}, which is not inside "
        f"the folder the manifest is in ({trusted}); nothing was undone"
    )


def _parse_header(path: str, line: str) -> ManifestHeader:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or "loupe_sort_manifest" not in header:
        raise _malformed(path, "line 1 is not a sort manifest header")
    if header["loupe_sort_manifest"] != MANIFEST_VERSION:
        raise _malformed(path, f"unsupported version {header['loupe_sort_manifest']!r}")
    dest_root, move = header.get("dest_root"), header.get("move")
    if not isinstance(dest_root, str) or not os.path.isabs(dest_root) or not isinstance(move, bool):
        raise _malformed(path, "the header lacks dest_root or move")
    return ManifestHeader(os.path.normpath(dest_root), move, str(header.get("created", "")))


def _parse_placed(record: dict[str, Any], root: str) -> PlacedFile | None:
    try:
        placed = PlacedFile(
            action=record["op"],
            source=record["source"],
            destination=record["destination"],
            size=record["size"],
            sha256=record["sha256"],
            label=record.get("label", ""),
            link=record.get("link"),
        )
    except KeyError:
        return None
    ok = (
        isinstance(placed.source, str)
        and os.path.isabs(placed.source)
        and isinstance(placed.destination, str)
        # Undo deletes destinations: a manifest must not be able to point outside its folder.
        and _inside(placed.destination, root)
        and isinstance(placed.size, int)
        and isinstance(placed.sha256, str)
        and _SHA256.fullmatch(placed.sha256) is not None
        and (placed.link is None or (placed.action == "move" and isinstance(placed.link, str)))
    )
    return placed if ok else None


def read_manifest(path: str) -> ManifestContents:
    """Parse and validate a manifest; raises LoupeError naming the file if it is malformed."""
    if os.path.isdir(path):  # checked first: Windows says "permission denied" for a folder
        raise LoupeError(
            f"{path} is a folder, not a sort manifest: name the {MANIFEST_PREFIX}….jsonl "
            "file the sort wrote in it."
        )
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise LoupeError(f"Sort manifest not found: {path}") from None
    except UnicodeDecodeError:
        raise LoupeError(
            f"{path} is not a sort manifest (it is not a text file); nothing was undone."
        ) from None
    except OSError as e:
        raise LoupeError(f"Cannot read sort manifest {path}: {describe_os_error(e)}.") from None
    # What undo may touch is decided by where the manifest really is, never by what it says:
    # a crafted "dest_root" must not let undo delete files elsewhere.
    trusted = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    lines = text.split("\n")
    torn = lines[-1] != ""  # a finished record always ends with "\n"
    if not lines[0].strip():
        raise _malformed(path, "the file is empty")
    header = _parse_header(path, lines[0])
    placed: list[PlacedFile] = []
    folders: list[str] = []
    torn_ignored = False
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        is_last = number == len(lines)
        try:
            record = json.loads(line)
        except ValueError:
            if is_last and torn:
                torn_ignored = True  # killed mid-write: that step never completed its record
                continue
            raise _malformed(path, f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise _malformed(path, f"line {number} is not a record")
        op = record.get("op")
        if op == "mkdir":
            folder = record.get("path")
            if not isinstance(folder, str) or not _inside(folder, header.dest_root):
                raise _malformed(path, f"line {number} names a folder outside {header.dest_root}")
            if not really_inside(folder, trusted):
                raise _outside(path, number, folder, trusted)
            folders.append(os.path.normpath(folder))
        elif op in ("copy", "move"):
            item = _parse_placed(record, header.dest_root)
            if item is None:
                raise _malformed(path, f"line {number} is an incomplete or unsafe file record")
            if not really_inside(item.destination, trusted):
                raise _outside(path, number, item.destination, trusted)
            placed.append(item)
        else:
            raise _malformed(path, f"line {number} has unknown op {op!r}")
    return ManifestContents(header, tuple(placed), tuple(folders), torn_ignored)
