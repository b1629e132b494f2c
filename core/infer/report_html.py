"""report.html: one self-contained page (no scripts, no external files, opens offline) made
from report.json's content: summary, confusion matrix, per-class table, a reliability
diagram (inline SVG) and small embedded thumbnails of the misclassified images."""

from __future__ import annotations

import base64
import csv
import html
import io
import os
from typing import Any

THUMBNAILS = 60  # most-confident mistakes shown as pictures; the CSV lists them all
THUMB_SIDE = 96  # px
_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px}
.muted{color:#666}.big{font-size:28px;font-weight:600}
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.name,th.name{text-align:left}
.cm td{min-width:28px;text-align:center}
.grid{display:flex;flex-wrap:wrap;gap:10px}.thumb{width:150px;font-size:12px;word-wrap:break-word}
.thumb img{width:96px;height:96px;object-fit:contain;background:#eee;display:block}
.bad{color:#c62828}.good{color:#2e7d32}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def misclassified_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "label", "predicted", "confidence"])
    for row in rows:
        writer.writerow([row["path"], row["label"], row["predicted"], f"{row['confidence']:.6f}"])
    return buffer.getvalue()


def thumbnail_data_uri(path: str, side: int = THUMB_SIDE) -> str | None:
    """A small JPEG of the image as a data: URI, or None when it cannot be read now."""
    from PIL import Image

    from core.data.imaging import thumbnail_array
    from core.errors import ImageLoadError

    try:
        array = thumbnail_array(path, side)
    except (ImageLoadError, OSError, ValueError):
        return None
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _confusion_table(names: list[str], matrix: list[list[int]]) -> str:
    if not matrix:
        return "<p class='muted'>No images evaluated.</p>"
    peak = max((max(row) for row in matrix), default=0) or 1
    head = "".join(f"<th title='{_e(n)}'>{_e(n[:12])}</th>" for n in names)
    rows = []
    for t, row in enumerate(matrix):
        cells = []
        for p, count in enumerate(row):
            shade = count / peak
            color = f"rgba(46,125,50,{shade:.2f})" if t == p else f"rgba(198,40,40,{shade:.2f})"
            cells.append(
                f"<td style='background:{color}' title='true {_e(names[t])}, "
                f"predicted {_e(names[p])}: {count}'>{count or ''}</td>"
            )
        rows.append(f"<tr><th class='name'>{_e(names[t])}</th>{''.join(cells)}</tr>")
    return (
        "<table class='cm'><tr><th class='name'>true \\ predicted</th>"
        f"{head}</tr>{''.join(rows)}</table>"
    )


def _per_class_table(per_class: dict[str, dict[str, float]]) -> str:
    rows = "".join(
        f"<tr><td class='name'>{_e(name)}</td><td>{_pct(m['precision'])}</td>"
        f"<td>{_pct(m['recall'])}</td><td>{_pct(m['f1'])}</td><td>{m['support']}</td></tr>"
        for name, m in per_class.items()
    )
    return (
        "<table><tr><th class='name'>class</th><th>precision</th><th>recall</th><th>F1</th>"
        f"<th>images</th></tr>{rows}</table>"
    )


def reliability_svg(bins: dict[str, list[dict[str, float]]], size: int = 320) -> str:
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration."""
    pad, inner = 36, size - 48
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size + 150}' height='{size}' "
        "role='img' aria-label='reliability diagram'>",
        f"<rect x='{pad}' y='8' width='{inner}' height='{inner}' fill='#fafafa' stroke='#999'/>",
        f"<line x1='{pad}' y1='{8 + inner}' x2='{pad + inner}' y2='8' stroke='#888' "
        "stroke-dasharray='4 3'/>",
    ]
    styles = {"uncalibrated": ("#ef9a9a", 0.0), "calibrated": ("#1565c0", 0.5)}
    for kind, (color, offset) in styles.items():
        for b in bins.get(kind, []):
            if not b["count"]:
                continue
            width = (b["upper"] - b["lower"]) * inner / 2
            x = pad + b["lower"] * inner + offset * width
            height = b["accuracy"] * inner
            parts.append(
                f"<rect x='{x:.1f}' y='{8 + inner - height:.1f}' width='{width:.1f}' "
                f"height='{height:.1f}' fill='{color}' opacity='0.85'>"
                f"<title>{kind}: confidence {b['lower']:.2f}-{b['upper']:.2f}, "
                f"{b['count']} images, accuracy {b['accuracy']:.2f}</title></rect>"
            )
    for tick in (0, 0.5, 1):
        parts.append(
            f"<text x='{pad + tick * inner:.0f}' y='{size - 22}' font-size='11' "
            f"text-anchor='middle'>{tick:g}</text>"
            f"<text x='{pad - 6}' y='{12 + inner - tick * inner:.0f}' font-size='11' "
            f"text-anchor='end'>{tick:g}</text>"
        )
    parts.append(
        f"<text x='{pad + inner / 2:.0f}' y='{size - 6}' font-size='12' text-anchor='middle'>"
        "confidence</text>"
        f"<text x='{pad + inner + 12}' y='24' font-size='12' fill='#1565c0'>&#9632; calibrated</text>"
        f"<text x='{pad + inner + 12}' y='42' font-size='12' fill='#e57373'>&#9632; uncalibrated</text>"
        f"<text x='{pad + inner + 12}' y='60' font-size='12' fill='#888'>- - perfect</text>"
        "</svg>"
    )
    return "".join(parts)


def _misclassified_grid(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p class='good'>No misclassified images.</p>"
    cells = []
    for row in rows[:THUMBNAILS]:
        uri = thumbnail_data_uri(row["path"])
        picture = f"<img src='{uri}' alt=''>" if uri else "<div class='muted'>(image gone)</div>"
        cells.append(
            f"<div class='thumb' title='{_e(row['path'])}'>{picture}"
            f"<b>{_e(os.path.basename(row['path']))}</b><br>"
            f"true <b>{_e(row['label'])}</b><br>"
            f"<span class='bad'>predicted <b>{_e(row['predicted'])}</b></span> "
            f"({_pct(row['confidence'])})</div>"
        )
    more = (
        f"<p class='muted'>Showing the {THUMBNAILS} most confident of {len(rows)} mistakes; "
        "misclassified.csv lists them all.</p>"
        if len(rows) > THUMBNAILS
        else ""
    )
    return f"{more}<div class='grid'>{''.join(cells)}</div>"


def _notes(data: dict[str, Any]) -> str:
    notes = []
    unknown = data.get("unknown_classes") or {}
    if unknown:
        listed = ", ".join(f"{_e(name)} ({count})" for name, count in unknown.items())
        notes.append(f"Classes the model does not know were not evaluated: {listed}.")
    unreadable = data.get("unreadable") or []
    if unreadable:
        notes.append(f"{len(unreadable)} image(s) could not be read and were skipped.")
    return "".join(f"<p class='bad'>{n}</p>" for n in notes)


def render_report_html(data: dict[str, Any]) -> str:
    model = data.get("model") or {}
    title = f"Evaluation of {os.path.basename(str(model.get('path', 'model')))}"
    cards = [
        ("accuracy", _pct(data["accuracy"])),
        ("images", f"{data['images']:,}"),
        ("classes", str(len(data["class_names"]))),
        ("ECE (calibrated)", _pct(data["ece"])),
        ("ECE (uncalibrated)", _pct(data["ece_uncalibrated"])),
        ("temperature", f"{data['temperature']:.3f}"),
    ]
    card_html = "".join(
        f"<div class='card'><div class='muted'>{_e(k)}</div><div class='big'>{_e(v)}</div></div>"
        for k, v in cards
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f"<p class='muted'>Model {_e(model.get('path', ''))} ({_e(model.get('arch', ''))}), "
        f"images from {_e(data.get('data_dir', ''))}, {_e(data.get('created', ''))}</p>"
        f"<div class='cards'>{card_html}</div>{_notes(data)}"
        "<h2>Confusion matrix</h2><p class='muted'>Rows: true class; columns: predicted.</p>"
        f"{_confusion_table(data['class_names'], data['confusion_matrix'])}"
        f"<h2>Per class</h2>{_per_class_table(data['per_class'])}"
        "<h2>Calibration</h2><p class='muted'>Accuracy of the images in each confidence bin "
        f"({data['ece_bins']} bins). On the dashed diagonal, a confidence of 80 % means "
        "right 8 times in 10. The expected calibration error (ECE) is the average gap.</p>"
        f"{reliability_svg(data['reliability'])}"
        f"<h2>Misclassified images ({len(data['misclassified'])})</h2>"
        f"{_misclassified_grid(data['misclassified'])}"
        "</body></html>\n"
    )
