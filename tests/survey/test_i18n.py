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
    compiled = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert compiled == {_key(m.id): _key(m.string) for m in po if m.id}, "run pybabel compile"


def _key(value: Any) -> Any:
    """A message id or string as a hashable, comparable value (a plural entry's parts as a tuple)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_language_is_kept_in_the_session(client: Any) -> None:
    assert '<html lang="da">' in client.get("/kode").get_data(as_text=True)
    client.get("/sprog/en")
    page = client.get("/kode").get_data(as_text=True)
    assert '<html lang="en">' in page and "Enter your code" in page
    assert 'href="/sprog/da?next=/kode"' in page  # the link back to Danish, on the same page
    client.get("/sprog/da")
    assert "Indtast din kode" in client.get("/kode").get_data(as_text=True)


def test_dates_on_screen_follow_the_language(app: Any) -> None:
    """Dates are written the reader's way (issue 6): Danish "1. mar. 2027", English "Mar 1, 2027";
    no date is a dash, not "None"."""
    import datetime as dt

    from flask import render_template_string, session

    day = dt.date(2027, 3, 1)
    for lang, expected in (("da", "1. mar. 2027"), ("en", "Mar 1, 2027")):
        with app.test_request_context("/"):
            session["lang"] = lang
            assert render_template_string("{{ d | day }}|{{ n | day }}", d=day, n=None) == f"{expected}|–"


def test_the_language_link_comes_back_to_the_page(client: Any) -> None:
    """The header's language link keeps the page and its query; without a page to come back to (or
    with a foreign one) it leads a respondent to the start page."""
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    page = client.get("/kode?x=1").get_data(as_text=True)
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/sprog/en[^"]*)"', page)]
    assert len(hrefs) == 1
    assert parse_qs(urlsplit(hrefs[0]).query) == {"next": ["/kode?x=1"]}
    r = client.get("/sprog/en")
    assert r.status_code == 303 and r.headers["Location"].endswith("/start")
    for foreign in ("//evil.example/", "/%09/evil.example/x", "/%0d%0aSet-Cookie:x=1", "https://evil.example/"):
        r = client.get(f"/sprog/en?next={foreign}")
        assert r.status_code == 303 and r.headers["Location"].endswith("/start"), (foreign, r.headers)
        assert "Set-Cookie: x" not in str(r.headers)


def test_service_messages_are_marked_english_on_danish_pages(app: Any) -> None:
    """Services speak English (the CLI shares them). On a Danish page their message is marked
    lang="en" and escaped; on an English page it is plain text, escaped by the template."""
    from flask import render_template_string, session
    from flask_babel import gettext

    from survey.i18n import with_reason
    from survey.services import ServiceError

    exc = ServiceError("no wave '1999' <script>")
    with app.test_request_context("/"):
        session["lang"] = "da"
        html = render_template_string(
            "{{ m }}", m=with_reason(gettext("The wave was not created: %(reason)s"), exc)
        )
        assert html == (
            'Målingen blev ikke oprettet: <span lang="en">no wave &#39;1999&#39; &lt;script&gt;</span>'
        )
    with app.test_request_context("/"):
        session["lang"] = "en"
        html = render_template_string(
            "{{ m }}", m=with_reason(gettext("The wave was not created: %(reason)s"), exc)
        )
        assert html == "The wave was not created: no wave &#39;1999&#39; &lt;script&gt;"
