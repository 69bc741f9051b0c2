"""Hostile input to the respondent pages never gives a 500 and never writes partially; a database
error in the middle of a submit leaves neither a response without its used-mark nor the reverse."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.extensions import db as _db
from survey.models import Comment, Response
from survey.models_audit import UsedMark
from tests.survey.respond_flow import Respondent
from tests.survey.test_anonymity_attacks import _answer_all

HOSTILE_TEXT = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        [
            "' OR 1=1 --",
            "'; DROP TABLE responses; --",
            '"><script>alert(1)</script>',
            "{{ 7*7 }}",
            "\x00\x01\x02",
            "../../etc/passwd",
            "%s%s%s%n",
            "A" * 100_000,
            "ÆØÅ æøå 🙂",
            "1e309",
            "-1",
            "99999999999999999999999",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children, max_size=4),
    max_leaves=12,
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _counts() -> tuple[int, int, int]:
    def n(model: Any, *where: Any) -> int:
        return int(_db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))

    return n(Response), n(Comment), n(UsedMark)


@pytest.fixture()
def wave_ready(
    app: Flask, db: Any, make_units: Callable[..., None], make_wave: Callable[..., Any]
) -> Iterator[dict[str, Any]]:
    from survey.services import invitations

    app.config["WTF_CSRF_ENABLED"] = False  # the CSRF check would refuse everything before the views
    app.extensions["trivsel_limiter"].enabled = False
    make_units()
    make_wave()
    yield {
        "tokens": invitations.create_links("2025", "A", 3),
        "codes": invitations.create_codes("2025", "B", 1),
    }


@SETTINGS
@given(code=st.one_of(HOSTILE_TEXT, st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_code_entry_with_hostile_text(app: Flask, wave_ready: dict[str, Any], code: str) -> None:
    before = _counts()
    r = app.test_client().post("/kode", data={"code": code})
    assert r.status_code in (303, 400, 413, 422), r.status_code
    assert _counts() == before


@SETTINGS
@given(
    form=st.dictionaries(
        st.one_of(
            st.sampled_from(["state", "page", "action", "LED1", "KLAR1", "BUL_Q", "BUL_SRC"]), HOSTILE_TEXT
        ),
        st.one_of(HOSTILE_TEXT, JSON_VALUES.map(json.dumps)),
        max_size=8,
    ),
    action=st.sampled_from(["start", "next", "back", "submit", "lang-en", "lang-xx", "delete", ""]),
)
def test_answer_pages_with_hostile_forms(
    app: Flask, wave_ready: dict[str, Any], form: dict[str, str], action: str
) -> None:
    client = app.test_client()
    Respondent(client).open_link(wave_ready["tokens"][0])
    before = _counts()
    data = {"action": action, **form}
    r = client.post("/svar", data=data)
    assert r.status_code < 500, r.status_code
    after = _counts()
    # either nothing was written, or one complete submit: responses and used-mark together
    assert after == before or (after[0] == before[0] + 1 and after[2] == before[2] + 1), (before, after)


@SETTINGS
@given(state=JSON_VALUES, page=st.one_of(st.integers(-5, 100).map(str), HOSTILE_TEXT))
def test_submit_with_tampered_state(app: Flask, wave_ready: dict[str, Any], state: Any, page: str) -> None:
    client = app.test_client()
    Respondent(client).open_link(wave_ready["tokens"][1])
    before = _counts()
    r = client.post("/svar", data={"action": "submit", "page": page, "state": json.dumps(state)})
    assert r.status_code < 500
    after = _counts()
    assert after == before or (after[0] == before[0] + 1 and after[2] == before[2] + 1)


def test_oversized_form_is_refused_without_a_write(app: Flask, wave_ready: dict[str, Any]) -> None:
    client = app.test_client()
    Respondent(client).open_link(wave_ready["tokens"][0])
    before = _counts()
    r = client.post("/svar", data={"action": "submit", "page": "0", "state": "x" * (2 * 1024 * 1024)})
    assert r.status_code in (400, 413)  # over MAX_FORM_MEMORY_SIZE (1 MiB)
    assert _counts() == before


def test_database_failure_mid_submit_leaves_nothing_half_done(app: Flask, wave_ready: dict[str, Any]) -> None:
    """The INSERT of the response fails after the used-mark was written in the same transaction:
    neither stays, the respondent sees the error page, and the same invitation then works."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # render the 500 page as in production
    fail = {"on": True}

    def inject(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fail["on"] and statement.lstrip().upper().startswith("INSERT INTO RESPONSES"):
            raise RuntimeError("injected failure")

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", inject)
    try:
        client = app.test_client()
        token = wave_ready["tokens"][2]
        with pytest.raises(AssertionError, match=r"^\(500, "):  # the journey ends on the 500 page
            _answer_all(client, token=token)
        assert _counts() == (0, 0, 0)
        fail["on"] = False
        _answer_all(app.test_client(), token=token)
        assert _counts()[0] == 1
        assert _counts()[2] == 1  # one used-mark
    finally:
        sa.event.remove(engine, "before_cursor_execute", inject)
