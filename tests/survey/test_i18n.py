"""The Danish catalogue is complete and compiled; the language choice is kept in the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "survey" / "translations"


def test_every_message_has_a_danish_translation_and_the_mo_is_current() -> None:
    with open(TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.po", "rb") as f:
        po = read_po(f, locale="da")
    with open(TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = read_mo(f)
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        pot = read_po(f)
    template_ids = {m.id for m in pot if m.id}
    po_ids = {m.id for m in po if m.id}
    assert template_ids <= po_ids, f"run pybabel update: {sorted(template_ids - po_ids)[:3]}"
    untranslated = [m.id for m in po if m.id and not m.string]
    assert untranslated == []
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert fuzzy == []
    compiled = {m.id: m.string for m in mo if m.id}
    assert compiled == {m.id: m.string for m in po if m.id}, "run pybabel compile"


def test_language_is_kept_in_the_session(client: Any) -> None:
    assert '<html lang="da">' in client.get("/kode").get_data(as_text=True)
    client.get("/sprog/en")
    page = client.get("/kode").get_data(as_text=True)
    assert '<html lang="en">' in page and "Enter your code" in page
    assert 'href="/sprog/da?next=/kode"' in page  # the link back to Danish, on the same page
    client.get("/sprog/da")
    assert "Indtast din kode" in client.get("/kode").get_data(as_text=True)
