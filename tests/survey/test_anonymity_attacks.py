"""One test per anonymity threat in docs/anonymity.md: each plays the attacker against stored data.

The database tests run on SQLite by default and on PostgreSQL with ``TRIVSEL_TEST_DATABASE_URL``;
the transaction-id (``xmin``) and physical-order (``ctid``) attacks exist only on PostgreSQL and are
played there (on SQLite the matching check is that the tables have no ``rowid``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from survey import create_app
from survey.extensions import db as _db
from survey.models import Comment, Invitation, Response
from survey.models_audit import UsedMark
from survey.services.answering import used_mark
from survey.services.invitations import hash_token
from tests.survey.respond_flow import Respondent

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example"


def _answer_all(client: Any, *, token: str | None = None, code: str | None = None) -> None:
    """A complete journey through the web: every page answered with its first option, then submit."""
    r = Respondent(client)
    (r.open_link(token) if token else r.enter_code(code or ""))
    assert r.status == 200, r.html[:300]
    r.post("start")
    for _ in range(60):
        if r.hidden("page") is None:
            break
        answers: dict[str, Any] = {}
        for tag_name in sorted(set(_radio_names(r.html)) - set(r.current_answers())):
            answers[tag_name] = _first_value(r.html, tag_name)
        r.post("submit" if _is_review(r) else "next", answers)
        assert r.status == 200, (r.status, r.html[:500])
    assert r.hidden("page") is None and r.hidden("state") is None  # the thank-you page


def _radio_names(html: str) -> list[str]:
    import re

    return re.findall(r'<input[^>]*type="radio"[^>]*name="([^"]*)"', html) + re.findall(
        r'<input[^>]*name="([^"]*)"[^>]*type="radio"', html
    )


def _first_value(html: str, name: str) -> str:
    import re

    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            m = re.search(r'value="([^"]*)"', tag)
            if m:
                return m.group(1)
    raise AssertionError(f"no value for {name}")


def _is_review(r: Respondent) -> bool:
    return 'value="submit"' in r.html


@pytest.fixture()
def separate_app(database_url: str, tmp_path: Path) -> Any:
    """The application with ``TRIVSEL_USED_MARKS = "separate"`` (the xmin/ctid defence)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "TRIVSEL_USED_MARKS": "separate",
        }
    )
    yield app
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                if table.name == "units":
                    conn.execute(table.update().values(parent_id=None))
                conn.execute(table.delete())
        _db.engine.dispose()


def _setup(n: int, kind: str = "link") -> list[str]:
    import questionnaires
    from survey.services import invitations, waves
    from survey.services.units import UnitRow, replace_units

    replace_units([UnitRow("U", None, "Org", 0), UnitRow("A", "U", "A", n)])
    waves.create_wave("2025", [questionnaires.load_file(EXAMPLE / "questionnaire.yaml")])
    waves.open_wave("2025")
    if kind == "code":
        return invitations.create_codes("2025", "A", n)
    return invitations.create_links("2025", "A", n, emails=[f"p{i}@example.org" for i in range(n)])


def test_no_column_links_a_response_to_an_invitation(db: Any) -> None:
    """Threat: a DBA joins responses to invitations. Nothing to join on, no time, IP or user agent."""
    assert {c.name for c in Response.__table__.columns} == {
        "id",
        "wave_id",
        "unit_id",
        "questionnaire_id",
        "language",
        "answers",
    }
    assert {c.name for c in Comment.__table__.columns} == {
        "id",
        "wave_id",
        "unit_id",
        "questionnaire_id",
        "item_id",
        "text",
    }
    assert {c.name for c in UsedMark.__table__.columns} == {"mark", "wave_id", "unit_id"}
    for table in (Response.__table__, Comment.__table__, UsedMark.__table__, Invitation.__table__):
        types = {type(c.type).__name__ for c in table.columns}
        assert not types & {"DateTime", "Time", "Date", "TIMESTAMP"}, table.name
        assert not {c.name for c in table.columns} & {"ip", "user_agent", "created_at", "invitation_id"}


