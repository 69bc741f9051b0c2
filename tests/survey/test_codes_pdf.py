"""Code slips: one A6 page per code, a QR code of the code's link, Danish and English text."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
import segno


def _text(pdf: bytes) -> bytes:
    out = b""
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(m.group(1))
        except zlib.error:
            continue
    return out


def test_render_slips_one_page_per_code() -> None:
    from survey.services.codes_pdf import render_slips

    codes = ["ABCD-2345-WXYZ", "0123-4567-89AB", "CDEF-GHJK-MNPQ"]
    pdf = render_slips(
        codes,
        unit_name="Afdeling Æ",
        wave_label="2025",
        code_url="https://t.dk/kode",
        link_for=lambda c: "https://t.dk/r/" + c.replace("-", ""),
    )
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 3
    assert re.search(rb"/MediaBox \[0 0 297.64 419.53\]", pdf)  # A6: 105 x 148 mm at 72/25.4 pt per mm
    text = _text(pdf)
    assert [c.encode() for c in codes] == re.findall(rb"\(([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\) Tj", text)
    assert "Afdeling Æ".encode("latin-1") in text
    assert b"anonym:" in text and b"anonymous:" in text
    assert b"https://t.dk/kode" in text


def test_qr_code_image_is_the_qr_code_of_the_link() -> None:
    """Read the PNG's modules back (8 px per module, 2 modules border) and compare them with segno's
    matrix for the link; a different link gives a different matrix (no QR decoder is installed)."""
    import io

    from PIL import Image

    from survey.services import codes_pdf

    link = "https://t.dk/r/ABCD2345WXYZ"
    image = Image.open(io.BytesIO(codes_pdf._qr_png(link).getvalue())).convert("L")
    expected = [list(row) for row in segno.make(link, error="m").matrix]
    size = len(expected)
    assert image.size == ((size + 4) * 8, (size + 4) * 8)
    read = [
        [1 if image.getpixel(((x + 2) * 8 + 4, (y + 2) * 8 + 4)) < 128 else 0 for x in range(size)]
        for y in range(size)
    ]
    assert read == expected
    other = [list(row) for row in segno.make(link + "X", error="m").matrix]
    assert read != other


def test_code_slips_pdf_creates_the_codes(db: Any, make_units: Any, make_wave: Any) -> None:
    import sqlalchemy as sa

    from survey.models import Invitation
    from survey.services.answering import TokenState, lookup
    from survey.services.codes_pdf import code_slips_pdf
    from survey.services.invitations import SmallUnits, normalise_code

    make_units()
    make_wave("2025", status="open")
    kw = {"unit_name": "Afdeling B", "code_url": "https://t.dk/kode", "link_base": "https://t.dk/r/"}
    # two codes would leave B with 2 < k_min = 5 invitations: refused unless HR confirms
    with pytest.raises(SmallUnits, match=r"B \(2\)"):
        code_slips_pdf("2025", "B", 2, **kw)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    pdf = code_slips_pdf("2025", "B", 2, confirm_small=True, **kw)
    codes = re.findall(rb"\(([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\) Tj", _text(pdf))
    assert len(codes) == 2
    for c in codes:
        assert lookup(normalise_code(c.decode()) or "").state is TokenState.OK
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 2
