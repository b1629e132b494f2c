"""doctor.json and a self-contained doctor.html (thumbnails inlined as data URLs, no other
files), written atomically into the report folder."""

from __future__ import annotations

import base64
import html
import io
import os
from typing import Any

from core.errors import ImageLoadError
from core.files.atomic import atomic_write_json, atomic_write_text

JSON_NAME = "doctor.json"
HTML_NAME = "doctor.html"
THUMB_SIDE = 96  # px
SHOWN_PER_SECTION = 60  # groups or images per section in the HTML; the JSON has them all

_STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
.group{display:flex;gap:10px;flex-wrap:wrap;padding:8px;margin:6px 0;background:#f6f6f6;
border-radius:6px}.item{width:110px;font-size:11px;word-break:break-all}
.item img{width:96px;height:96px;object-fit:contain;background:#fff;border:1px solid #ccc}
.warn{color:#a40}.note{color:#666;font-size:13px}table{border-collapse:collapse}
td,th{padding:3px 8px;text-align:left}
"""


def existing_report_files(out_dir: str) -> list[str]:
    """The doctor.json / doctor.html already in `out_dir`: replaced only with --force."""
    paths = [os.path.join(out_dir, name) for name in (JSON_NAME, HTML_NAME)]
    return [p for p in paths if os.path.lexists(p)]


def write_report(report: dict[str, Any], out_dir: str) -> tuple[str, str]:
    """Writes both files; returns (json path, html path)."""
    os.makedirs(out_dir, exist_ok=True)
    json_path = os.path.join(out_dir, JSON_NAME)
    html_path = os.path.join(out_dir, HTML_NAME)
    atomic_write_json(json_path, report)
    atomic_write_text(html_path, report_html(report))
    return json_path, html_path


def _thumbnail(root: str, relative: str) -> str:
    from PIL import Image

    from core.data.imaging import thumbnail_array

    try:
        pixels = thumbnail_array(os.path.join(root, relative), THUMB_SIDE)
    except ImageLoadError:
        return ""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _item(report: dict[str, Any], relative: str, caption: str = "") -> str:
    facts = report["files"].get(relative, {})
    where = f"{facts.get('split', '')} / {facts.get('label', '')}"
    source = _thumbnail(report["data_dir"], relative)
    image = f'<img src="{source}" alt="">' if source else "<div>(unreadable)</div>"
    return (
        f'<div class="item">{image}<div>{html.escape(where)}</div>'
        f"<div>{html.escape(relative)}</div>{caption}</div>"
    )


def _group_section(report: dict[str, Any], key: str, title: str, why: str) -> str:
    groups = report[key]
    parts = [f"<h2>{html.escape(title)} ({len(groups):,})</h2><p class='note'>{why}</p>"]
    for group in groups[:SHOWN_PER_SECTION]:
        parts.append('<div class="group">' + "".join(_item(report, p) for p in group) + "</div>")
    if len(groups) > SHOWN_PER_SECTION:
        parts.append(
            f"<p class='note'>… and {len(groups) - SHOWN_PER_SECTION:,} more in {JSON_NAME}.</p>"
        )
    return "".join(parts)


def _image_section(report: dict[str, Any], key: str, title: str, why: str) -> str:
    found = report[key]
    parts = [
        f"<h2>{html.escape(title)} ({len(found):,})</h2><p class='note'>{why}</p>",
        '<div class="group">',
    ]
    for entry in found[:SHOWN_PER_SECTION]:
        caption = f"score {entry['score']:.2f}"
        if "suggested" in entry:
            caption = f"<b>→ {html.escape(entry['suggested'])}?</b> {caption}"
        parts.append(_item(report, entry["path"], f"<div>{caption}</div>"))
    parts.append("</div>")
    if len(found) > SHOWN_PER_SECTION:
        parts.append(
            f"<p class='note'>… and {len(found) - SHOWN_PER_SECTION:,} more in {JSON_NAME}.</p>"
        )
    return "".join(parts)


def report_html(report: dict[str, Any]) -> str:
    from core.data.doctor import summary_line

    timing = ", ".join(f"{k} {v:.1f} s" for k, v in report["seconds"].items())
    body = [
        f"<h1>Dataset check: {html.escape(report['data_dir'])}</h1>",
        f"<p>{html.escape(summary_line(report))}</p>",
        f"<p class='note'>Labels checked with {html.escape(report['label_method'])} and "
        f"confident learning (cleanlab). Created {report['created']}; took {timing}.</p>",
        _group_section(
            report,
            "leaks",
            "Leaks across splits",
            "The same picture in train and in val/test: accuracy on val/test is "
            "too optimistic until one copy goes.",
        ),
        _group_section(
            report,
            "label_conflicts",
            "Label conflicts",
            "The same picture in different classes: at least one label is wrong.",
        ),
        _group_section(
            report,
            "exact_duplicates",
            "Exact duplicates",
            "Identical pixels (perhaps in different files or formats).",
        ),
        _group_section(
            report,
            "near_duplicates",
            "Near duplicates",
            "Re-encoded, resized or slightly cropped copies.",
        ),
        _image_section(
            report,
            "label_issues",
            "Probable label errors",
            "Most suspicious first, with the class the out-of-sample model prefers.",
        ),
        _image_section(
            report, "outliers", "Outliers", "Least like the other images of their class."
        ),
    ]
    if report["unreadable"]:
        rows = "".join(
            f"<tr><td>{html.escape(u['path'])}</td><td>{html.escape(u['reason'])}</td></tr>"
            for u in report["unreadable"]
        )
        body.append(f"<h2 class='warn'>Unreadable files</h2><table>{rows}</table>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Loupe dataset check</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )
