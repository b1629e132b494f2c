"""Walking a dataset folder: which subfolders are classes or splits, which entries are
hidden or junk, and which files are images. os only (no torch, no image decoding)."""

from __future__ import annotations

import os

from core.data.imaging import is_image_name
from core.files.sort_manifest import holds_sort

_VAL_NAMES = ("val", "valid", "validation")
_SPLIT_NAMES = ("train", *_VAL_NAMES, "test")
# Folders that archive tools and operating systems leave behind; never classes.
# Images a person took out of the dataset (relabel/review "exclude"): kept, never trained on.
EXCLUDED_FOLDER = "_excluded"
_JUNK_FOLDERS = {"__macosx", "$recycle.bin", "system volume information"}


LOUPE_PREFIX = ".loupe"  # Loupe's own entries: a sample's marker, manifests, reviewed findings


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in _JUNK_FOLDERS or name == EXCLUDED_FOLDER


def is_loupe_entry(name: str) -> bool:
    """What Loupe itself keeps in a dataset folder: passed over without counting it among
    the items a person left there (a fresh sample said "1 other item ... was ignored")."""
    return name.startswith(LOUPE_PREFIX)


def visible_subfolders(folder: str) -> tuple[list[str], int]:
    """Names of visible subfolders, sorted, and how many hidden entries were passed over."""
    names, hidden = [], 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_hidden(entry.name):
                hidden += not is_loupe_entry(entry.name)
            elif entry.is_dir():
                names.append(entry.name)
    return sorted(names), hidden


def stray_files(folder: str) -> int:
    """Visible files lying next to class folders: not in any class."""
    with os.scandir(folder) as entries:
        return sum(1 for e in entries if not is_hidden(e.name) and e.is_file())


def images_under(folder: str, sorts: list[str] | None = None) -> tuple[list[str], int]:
    """All image files below folder (recursive, sorted) and the count of ignored entries.
    Folders holding a Loupe sort are passed over and appended to `sorts`."""
    found, ignored = [], 0
    for current, dirs, files in os.walk(folder):
        if holds_sort(files):  # a sort's copies are not more examples of this class
            dirs[:] = []
            if sorts is not None:
                sorts.append(current)
            continue
        ignored += sum(1 for d in dirs if is_hidden(d) and not is_loupe_entry(d))
        dirs[:] = sorted(d for d in dirs if not is_hidden(d))  # prune hidden folders
        for name in files:
            if is_hidden(name) or not is_image_name(name):
                ignored += not is_loupe_entry(name)
            else:
                found.append(os.path.join(current, name))
    return sorted(found), ignored


def split_folders_among(root: str, subfolders: list[str]) -> dict[str, str] | None:
    """{"train": path, "val": path?, "test": path?} when root is a pre-split dataset."""
    by_lower: dict[str, str] = {}
    for name in subfolders:
        by_lower.setdefault(name.lower(), name)
    train = by_lower.get("train")
    if train is None or not visible_subfolders(os.path.join(root, train))[0]:
        return None  # a "train" folder holding images directly is an ordinary class
    found = {"train": os.path.join(root, train)}
    for alias in _VAL_NAMES:
        if alias in by_lower:
            found["val"] = os.path.join(root, by_lower[alias])
            break
    if "test" in by_lower:
        found["test"] = os.path.join(root, by_lower["test"])
    return found


def find_split_folders(root: str) -> dict[str, str] | None:
    """{"train": path, "val": path?, "test": path?} when root is a pre-split dataset, else None."""
    return split_folders_among(root, visible_subfolders(root)[0])
