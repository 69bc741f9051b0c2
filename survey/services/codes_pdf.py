"""One-time code slips as a PDF: one slip (A6 page) per code, with a QR code of the answering link.

Each slip says in Danish and English how to answer and that the code is anonymous. The codes are
created with :func:`survey.services.invitations.create_codes`; the PDF is the only place they exist
in plain text, so it is returned to the caller and never stored.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import segno
from fpdf import FPDF

from survey.services.invitations import check_unit_sizes, create_codes, normalise_code

SLIP_TEXT_DA = (
    "Sådan svarer du: scan QR-koden, eller gå til {url} og skriv koden. "
    "Koden kan bruges én gang. Den er anonym: den er ikke knyttet til dit navn, "
    "og ingen kan se, hvad du har svaret."
)
SLIP_TEXT_EN = (
    "How to answer: scan the QR code, or go to {url} and enter the code. "
    "The code works once. It is anonymous: it is not linked to your name, "
    "and no one can see what you answered."
)


def _qr_png(data: str) -> io.BytesIO:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=8, border=2)
    buf.seek(0)
    return buf


def render_slips(
    codes: Sequence[str], *, unit_name: str, wave_label: str, code_url: str, link_for: Callable[[str], str]
) -> bytes:
    """A PDF with one A6 page per code. ``link_for(code)`` is the URL the QR code holds."""
    pdf = FPDF(orientation="P", unit="mm", format=(105, 148))  # A6
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Trivsel {wave_label}: {unit_name}")
    pdf.set_creator("Trivsel")
    width = 105 - 2 * 8
    for code in codes:
        pdf.add_page()
        pdf.set_margins(8, 8, 8)
        pdf.set_xy(8, 8)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(
            width, 6, "Trivselsundersøgelse / Well-being survey", align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width, 5, f"{wave_label} · {unit_name}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.image(_qr_png(link_for(code)), x=(105 - 38) / 2, y=pdf.get_y() + 2, w=38, h=38)
        pdf.set_y(pdf.get_y() + 42)
        pdf.set_font("Courier", "B", 17)
        pdf.cell(width, 9, code, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 8.5)
        pdf.multi_cell(width, 4.2, SLIP_TEXT_DA.format(url=code_url), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(width, 4.2, SLIP_TEXT_EN.format(url=code_url), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def code_slips_pdf(
    wave_label: str,
    unit_id: str,
    count: int,
    *,
    unit_name: str,
    code_url: str,
    link_base: str,
    confirm_small: bool = False,
) -> bytes:
    """Create ``count`` codes for a unit (committed) and return their slips as a PDF.

    ``link_base`` + the normalised code is the QR code's URL (``https://host/r/``). A unit left with
    fewer than ``k_min`` invitations is refused unless ``confirm_small``
    (:func:`survey.services.invitations.check_unit_sizes`).
    """
    from survey.services.waves import get_wave

    check_unit_sizes(get_wave(wave_label).id, {unit_id: count}, confirmed=confirm_small)
    codes = create_codes(wave_label, unit_id, count)
    return render_slips(
        codes,
        unit_name=unit_name,
        wave_label=wave_label,
        code_url=code_url,
        link_for=lambda c: link_base + (normalise_code(c) or c),
    )
