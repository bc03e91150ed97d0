"""A report as a PDF, drawn with fpdf2 (imported with the first PDF made: see
:mod:`pulse_reports.pdf`).

fpdf2 because it is pure Python (nothing to install beside it), draws vector graphics (the
bars stay sharp when printed or zoomed) and needs no browser to lay out a page. Tables repeat
their header on every page they run onto; every page carries its number; a status is written
as a word and coloured, so a page printed in black and white still says it.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from pulse_reports.figures import Figures
from pulse_reports.layout import (
    STATUS_COLOURS,
    Bars,
    Block,
    Facts,
    Line,
    Strips,
    Table,
    heading_line,
    percent,
    sections_of,
    status_word,
)
from pulse_reports.pdf import FONT, FONT_FOLDER

HEADER_FILL = (225, 230, 240)
#: Room a section heading needs below it for the first lines of what it introduces.
KEEP_WITH_HEADING_MM = 40.0


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")


def draw_pdf(figures: Figures) -> bytes:
    """The PDF of ``figures``, its font known to be installed (``pdf.render_pdf``)."""
    document = _Document(orientation="portrait", unit="mm", format="A4")
    document.set_auto_page_break(auto=True, margin=16)
    document.add_font(FONT, "", str(FONT_FOLDER / "DejaVuSans.ttf"))
    document.add_font(FONT, "B", str(FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    document.set_title(figures.title)
    document.set_creator("Pulse")
    document.add_page()
    document.set_font(FONT, "B", 16)
    document.cell(0, 9, figures.title, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT, size=9)
    document.multi_cell(0, 5, heading_line(figures), new_x="LMARGIN", new_y="NEXT")
    for section in sections_of(figures):
        if document.will_page_break(KEEP_WITH_HEADING_MM):  # no heading alone at a page's foot
            document.add_page()
        document.ln(4)
        document.set_font(FONT, "B", 13)
        document.set_text_color(0, 0, 0)
        document.cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
        for block in section.blocks:
            _draw(document, block)
    return bytes(document.output())


def _draw(document: FPDF, block: Block) -> None:
    document.set_font(FONT, "B", 10)
    document.set_text_color(0, 0, 0)
    document.ln(2)
    document.cell(0, 6, block.title, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT, size=8)
    if isinstance(block, Facts):
        _facts(document, block)
    elif isinstance(block, Bars):
        _bars(document, block)
    elif isinstance(block, Strips):
        _strips(document, block)
    elif isinstance(block, Line):
        _line(document, block)
    else:
        _table(document, block)


def _facts(document: FPDF, block: Facts) -> None:
    with document.table(
        col_widths=(40, 60), width=100, align="LEFT", first_row_as_headings=False,
        text_align="LEFT",
    ) as table:
        for label, value in block.pairs:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value, style=_status_style(value) if value in STATUS_COLOURS else None)


def _bars(document: FPDF, block: Bars) -> None:
    """One horizontal bar per group, its length the availability from 90 to 100 % (where the
    differences that matter are), its colour and the word after it its status."""
    label_w, bar_w, height = 45.0, 100.0, 5.0
    left = document.l_margin
    for label, availability in block.bars:
        y = _start_row(document, label, label_w, height, height + 1.5)
        document.set_draw_color(180, 180, 180)
        document.set_fill_color(240, 240, 240)
        document.rect(left + label_w, y + 0.5, bar_w, height - 1, style="DF")
        word = status_word(availability)
        if availability is not None:
            document.set_fill_color(*STATUS_COLOURS[word])
            length = bar_w * max(0.0, min(1.0, (availability - 90.0) / 10.0))
            document.rect(left + label_w, y + 0.5, max(length, 0.3), height - 1, style="F")
        document.set_xy(left + label_w + bar_w + 2, y)
        document.cell(40, height, f"{percent(availability)} {word}")
        document.set_y(y + height + 1.5)
    document.set_fill_color(255, 255, 255)
    document.set_draw_color(0, 0, 0)
    document.set_font(FONT, size=7)
    document.cell(0, 4, "bars run from 90 % (empty) to 100 % (full)", new_x="LMARGIN", new_y="NEXT")


#: Strokes over a strip's cell, so its status reads without colour (a page printed in black
#: and white turns green and red into the same grey).
_STROKES = {"good": 0, "degraded": 1, "poor": 2, "no data": 0}


def _strips(document: FPDF, block: Strips) -> None:
    """A row of cells per endpoint, one per slot, coloured and stroked by its status."""
    label_w, strip_w, height = 45.0, 130.0, 4.5
    left = document.l_margin
    cell_w = strip_w / max(len(block.slot_labels), 1)
    for name, values in block.rows:
        y = _start_row(document, name, label_w, height, height + 12)
        for slot, availability in enumerate(values):
            x = left + label_w + slot * cell_w
            word = status_word(availability)
            document.set_draw_color(150, 150, 150)
            if availability is None:
                document.rect(x, y + 0.5, cell_w, height - 1, style="D")
            else:
                document.set_fill_color(*STATUS_COLOURS[word])
                document.rect(x, y + 0.5, cell_w, height - 1, style="DF")
            document.set_draw_color(255, 255, 255)
            if _STROKES[word] >= 1:
                document.line(x, y + height - 0.5, x + cell_w, y + 0.5)
            if _STROKES[word] >= 2:
                document.line(x, y + 0.5, x + cell_w, y + height - 0.5)
        document.set_y(y + height + 0.5)
    _time_axis(document, left + label_w, strip_w, block.slot_labels)
    document.set_draw_color(0, 0, 0)
    document.set_fill_color(255, 255, 255)
    document.set_font(FONT, size=7)
    document.cell(
        0, 4,
        "cells: plain = good (99.9 % or more), one stroke = degraded (99 % or more), "
        "crossed = poor, empty = no data",
        new_x="LMARGIN", new_y="NEXT",
    )


def _line(document: FPDF, block: Line) -> None:
    """The values as a line in a box from 0 to a little above the largest; a slot without a
    value breaks the line rather than drawing through it."""
    left, width, height = document.l_margin + 12, 160.0, 40.0
    if document.will_page_break(height + 12):
        document.add_page()
    top = document.get_y() + 1
    known = [value for value in block.values if value is not None]
    if not known:
        document.cell(0, 5, "no round trips measured", new_x="LMARGIN", new_y="NEXT")
        return
    ceiling = max(known) * 1.1 or 1.0
    document.set_draw_color(180, 180, 180)
    document.rect(left, top, width, height, style="D")
    document.set_font(FONT, size=7)
    document.set_xy(document.l_margin, top - 1)
    document.cell(12, 4, f"{ceiling:.0f} {block.unit}")
    document.set_xy(document.l_margin, top + height - 3)
    document.cell(12, 4, f"0 {block.unit}")
    step = width / max(len(block.values) - 1, 1)
    document.set_draw_color(30, 60, 140)
    document.set_line_width(0.4)
    run: list[tuple[float, float]] = []
    for slot, value in enumerate([*block.values, None]):
        if value is None:
            if len(run) > 1:
                document.polyline(run)
            run = []
            continue
        run.append((left + slot * step, top + height - height * value / ceiling))
    document.set_line_width(0.2)
    document.set_draw_color(0, 0, 0)
    document.set_y(top + height + 0.5)
    _time_axis(document, left, width, block.slot_labels)


def _time_axis(document: FPDF, left: float, width: float, labels: list[str]) -> None:
    """The first, middle and last slot's start under a strip or a line."""
    document.set_font(FONT, size=7)
    y = document.get_y()
    label_w = 30.0
    if labels:
        for fraction, label, align, shift in (
            (0.0, labels[0], "L", 0.0),
            (0.5, labels[len(labels) // 2], "C", label_w / 2),
            (1.0, labels[-1], "R", label_w),
        ):
            document.set_xy(left + width * fraction - shift, y)
            document.cell(label_w, 4, label, align=align)
    document.set_xy(document.l_margin, y + 4)
    document.set_font(FONT, size=8)


def _start_row(document: FPDF, label: str, label_w: float, height: float, keep: float) -> float:
    """Begin a labelled row of a chart, on a new page unless ``keep`` mm still fit (a strip's
    last row keeps its time axis with it); the row's top."""
    if document.will_page_break(keep):
        document.add_page()
    y = document.get_y()
    document.set_xy(document.l_margin, y)
    document.cell(label_w, height, label[:32])
    return y


def _table(document: FPDF, block: Table) -> None:
    if not block.rows:
        document.cell(0, 5, "none", new_x="LMARGIN", new_y="NEXT")
        return
    with document.table(
        col_widths=block.widths or None,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
        text_align="LEFT",
        repeat_headings=1,
        line_height=4.5,
    ) as table:
        table.row(block.columns)
        for values in block.rows:
            row = table.row()
            for index, value in enumerate(values):
                row.cell(value, style=_status_style(value) if index == block.status_column else None)
    if block.note:
        document.set_font(FONT, size=7)
        document.cell(0, 5, block.note, new_x="LMARGIN", new_y="NEXT")


def _status_style(word: str) -> FontFace:
    return FontFace(emphasis="BOLD", color=STATUS_COLOURS.get(word, (0, 0, 0)))
