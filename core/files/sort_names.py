"""File and folder names for sorting: valid on Windows, macOS and Linux, inside the
destination, within the file systems' byte limits, and never one already taken (compared as
those systems compare names). Pure functions of names and folder listings."""

from __future__ import annotations

import itertools
import os
import unicodedata
from collections.abc import Iterable

UNSURE_FOLDER = "_unsure"
MAX_FOLDER_NAME_BYTES = 100  # UTF-8; well under every file system's 255, room for " (n)"
MAX_FILE_NAME_BYTES = 255  # UTF-8; ext4, APFS, NTFS (in UTF-16 units) all stop at 255
_WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{c}" for c in "123456789¹²³"}
    | {f"LPT{c}" for c in "123456789¹²³"}
)
_FORBIDDEN_CHARS = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}


def name_key(name: str) -> str:
    """Two names that one of Windows/macOS/Linux would treat as the same file."""
    return unicodedata.normalize("NFC", name).casefold()


def safe_folder_name(label: str) -> str:
    """A class name as a folder name that is valid on Windows, macOS and Linux and stays
    inside the destination: no separators, no "..", no CON/NUL, no trailing dots/spaces."""
    name = unicodedata.normalize("NFC", label)
    name = "".join("_" if ch in _FORBIDDEN_CHARS else ch for ch in name).strip()
    if name.startswith("."):  # a hidden folder (or "..") would look like lost files
        name = "_" + name.lstrip(".")
    name = fit_bytes(name, MAX_FOLDER_NAME_BYTES).rstrip(". ")  # Windows drops these silently
    if not name:
        return "_"
    if name.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def fit_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, at a character boundary: file systems
    count bytes, and 100 characters of CJK or emoji are 300-400 of them."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def fit_file_name(name: str, suffix: str = "") -> str:
    """`stem + suffix + ext` within MAX_FILE_NAME_BYTES: the stem is shortened, the
    extension and the " (n)" suffix are kept, so a long name still gets its number."""
    stem, ext = os.path.splitext(name)
    if len(ext.encode("utf-8")) > 32:  # not a real extension: a dot inside a long name
        stem, ext = name, ""
    room = MAX_FILE_NAME_BYTES - len((suffix + ext).encode("utf-8"))
    return fit_bytes(stem, max(room, 1)) + suffix + ext


def numbered(name: str, n: int) -> str:
    return fit_file_name(name, f" ({n})")


def folder_names(labels: Iterable[str]) -> dict[str, str]:
    """Class name -> folder name, distinct even where names differ only in case or in
    characters that sanitising replaced ("a/b" and "a_b")."""
    taken = {name_key(UNSURE_FOLDER)}
    mapping: dict[str, str] = {}
    for label in sorted(set(labels)):  # sorted: the same classes always get the same folders
        base = name = safe_folder_name(label)
        for n in itertools.count(2):
            if name_key(name) not in taken:
                break
            name = f"{base} ({n})"
        taken.add(name_key(name))
        mapping[label] = name
    return mapping


def existing_names(folder: str) -> set[str]:
    try:
        return {name_key(n) for n in os.listdir(folder)}
    except OSError:
        return set()


def free_name(wanted: str, original: str, taken: set[str]) -> str:
    if name_key(wanted) not in taken:
        return wanted
    for n in itertools.count(1):
        candidate = numbered(original, n)
        if name_key(candidate) not in taken:
            return candidate
    raise AssertionError("unreachable")
