"""A report as a PDF, as the rest of the plugin asks for it: what drawing one needs is
looked for first, and the drawing itself (:mod:`pulse_reports.render_pdf`) imported then.

fpdf2, with the PIL and fontTools it imports, takes 0.13-0.16 s of CPU to import: loaded
with the first PDF made, not with the plugin, which every ``pulse`` command loads.
"""

from __future__ import annotations

from pathlib import Path

from pulse_reports.figures import Figures

FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"


class PdfUnavailable(RuntimeError):
    """What a PDF needs is not installed: its font, or fpdf2."""


def render_pdf(figures: Figures) -> bytes:
    if not (FONT_FOLDER / "DejaVuSans.ttf").exists():
        raise PdfUnavailable(
            f"PDF reports use the DejaVu Sans font, not found in {FONT_FOLDER}: install it "
            "(Debian and Ubuntu: apt-get install fonts-dejavu-core)"
        )
    try:
        from pulse_reports.render_pdf import draw_pdf
    except ImportError as missing:
        raise PdfUnavailable(f"PDF reports are drawn with fpdf2: {missing}") from None
    return draw_pdf(figures)
