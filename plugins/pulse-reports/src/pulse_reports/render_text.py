"""A report as CSV or as an HTML page: the blocks of the PDF, as data.

The CSV has one record per table row, each led by its section and table, so a spreadsheet
can filter it; facts are rows of two values. The HTML page is one file with its styles
inline, fit to attach to an email or open from disk.
"""

from __future__ import annotations

import csv
import html
import io

from pulse_reports.figures import Figures
from pulse_reports.layout import (
    STATUS_COLOURS,
    Bars,
    Facts,
    Line,
    Strips,
    Table,
    heading_line,
    percent,
    sections_of,
    status_word,
)


def render_csv(figures: Figures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["report", figures.title, heading_line(figures)])
    for section in sections_of(figures):
        for block in section.blocks:
            if isinstance(block, Facts):
                writer.writerows([section.name, block.title, label, value] for label, value in block.pairs)
            elif isinstance(block, Table):
                writer.writerow([section.name, block.title, *block.columns])
                writer.writerows([section.name, block.title, *row] for row in block.rows)
                if block.note:
                    writer.writerow([section.name, block.title, block.note])
            elif isinstance(block, Strips):
                writer.writerow([section.name, block.title, "Endpoint", *block.slot_labels])
                writer.writerows(
                    [section.name, block.title, name, *(_number(value) for value in values)]
                    for name, values in block.rows
                )
            elif isinstance(block, Line):
                writer.writerow([section.name, block.title, "", *block.slot_labels])
                writer.writerow(
                    [section.name, block.title, block.unit, *(_number(value) for value in block.values)]
                )
    return out.getvalue().encode("utf-8")


def render_html(figures: Figures) -> bytes:
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>{_e(figures.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(figures.title)}</h1><p class=\"meta\">{_e(heading_line(figures))}</p>",
    ]
    for section in sections_of(figures):
        parts.append(f"<section id=\"{section.name}\"><h2>{_e(section.heading)}</h2>")
        for block in section.blocks:
            parts.append(f"<h3>{_e(block.title)}</h3>")
            if isinstance(block, Facts):
                parts.append("<table class=\"facts\">")
                parts.extend(
                    f"<tr><th>{_e(label)}</th><td>{_word(value)}</td></tr>" for label, value in block.pairs
                )
                parts.append("</table>")
            elif isinstance(block, Bars):
                parts.extend(_bar(label, value) for label, value in block.bars)
            elif isinstance(block, Strips):
                parts.append(_strips(block))
            elif isinstance(block, Line):
                parts.append(_line(block))
            else:
                parts.append(_table(block))
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")


def _table(block: Table) -> str:
    if not block.rows:
        return "<p>none</p>"
    head = "".join(f"<th>{_e(column)}</th>" for column in block.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_word(value) if index == block.status_column else _e(value)}</td>"
            for index, value in enumerate(row)
        )
        + "</tr>"
        for row in block.rows
    )
    note = f"<p class=\"note\">{_e(block.note)}</p>" if block.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _number(value: float | None) -> str:
    """A figure as a spreadsheet reads it: two decimals, empty when there is none."""
    return "" if value is None else f"{value:.2f}"


def _strips(block: Strips) -> str:
    head = "".join(f"<th>{_e(label)}</th>" for label in block.slot_labels)
    rows = "".join(
        f"<tr><th>{_e(name)}</th>"
        + "".join(
            f"<td class=\"cell\" title=\"{_e(percent(value))} {status_word(value)}\" "
            f"style=\"background:{_rgb(status_word(value)) if value is not None else '#fff'}\">"
            f"{'' if value is None else f'{value:.0f}'}</td>"
            for value in values
        )
        + "</tr>"
        for name, values in block.rows
    )
    return f"<table class=\"strips\"><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _line(block: Line) -> str:
    """An SVG line of the values (breaks where a slot has none), then the values as a table."""
    known = [value for value in block.values if value is not None]
    if not known:
        return "<p>no round trips measured</p>"
    ceiling = max(known) * 1.1 or 1.0
    step = 600 / max(len(block.values) - 1, 1)
    runs, run = [], []
    for slot, value in enumerate([*block.values, None]):
        if value is None:
            if len(run) > 1:
                runs.append(" ".join(run))
            run = []
        else:
            run.append(f"{slot * step:.1f},{120 - 120 * value / ceiling:.1f}")
    lines = "".join(
        f"<polyline points=\"{points}\" fill=\"none\" stroke=\"#1e3c8c\" stroke-width=\"2\"/>"
        for points in runs
    )
    svg = (
        f"<svg class=\"line\" viewBox=\"0 0 600 120\" width=\"600\" height=\"120\" "
        f"role=\"img\" aria-label=\"{_e(block.title)}\"><rect width=\"600\" height=\"120\" "
        f"fill=\"none\" stroke=\"#b4b4b4\"/>{lines}</svg>"
    )
    table = Table(block.title, block.slot_labels, [[_number(value) for value in block.values]])
    return svg + f"<p class=\"note\">0 to {ceiling:.0f} {_e(block.unit)}</p>" + _table(table)


def _bar(label: str, availability: float | None) -> str:
    word = status_word(availability)
    length = 0.0 if availability is None else max(0.0, min(1.0, (availability - 90.0) / 10.0))
    return (
        f"<div class=\"bar\"><span class=\"label\">{_e(label)}</span>"
        f"<span class=\"track\"><span style=\"width:{length * 100:.1f}%;background:"
        f"{_rgb(word)}\"></span></span> {_e(percent(availability))} {_word(word)}</div>"
    )


def _word(value: str) -> str:
    if value not in STATUS_COLOURS:
        return _e(value)
    return f"<strong style=\"color:{_rgb(value)}\">{_e(value)}</strong>"


def _rgb(word: str) -> str:
    red, green, blue = STATUS_COLOURS[word]
    return f"rgb({red},{green},{blue})"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:2px 8px;text-align:left}thead th{background:#e1e6f0}"
    ".meta,.note{color:#555;font-size:.9em}.bar{margin:2px 0}.bar .label{display:inline-block;"
    "width:14em}.track{display:inline-block;width:20em;height:.8em;background:#f0f0f0;"
    "border:1px solid #b4b4b4}.track span{display:block;height:100%}"
    ".strips .cell{width:1.6em;color:#fff;font-size:.75em;text-align:center;padding:0}"
)
