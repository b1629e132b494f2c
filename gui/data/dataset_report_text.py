"""A DatasetReport in words a non-expert understands: the summary line, the warnings and
the list of skipped files with what is wrong with each. Pure functions (no Qt)."""

from __future__ import annotations

import html
import os

from core.data.datasets import DatasetReport

MAX_SKIPPED_LISTED = 200  # the rest is summarised: nobody reads a list of 10,000 files

_ALL_READ = "every image could be read."

# quick_check's short reasons, explained. "too large (...)" and "unreadable: ..." carry detail.
_REASONS = {
    "zero bytes": "the file is empty (0 bytes)",
    "not an image": "this is not an image, only named like one",
    "truncated": "the file is cut off (truncated), e.g. by an interrupted download or copy",
}


def plain_reason(reason: str) -> str:
    if reason in _REASONS:
        return _REASONS[reason]
    if reason.startswith("too large"):
        return "the image is too large to open safely " + reason[len("too large") :].strip()
    if reason.startswith("unreadable:"):
        return f"the file could not be read ({reason[len('unreadable:') :].strip()})"
    return reason


def size_text(size: tuple[int, int] | None) -> str:
    return f"{size[0]}×{size[1]}" if size else "?"


def split_totals(report: DatasetReport) -> dict[str, int]:
    return {split: sum(per_class.values()) for split, per_class in report.counts.items()}


def layout_text(report: DatasetReport, val_split: float) -> str:
    totals = split_totals(report)
    if report.layout == "split":
        parts = ", ".join(f"{split} {n}" for split, n in totals.items())
        names = "/".join(totals)
        held = any(w.startswith("No val folder found") for w in report.warnings)
        if held:
            return f"has a train folder; Loupe holds out {val_split:.0%} for validation ({parts})"
        return f"already split into {names} ({parts})"
    return f"Loupe will hold out {val_split:.0%} of each class for validation"


def summary_text(report: DatasetReport, val_split: float) -> str:
    """e.g. '36 images in 3 classes · image sizes from 32×32 to 64×48 · Loupe will hold
    out 20% of each class for validation'."""
    n_classes = len(report.class_names)
    images = f"{report.total} image{'s' if report.total != 1 else ''}"
    classes = f"{n_classes} class{'es' if n_classes != 1 else ''}"
    parts = [f"{images} in {classes}"]
    if report.min_size and report.max_size:
        if report.min_size == report.max_size:
            parts.append(f"all images {size_text(report.min_size)} pixels")
        else:
            parts.append(
                f"image sizes from {size_text(report.min_size)} to {size_text(report.max_size)}"
            )
    parts.append(layout_text(report, val_split))
    return " · ".join(parts)


def _relative(path: str, root: str) -> str:
    try:
        relative = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def issues_html(report: DatasetReport) -> str:
    """Warnings, skipped files and ignored files as simple HTML for a QTextBrowser."""
    out: list[str] = []
    # The generic "N files could not be read" warning is replaced by the full list below.
    warnings = [w for w in report.warnings if "could not be read and will be skipped" not in w]
    if warnings:
        out.append("<p><b>Things to check</b></p><ul>")
        out += [f"<li>{html.escape(w)}</li>" for w in warnings]
        out.append("</ul>")
    if report.skipped:
        n = len(report.skipped)
        out.append(
            f"<p><b>{n} file{'s' if n != 1 else ''} could not be read and will be skipped:"
            "</b></p><ul>"
        )
        for item in report.skipped[:MAX_SKIPPED_LISTED]:
            name = html.escape(_relative(item.path, report.root))
            out.append(f"<li>{name} — {html.escape(plain_reason(item.reason))}</li>")
        if n > MAX_SKIPPED_LISTED:
            out.append(f"<li>…and {n - MAX_SKIPPED_LISTED} more.</li>")
        out.append("</ul>")
    if report.ignored:
        n = report.ignored
        items, verb = ("items", "were") if n != 1 else ("item", "was")
        out.append(
            f"<p style='color:#52606D'>{n} other {items} (hidden files, non-image files, "
            f"unused folders) {verb} ignored.</p>"
        )
    if not warnings and not report.skipped:
        out.insert(0, f"<p style='color:#2E7D32'><b>No problems found:</b> {_ALL_READ}</p>")
    return "\n".join(out)