def test_response_keys_are_random_and_no_insertion_order_on_sqlite(
    separate_app: Flask,
) -> None:
    with separate_app.app_context():
        tokens = _setup(6)
        client = separate_app.test_client()
        for t in tokens:
            _answer_all(client, token=t)
        ids = list(_db.session.scalars(sa.select(Response.id)))
        assert len(ids) == 6 and all(i.version == 4 for i in ids)  # random UUIDs, not a sequence
        if _db.engine.dialect.name == "sqlite":
            for table in ("responses", "comments", "used_marks"):
                with pytest.raises(sa.exc.OperationalError, match="rowid"):
                    _db.session.execute(sa.text(f"SELECT rowid FROM {table}"))
                _db.session.rollback()


def test_used_mark_cannot_be_joined_to_the_invitation(separate_app: Flask) -> None:
    """The mark is a hash under another prefix: it equals no stored token hash, and the invitation
    rows are not changed at all by a submit (still ``used = false``, same values)."""
    with separate_app.app_context():
        tokens = _setup(4)
        before = _db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.used)).all()
        client = separate_app.test_client()
        for t in tokens[:3]:
            _answer_all(client, token=t)
        marks = set(_db.session.scalars(sa.select(UsedMark.mark)))
        hashes = set(_db.session.scalars(sa.select(Invitation.token_hash)))
        assert len(marks) == 3 and not marks & hashes
        assert marks == {used_mark(t) for t in tokens[:3]} and used_mark(tokens[0]) != hash_token(tokens[0])
        after = _db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.used)).all()
        assert sorted(after) == sorted(before)
        # the invitation still cannot be used twice: the mark refuses it
        again = Respondent(separate_app.test_client())
        again.open_link(tokens[0])
        assert again.status == 409


def _pg_stamps(table: str) -> list[tuple[str, int]]:
    rows = _db.session.execute(sa.text(f"SELECT ctid::text, xmin::text::bigint FROM {table}")).all()
    return [(str(c), int(x)) for c, x in rows]


def test_postgresql_xmin_and_ctid_do_not_pair_response_and_invitation(
    separate_app: Flask, database_url: str
) -> None:
    """Threat: in PostgreSQL a row's ``xmin`` is the id of the transaction that wrote it, and ``ctid``
    its physical position. With the used-mark in the invitation row, the invitation and its response
    share one ``xmin`` (shown by the second half of this test); with separate marks no invitation row
    is written by a submit, so no invitation's ``xmin`` equals any response's."""
    with separate_app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("xmin/ctid exist only in PostgreSQL (run with TRIVSEL_TEST_DATABASE_URL)")
        tokens = _setup(5)
        client = separate_app.test_client()
        inv_before = sorted(_pg_stamps("invitations"))
        for t in reversed(tokens):  # answer in the opposite order of creation
            _answer_all(client, token=t)
        inv_after = sorted(_pg_stamps("invitations"))
        assert inv_after == inv_before  # no invitation row got a new version (ctid) or xmin
        response_x = {x for _, x in _pg_stamps("responses")}
        assert len(response_x) == 5 and not response_x & {x for _, x in inv_after}
    # the attack works when the mark lives in the invitation row (the default mode): it is real
    app2 = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app2.app_context():
        from survey.services import invitations

        token = invitations.create_links("2025", "A", 1)[0]
        _answer_all(app2.test_client(), token=token)
        inv_x = dict(
            _db.session.execute(sa.text("SELECT token_hash, xmin::text::bigint FROM invitations")).all()
        )
        assert inv_x[hash_token(token)] in {x for _, x in _pg_stamps("responses")}
        _db.engine.dispose()


