"""Where a command may write its results file (`classify --out/--json`, `merge --out`).

One rule for every command, checked before any work: never a folder, never a file the
command itself reads (a part being merged, its record), a run's or model's own files, or
an image of the folder the results describe, not even with --force; any other existing
file only with --force. Symbolic links are resolved: `runs/latest/model.json` is the
run's file too."""

from __future__ import annotations

import os
from collections.abc import Sequence

from core.errors import LoupeError
from core.files.run_folder import own_file_of


def _full(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same path once links are resolved (also before
    either exists), or one file on disk under two names (a hard link)."""
    real_a, real_b = (os.path.normcase(os.path.realpath(os.path.expanduser(p))) for p in (a, b))
    if real_a == real_b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either is missing
        return False


def check_output_file(path: str, flag: str) -> None:
    """Refuse an output path that could only fail at the end, after all the work: a folder,
    a missing or read-only folder. Names the user's path, never a temporary file."""
    full = _full(path)
    if os.path.isdir(full):
        raise LoupeError(
            f"{flag} {path} is a folder: name the file to write, e.g. "
            f"{os.path.join(path, 'results' + ('.json' if flag == '--json' else '.csv'))}."
        )
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        raise LoupeError(f"Cannot write {flag} {path}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK):
        raise LoupeError(f"Cannot write {flag} {path}: the folder {parent} is not writable.")


def check_replaceable(
    path: str,
    flag: str,
    force: bool,
    *,
    model: str | None = None,
    inputs: Sequence[tuple[str, str]] = (),
    image_folders: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Refuse `path` as an output, even with `force`, when it is a run's or model's own file
    (or `model`, a model file given directly), one of `inputs` ((path, what it is) pairs:
    the command's own input files), or an image inside one of `image_folders` ((folder,
    as shown, what it is) triples); any other existing file without `force`."""
    from core.data.imaging import is_image_name

    def refuse(what: str) -> LoupeError:
        return LoupeError(
            f"Refusing to write {flag} {path}: it is {what}. Write the results somewhere else."
        )

    full = _full(path)
    model_full = _full(model) if model else None
    for candidate in dict.fromkeys((full, os.path.realpath(full))):
        owner = own_file_of(candidate, model_folders=True)
        if owner is None and model_full and os.path.isfile(model_full):
            owner = os.path.dirname(model_full) if same_file(candidate, model_full) else None
        if owner is not None:
            raise refuse(f"a file of the model in {owner}")
        if not is_image_name(candidate):
            continue
        for folder, shown, what in image_folders:
            for root in dict.fromkeys((_full(folder), os.path.realpath(_full(folder)))):
                if candidate.startswith(root.rstrip(os.sep) + os.sep):
                    raise refuse(f"an image in {shown}, {what}")
    for other, what in inputs:
        if same_file(full, other):
            raise refuse(what)
    if os.path.lexists(full) and not force:
        raise LoupeError(
            f"{flag} {path} already exists: choose another name, or add --force to replace it."
        )