def test_tokens_and_codes_never_reach_the_logs(
    app: Flask,
    client: Any,
    make_units: Callable[..., None],
    make_wave: Callable[..., Any],
    make_invitation: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_units()
    make_wave()
    token, code = make_invitation(), make_invitation(kind="code")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /r/%s HTTP/1.1" 303 -', token)
    _answer_all(client, token=token)
    _answer_all(app.test_client(), code=code)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the werkzeug line above was captured (redacted)
    for secret in (token, code, code.replace("-", ""), hash_token(token)):
        assert secret not in text


def _frontier(v: str, children: dict[str | None, list[str]], shown: set[str]) -> list[str]:
    """The published units just below ``v``, looking through hidden ones (statistics.md D, F(v))."""
    out: list[str] = []
    for c in children.get(v, []):
        out += [c] if c in shown else _frontier(c, children, shown)
    return out


def test_suppressed_groups_are_not_derivable_by_subtraction(tmp_path: Path) -> None:
    """Threat: differencing across the hierarchy. For every published unit v and every statistic,
    what subtraction gives - n_v minus the published units just below v (looking through hidden ones) -
    is 0 or at least k_diff, so no hidden group smaller than k_diff has its mean exposed
    (statistics.md D, checked here independently of the suppression code)."""
    from analysis.cli import analyse

    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        analyse,
        [
            "--units",
            str(EXAMPLE / "units.csv"),
            "--responses",
            str(EXAMPLE / "responses.csv"),
            "--questionnaire",
            str(EXAMPLE / "questionnaire.yaml"),
            "--wave",
            "2025",
            "--baseline",
            "2023",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    k_diff = report["settings"]["k_diff"]
    units = {u["unit_id"]: u for u in report["units"]}
    children: dict[str | None, list[str]] = {}
    for u in report["units"]:
        children.setdefault(u["parent_id"], []).append(u["unit_id"])
    hidden = {uid for uid, u in units.items() if not u["published"]}
    assert hidden == {"FSY", "FVE"}  # FVE n=3 primary; FSY hidden with it (FIL: 18 - 9 = 9 >= 5)
    # no statistic of a hidden unit is in the report
    assert not {s["unit_id"] for s in report["scores"]} & hidden
    stats: dict[tuple[str, str], dict[str, int]] = {}
    for s in report["scores"]:
        if s.get("n") is not None and s.get("mean") is not None:
            stats.setdefault((s["kind"], s["id"]), {})[s["unit_id"]] = s["n"]
    assert stats
    for (kind, sid), ns in stats.items():
        for v, n_v in ns.items():
            front = _frontier(v, children, set(ns))
            residual = n_v - sum(ns[c] for c in front)
            assert residual == 0 or residual >= k_diff, (kind, sid, v, residual)


def test_restamp_breaks_the_xmin_pairing_of_the_default_mode(
    app: Flask, db: Any, runner: Any, database_url: str
) -> None:
    """Default mode (used flag in the invitation row): the attack works until ``trivsel privacy
    restamp`` rewrites all invitation rows in one transaction; then no invitation ``xmin`` equals a
    response's, and all invitations share one ``xmin``. On SQLite the command empties the WAL."""
    tokens = _setup(4)
    client = app.test_client()
    for t in tokens[:3]:
        _answer_all(client, token=t)
    if db.engine.dialect.name == "postgresql":
        response_x = {x for _, x in _pg_stamps("responses")}
        db.session.commit()
        assert {x for _, x in _pg_stamps("invitations")} & response_x  # the attack works ...
        db.session.commit()
        r = runner.invoke(args=["privacy", "restamp"])
        assert r.exit_code == 0 and "Restamped 4 rows" in r.output, r.output
        inv_x = {x for _, x in _pg_stamps("invitations")}
        assert len(inv_x) == 1 and not inv_x & response_x  # ... and no longer
        assert db.session.scalar(sa.select(sa.func.count()).where(Invitation.used.is_(True))) == 3
    else:
        wal = Path(sa.make_url(database_url).database + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        db.session.commit()
        db.session.close()
        r = runner.invoke(args=["privacy", "restamp"])
        assert r.exit_code == 0, r.output
        assert wal.stat().st_size == 0
