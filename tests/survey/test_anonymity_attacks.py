"""One test per anonymity threat in docs/anonymity.md: each plays the attacker against stored data.

The database tests run on SQLite by default and on PostgreSQL with ``TRIVSEL_TEST_DATABASE_URL``;
the transaction-id (``xmin``) and physical-order (``ctid``) attacks exist only on PostgreSQL and are
played there (on SQLite the matching checks are that the tables have no ``rowid`` and that the
write-ahead log is emptied).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from survey.extensions import db as _db
from survey.models import Comment, Invitation, Response, Wave
from survey.models_audit import UsedMark
from survey.services import Conflict, marks
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


def test_response_keys_are_random_and_no_insertion_order_on_sqlite(app: Flask, db: Any) -> None:
    tokens = _setup(6)
    client = app.test_client()
    for t in tokens:
        _answer_all(client, token=t)
    ids = list(db.session.scalars(sa.select(Response.id)))
    assert len(ids) == 6 and all(i.version == 4 for i in ids)  # random UUIDs, not a sequence
    if db.engine.dialect.name == "sqlite":
        for table in ("responses", "comments", "used_marks"):
            with pytest.raises(sa.exc.OperationalError, match="rowid"):
                db.session.execute(sa.text(f"SELECT rowid FROM {table}"))
            db.session.rollback()


def _all_stored_values() -> list[list[str]]:
    """Every row of every table as a list of text values (what a DBA can read)."""
    rows: list[list[str]] = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(sa.select(table)):
            rows.append(
                [json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else str(v) for v in row]
            )
    return rows


def test_used_mark_cannot_be_recomputed_from_the_database(app: Flask, db: Any) -> None:
    """Threat: a DBA with only the database tries to tell which invitation a used-mark belongs to.
    The mark is an HMAC under a key that is nowhere in the database: no mark equals a SHA-256 of any
    stored value or pair of values of one row, nor the mark construction keyed with any stored value;
    neither the key nor SECRET_KEY is stored. The application (holding the key) finds the marks; the
    invitation rows are not changed by a submit, and the invitation cannot be used twice."""
    tokens = _setup(4)
    before = db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.email)).all()
    client = app.test_client()
    for t in tokens[:3]:
        _answer_all(client, token=t)
    wave_id = db.session.scalar(sa.select(Wave.id))
    stored_marks = set(db.session.scalars(sa.select(UsedMark.mark)))
    by_token = dict(db.session.execute(sa.select(Invitation.token_hash, Invitation.id)).all())
    # the application recomputes exactly the marks of the three used invitations
    assert stored_marks == {marks.mark_for(wave_id, by_token[hash_token(t)]) for t in tokens[:3]}
    after = db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.email)).all()
    assert sorted(after) == sorted(before)
    rows = _all_stored_values()
    text = "\n".join("\t".join(r) for r in rows)
    key = marks.mark_key()
    for secret in (key.hex(), app.config["SECRET_KEY"], hashlib.sha256(key).hexdigest()):
        assert secret not in text
    values = sorted({v for r in rows for v in r})
    candidates = set(values)
    for r in rows:
        for a, b in itertools.permutations(r, 2):
            candidates.update({a + b, f"{a}\0{b}", f"{a}:{b}"})
    sha = {hashlib.sha256(c.encode()).hexdigest() for c in candidates}
    assert not stored_marks & sha
    ids = list(by_token.values())
    messages = [f"used-mark\0{wave_id}\0{i}".encode() for i in ids]
    keyed = {
        hmac.new(k, m, hashlib.sha256).hexdigest()
        for v in values
        for k in (v.encode(), marks.derive_key(v.encode()))
        for m in messages
    }
    assert not stored_marks & keyed
    again = Respondent(app.test_client())
    again.open_link(tokens[0])
    assert again.status == 404  # used: refused like an unknown link (threat 17)


def _pg_stamps(table: str) -> list[tuple[str, int]]:
    rows = _db.session.execute(sa.text(f"SELECT ctid::text, xmin::text::bigint FROM {table}")).all()
    return [(str(c), int(x)) for c, x in rows]


def test_postgresql_xmin_and_ctid_do_not_pair_response_and_invitation(app: Flask, db: Any) -> None:
    """Threat: in PostgreSQL a row's ``xmin`` is the id of the transaction that wrote it, and ``ctid``
    its physical position. A submit writes no invitation row (the used-mark is a keyed row of its
    own), so every invitation keeps its ``xmin`` and ``ctid`` and no response's ``xmin`` equals any
    invitation's."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin/ctid exist only in PostgreSQL (run with TRIVSEL_TEST_DATABASE_URL)")
    tokens = _setup(5)
    client = app.test_client()
    inv_before = sorted(_pg_stamps("invitations"))
    db.session.commit()
    for t in reversed(tokens):  # answer in the opposite order of creation
        _answer_all(client, token=t)
    inv_after = sorted(_pg_stamps("invitations"))
    assert inv_after == inv_before  # no invitation row got a new version (ctid) or xmin
    response_x = {x for _, x in _pg_stamps("responses")}
    assert len(response_x) == 5 and not response_x & {x for _, x in inv_after}
    # what the response's xmin does point to is its anonymous used-mark
    mark_x = {x for _, x in _pg_stamps("used_marks")}
    assert mark_x == response_x


def _compose(sent: list[tuple[str, str]]) -> Callable[[str, str], EmailMessage]:
    def compose(address: str, token: str) -> EmailMessage:
        sent.append((address, token))
        msg = EmailMessage()
        msg["To"], msg["From"], msg["Subject"] = address, "trivsel@example.org", "Trivsel"
        msg.set_content("link")
        return msg

    return compose


def test_reminders_go_only_to_unused_invitations_and_a_rotated_token_stays_refused(
    app: Flask, db: Any
) -> None:
    """Threat: reminders without knowing who answered either skip everyone or let people answer twice.
    The application tells used from unused invitations by their keyed marks: a reminder gives a new
    link to the unused ones only; old links stop working; a new token for an invitation that was
    used (a reminder racing the submit) is refused as "used"."""
    from survey.services import invitations

    _setup(5)
    sent: list[tuple[str, str]] = []
    assert invitations.send_links("2025", _compose(sent)) == 5
    first = dict(sent)
    client = app.test_client()
    for address in ("p0@example.org", "p3@example.org"):
        _answer_all(client, token=first[address])
    assert invitations.pending_link_count("2025") == 3
    sent.clear()
    assert invitations.send_links("2025", _compose(sent)) == 3
    reminder = dict(sent)
    assert sorted(reminder) == ["p1@example.org", "p2@example.org", "p4@example.org"]
    old = Respondent(app.test_client())
    old.open_link(first["p1@example.org"])
    assert old.status == 404  # the link before the reminder no longer works
    _answer_all(app.test_client(), token=reminder["p1@example.org"])
    # a reminder that raced a submit: the used invitation of p0 gets a new token anyway
    raced = invitations.new_link_token()
    db.session.execute(
        sa.update(Invitation).where(Invitation.email == "p0@example.org").values(token_hash=hash_token(raced))
    )
    db.session.commit()
    for token in (raced, reminder["p1@example.org"]):
        again = Respondent(app.test_client())
        again.open_link(token)
        assert again.status == 404, token  # used: refused like an unknown link
    assert invitations.counts("2025") == {"A": (5, 3)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 3


def test_closing_scrambles_the_marks_and_keeps_the_counts(app: Flask, db: Any) -> None:
    """Threat: after the wave closes, someone with the database *and* the key recomputes the marks to
    learn who answered (and, through ``xmin``, what). Closing replaces every mark of the wave by random
    bytes - none equals the mark of any invitation - and keeps one mark per used invitation and unit,
    so participation counts do not change. Another open wave keeps its marks. On PostgreSQL the
    wave's invitations, marks, responses and comments then all carry the closing transaction's id."""
    import questionnaires
    from survey.services import answering, invitations, waves
    from survey.services.units import UnitRow, replace_units

    replace_units([UnitRow("U", None, "Org", 0), UnitRow("A", "U", "A", 5), UnitRow("B", "U", "B", 5)])
    q = questionnaires.load("trivsel")
    for label in ("2025", "2026"):
        waves.create_wave(label, [q])
        waves.open_wave(label)
    a = invitations.create_links("2025", "A", 4)
    b = invitations.create_codes("2025", "B", 3)
    other = invitations.create_links("2026", "A", 2)
    for i, token in enumerate([*a[:3], b[0].replace("-", ""), other[0]]):
        sub = answering.Submission(q, {"MEN1": 1 + i % 4}, {"KOMMENTAR": f"comment {i}"})
        answering.submit(token, [sub], "da")
    counts = invitations.counts("2025")
    assert counts == {"A": (4, 3), "B": (3, 1)}
    wave_ids = dict(db.session.execute(sa.select(Wave.label, Wave.id)).all())
    w25, w26 = wave_ids["2025"], wave_ids["2026"]
    inv25 = list(db.session.scalars(sa.select(Invitation.id).where(Invitation.wave_id == w25)))
    keyed = {marks.mark_for(w25, i) for i in inv25}
    assert len(set(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == w25))) & keyed) == 4
    other_marks = set(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == w26)))
    responses = sorted(
        map(tuple, db.session.execute(sa.select(Response.id, Response.answers)).all()), key=str
    )
    sqlite_file = Path(str(db.engine.url.database)) if db.engine.dialect.name == "sqlite" else None

    def raw_bytes(path: Path) -> bytes:
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())

    if sqlite_file is not None:  # before the close the keyed marks are in the file (or its WAL)
        assert len([m for m in keyed if m.encode() in raw_bytes(sqlite_file)]) == 4
    waves.close_wave("2025")
    db.session.expire_all()
    sealed = list(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == w25)))
    assert len(sealed) == 4 and not set(sealed) & keyed
    assert all(len(m) == 64 and int(m, 16) >= 0 for m in sealed)
    assert invitations.counts("2025") == counts  # participation unchanged
    assert set(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == w26))) == other_marks
    after = sorted(map(tuple, db.session.execute(sa.select(Response.id, Response.answers)).all()), key=str)
    assert after == responses  # the answers are untouched
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 5
    if db.engine.dialect.name == "postgresql":
        stamps = {
            t: set(
                db.session.execute(
                    sa.text(f"SELECT xmin::text FROM {t} WHERE wave_id = :w"), {"w": w25}
                ).scalars()
            )
            for t in ("invitations", "used_marks", "responses", "comments")
        }
        assert len(set.union(*stamps.values())) == 1, stamps  # one transaction: the close
    else:  # SQLite: the old marks are overwritten (secure_delete) and the write-ahead log is emptied
        assert sqlite_file is not None
        raw = raw_bytes(sqlite_file)
        assert all(m.encode() in raw for m in other_marks)  # the open wave's marks are still readable ...
        assert not [m for m in keyed if m.encode() in raw]  # ... but none of the closed wave's
    # a late submit into the closed wave is refused and stores nothing
    with pytest.raises(answering.SubmitRefused):
        answering.submit(a[3], [answering.Submission(q, {"MEN1": 1}, {})], "da")
    assert invitations.counts("2025") == counts


def test_a_changed_key_refuses_submits_and_reminders(app: Flask, db: Any) -> None:
    """Threat: SECRET_KEY is changed while a wave is open; the old marks would no longer be found, so
    people could answer twice. The wave remembers a check value of its key: submits and reminders
    are refused, nothing is stored; TRIVSEL_MARK_KEY set to the old SECRET_KEY makes them work."""
    from survey.services import invitations

    tokens = _setup(3)
    client = app.test_client()
    _answer_all(client, token=tokens[0])
    old_secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key-for-the-test"
    with pytest.raises(Conflict, match="opened with another SECRET_KEY"):
        invitations.send_links("2025", _compose([]))
    import questionnaires
    from survey.services import answering

    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    for token in tokens[:2]:
        with pytest.raises(Conflict, match="TRIVSEL_MARK_KEY"):
            answering.submit(token, [answering.Submission(q, {"KLAR1": 1}, {})], "da")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    app.config["TRIVSEL_MARK_KEY"] = old_secret
    with pytest.raises(answering.SubmitRefused):  # the first one is still known as used
        answering.submit(tokens[0], [answering.Submission(q, {"KLAR1": 1}, {})], "da")
    assert answering.submit(tokens[1], [answering.Submission(q, {"KLAR1": 1}, {})], "da") == 1


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


def test_restamp_unpairs_responses_comments_and_marks(
    app: Flask, db: Any, runner: Any, database_url: str
) -> None:
    """Threat: on PostgreSQL a response, its comments and its used-mark share the submit's ``xmin``
    (the comment, stored without any link, can be tied to the answers) and ``xmin``/``ctid`` follow
    the order of answering, which other rows with times (the audit log) can date. The attack works
    until ``trivsel privacy restamp`` rewrites them in random order in one transaction; then they all
    share one ``xmin``. On SQLite the command empties the write-ahead log instead."""
    import questionnaires
    from survey.services import answering, invitations, waves
    from survey.services.units import UnitRow, replace_units

    replace_units([UnitRow("U", None, "Org", 0), UnitRow("A", "U", "A", 4)])
    q = questionnaires.load("trivsel")
    waves.create_wave("2025", [q])
    waves.open_wave("2025")
    tokens = invitations.create_links("2025", "A", 4)
    for i, t in enumerate(tokens[:3]):
        answering.submit(t, [answering.Submission(q, {"MEN1": 1 + i}, {"KOMMENTAR": f"text {i}"})], "da")
    if db.engine.dialect.name == "postgresql":

        def pairs() -> set[tuple[str, int]]:
            rows = db.session.execute(
                sa.text(
                    "SELECT c.text, (r.answers->>'MEN1')::int FROM comments c "
                    "JOIN responses r ON r.xmin::text = c.xmin::text"
                )
            ).all()
            db.session.commit()
            return {(str(t), int(a)) for t, a in rows}

        assert pairs() == {("text 0", 1), ("text 1", 2), ("text 2", 3)}  # the attack works ...
        r = runner.invoke(args=["privacy", "restamp"])
        assert r.exit_code == 0 and "Restamped 9 rows" in r.output, r.output
        assert len(pairs()) == 9  # ... and no longer: every comment meets every response
        stamps = {x for t in ("used_marks", "responses", "comments") for _, x in _pg_stamps(t)}
        assert len(stamps) == 1
        assert invitations.counts("2025") == {"A": (4, 3)}
        with pytest.raises(answering.SubmitRefused):  # the marks still refuse a second answer
            answering.submit(tokens[0], [answering.Submission(q, {"MEN1": 1}, {})], "da")
    else:
        wal = Path(sa.make_url(database_url).database + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        db.session.commit()
        db.session.close()
        r = runner.invoke(args=["privacy", "restamp"])
        assert r.exit_code == 0, r.output
        assert wal.stat().st_size == 0


def _doc_test_references(text: str) -> list[tuple[str, str]]:
    """``(file, test name)`` for every ``file.py::name`` and following ``::name`` in the text (a file of
    tests/survey, or ``analysis/file.py`` of tests/analysis)."""
    import re

    refs: list[tuple[str, str]] = []
    current = ""
    for m in re.finditer(r"`((?:analysis/)?test_\w+\.py)?::(test_\w+)`|`((?:analysis/)?test_\w+\.py)`", text):
        if m.group(3):
            current = m.group(3)
            continue
        current = m.group(1) or current
        refs.append((current, m.group(2)))
    return refs


def test_every_threat_in_the_threat_model_names_tests_that_exist() -> None:
    """docs/anonymity.md: each numbered threat names at least one test, and every test it names exists
    (so a renamed or deleted test cannot leave a defence unproven in the documentation)."""
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "anonymity.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", doc, flags=re.M)[1:]
    assert len(sections) >= 11
    here = Path(__file__).resolve().parent
    for section in sections:
        title = section.splitlines()[0]
        refs = _doc_test_references(section)
        assert refs, f"threat '{title}' names no test"
        for file, name in refs:
            folder = here.parent if file.startswith("analysis/") else here
            source = (folder / file).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, flags=re.M), f"{title}: {file}::{name} does not exist"


def test_a_submit_under_way_when_the_wave_closes_is_sealed_with_it(app: Flask, db: Any) -> None:
    """Threat: a submit commits its keyed mark just after the close scrambled the others, leaving one
    recomputable mark (and its ``xmin`` pairing) in a closed wave. On PostgreSQL the submit holds a
    shared advisory lock on its wave and closing takes it exclusively: the close waits for the submit,
    then scrambles its mark too. (SQLite:
    ``::test_sqlite_a_close_between_status_check_and_mark_refuses_the_submit``.)"""
    import threading
    import time

    import questionnaires
    from survey.services import answering, waves

    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks: PostgreSQL only (SQLite serialises all writers)")
    tokens = _setup(2)
    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    wave_id = db.session.scalar(sa.select(Wave.id))
    first = sa.select(Invitation.id).where(Invitation.token_hash == hash_token(tokens[0]))
    invitation_id = db.session.scalar(first)
    db.session.commit()
    inserted, release = threading.Event(), threading.Event()

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name == "submitter" and statement.lstrip().upper().startswith(
            "INSERT INTO USED_MARKS"
        ):
            inserted.set()
            release.wait(10)

    errors: list[BaseException] = []

    def run(fn: Callable[[], Any]) -> Callable[[], None]:
        def target() -> None:
            with app.app_context():
                try:
                    fn()
                except BaseException as exc:  # reported in the main thread
                    errors.append(exc)
                finally:
                    _db.session.remove()

        return target

    answer = [answering.Submission(q, {"KLAR1": 1}, {})]
    engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", hold)
    try:
        submitter = threading.Thread(
            target=run(lambda: answering.submit(tokens[0], answer, "da")),
            name="submitter",
        )
        submitter.start()
        assert inserted.wait(10)
        closer = threading.Thread(target=run(lambda: waves.close_wave("2025")), name="closer")
        closer.start()
        time.sleep(0.5)
        assert closer.is_alive()  # the close waits for the submit under way
        release.set()
        submitter.join(10)
        closer.join(30)
    finally:
        release.set()
        sa.event.remove(engine, "after_cursor_execute", hold)
    assert not errors, errors
    db.session.expire_all()
    stored = list(db.session.scalars(sa.select(UsedMark.mark)))
    assert len(stored) == 1 and stored[0] != marks.mark_for(wave_id, invitation_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert db.session.scalar(sa.select(Wave.status)) == "closed"


def test_sqlite_a_close_between_status_check_and_mark_refuses_the_submit(
    app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threat: on SQLite the submit's status read runs before the driver begins the write
    transaction, so a close can commit between that read and the mark insert; the late mark would
    survive the seal (recomputable with the key) and answers would enter a closed wave. The submit
    reads the status again after its insert (when it holds the write lock): the close is seen, the
    submit is refused, nothing is stored. Fails without that re-read (the close is forced into the
    gap by running it from the key check, which sits between the two)."""
    import threading

    import questionnaires
    from survey.services import answering, waves

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the gap is SQLite's (PostgreSQL: the advisory-lock test above)")
    tokens = _setup(1)
    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    wave_id = db.session.scalar(sa.select(Wave.id))
    invitation_id = db.session.scalar(sa.select(Invitation.id))
    db.session.commit()
    original = marks.require_same_key
    closed: list[bool] = []

    def close_in_the_gap(label: str, stored: str | None) -> None:
        def close() -> None:
            with app.app_context():
                waves.close_wave("2025")
                closed.append(True)
                _db.session.remove()

        worker = threading.Thread(target=close)
        worker.start()
        worker.join(timeout=30)
        original(label, stored)

    monkeypatch.setattr(marks, "require_same_key", close_in_the_gap)
    with pytest.raises(answering.SubmitRefused) as refused:
        answering.submit(tokens[0], [answering.Submission(q, {"KLAR1": 3}, {})], "da")
    assert refused.value.state == answering.TokenState.CLOSED and closed == [True]
    _db.session.remove()
    assert db.session.scalar(sa.select(Wave.status)) == "closed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    stored = set(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == wave_id)))
    assert marks.mark_for(wave_id, invitation_id) not in stored


def test_no_link_goes_out_after_the_wave_closed_during_sending(
    app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threat: sending reminders while someone closes the wave would mail new links for a closed wave
    to addresses the close had just deleted. Each link is renewed only while the wave is open and
    the address still there, in the same statement: after a close in the middle, nothing is sent."""
    import threading

    from survey.services import invitations, waves

    _setup(3)
    db.session.commit()
    original = marks.is_used
    calls: list[int] = []

    def close_before_the_first_message(wave_id: int, invitation_id: int) -> bool:
        if not calls:

            def close() -> None:
                with app.app_context():
                    waves.close_wave("2025")
                    _db.session.remove()

            worker = threading.Thread(target=close)
            worker.start()
            worker.join(timeout=30)
        calls.append(invitation_id)
        return original(wave_id, invitation_id)

    monkeypatch.setattr(marks, "is_used", close_before_the_first_message)
    sent: list[tuple[str, str]] = []
    assert invitations.send_links("2025", _compose(sent)) == 0
    assert sent == [] and len(calls) == 3
    _db.session.remove()
    assert db.session.scalar(sa.select(Wave.status)) == "closed"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Invitation).where(Invitation.email.is_not(None))
        )
        == 0
    )


# --- web attacks by a determined HR user (issue 10) -------------------------------------------------


def _lone_person_wave(app: Flask, db: Any) -> tuple[Any, int]:
    """Units U > A, B, X; HR signed in (Danish pages); a draft wave "2025" of the example questionnaire.

    Returns the HR client and the wave id.
    """
    import questionnaires
    from survey.services import waves
    from survey.services.units import UnitRow, replace_units
    from tests.survey.staff_helpers import signed_in

    replace_units(
        [UnitRow("U", None, "Org", 0), UnitRow("A", "U", "Afdeling A", 6), UnitRow("B", "U", "Afdeling B", 6),
         UnitRow("X", "U", "Annas enhed", 1)]
    )
    wave = waves.create_wave("2025", [questionnaires.load_file(EXAMPLE / "questionnaire.yaml")])
    hr = signed_in(app.test_client(), "hr", lang="da")
    return hr, wave.id


_ITEMS = ("KLAR1", "KLAR2", "KLAR3", "FAEL1", "FAEL2", "FAEL3", "FAEL4", "TEMP1", "TEMP2", "TEMP3")


def _invitation_list(a: int, b: int, x: int) -> str:
    rows = [f"a{i}@example.dk,A" for i in range(a)] + [f"b{i}@example.dk,B" for i in range(b)]
    rows += ["anna@example.dk,X"] if x else []
    return "email,unit_id\n" + "\n".join(rows) + "\n"


def test_hr_cannot_put_one_named_person_alone_in_a_unit_and_read_her_answers(app: Flask, db: Any) -> None:
    """Threat (issue 10, 1): HR decides each address's unit on the invitation list, puts Anna alone in a
    unit, and reads her row in a per-respondent export or her unit's numbers in a report.
    Defences: the invitation list refuses a unit below k_min unless HR confirms that it will be hidden;
    no export of answer rows exists on the web; the unit is hidden in every report and no published
    statistic leaves a residual of 1 ... k_diff - 1 that would isolate her."""
    import io
    import re

    from survey.services import reporting, waves
    from tests.survey.staff_helpers import post

    reporting.clear_cache()
    hr, wave_id = _lone_person_wave(app, db)
    page = f"/hr/waves/{wave_id}"

    def upload(text: str, **extra: str) -> Any:
        data = {"file": (io.BytesIO(text.encode()), "invitations.csv"), **extra}
        return post(hr, f"{page}/invitations", data, page=page, content_type="multipart/form-data")

    # 1. the list with Anna alone is refused, in Danish, naming her unit; nothing is stored
    r = upload(_invitation_list(6, 6, 1))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Annas enhed (1)" in html and "færre end 5 invitationer" in html, html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    # so are code slips that would leave a unit below k_min
    r = post(hr, f"{page}/codes", {"unit_id": "X", "count": "2"}, page=page)
    assert r.status_code == 422 and "application/pdf" not in r.content_type
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    # 2. HR confirms (it knows the unit will be hidden); the invitations are made
    assert upload(_invitation_list(6, 6, 1), confirm_small="yes").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 13
    # 3. everybody answers; Anna's answers are distinctive (all 7, bullied weekly, told no one)
    waves.open_wave("2025")
    for unit, k in (("A", 6), ("B", 6), ("X", 1)):
        for i in range(k):
            answers: dict[str, Any] = {item: (7 if unit == "X" else 1 + (i % 5)) for item in _ITEMS}
            answers["BUL_Q"] = 3 if unit == "X" else 0
            db.session.add(Response(wave_id=wave_id, unit_id=unit, questionnaire_id="trivsel-eksempel",
                                    language="da", answers=answers))
    db.session.commit()
    waves.close_wave("2025")
    args = "wave=2025&q=trivsel-eksempel"
    # 4. no answer rows on the web, in any format
    assert hr.get(f"/rapporter/eksport/svar.csv?{args}").status_code == 404
    overview = hr.get(f"/rapporter/?{args}").get_data(as_text=True)
    links = set(re.findall(r'href="(/rapporter/eksport/[^"]+)"', overview))
    assert links and not any("svar" in link or ".csv" in link for link in links), links
    # 5. her unit is hidden, its page says so, and no statistic isolates her by subtraction
    report = json.loads(hr.get(f"/rapporter/eksport/rapport.json?{args}").data)
    units = {u["unit_id"]: u for u in report["units"]}
    assert units["X"]["published"] is False and units["X"]["respondents"] is None
    assert not [s for s in report["scores"] if s["unit_id"] == "X"]
    assert not [e for e in report.get("exposures") or [] if e["unit_id"] == "X"]
    unit_page = hr.get(f"/rapporter/enhed/X?{args}").get_data(as_text=True)
    assert "skjult" in unit_page.lower() or "færre end" in unit_page, unit_page[:2000]
    children: dict[str | None, list[str]] = {}
    for u in report["units"]:
        children.setdefault(u["parent_id"], []).append(u["unit_id"])
    k_diff = report["settings"]["k_diff"]
    stats: dict[tuple[str, str], dict[str, int]] = {}
    for s in report["scores"]:
        if s.get("n") is not None and s.get("mean") is not None:
            stats.setdefault((s["kind"], s["id"]), {})[s["unit_id"]] = s["n"]
    assert stats
    for (kind, sid), ns in stats.items():
        for v, n_v in ns.items():
            residual = n_v - sum(ns[c] for c in _frontier(v, children, set(ns)))
            assert residual == 0 or residual >= k_diff, (kind, sid, v, residual)


# --- the database reader (issue 10, 5) ----------------------------------------------------------------


def test_a_reminder_writes_every_invitation_row_of_the_wave(app: Flask, db: Any) -> None:
    """Threat: a reminder that rewrites only the unused invitations shows a database reader, by the rows'
    transaction ids, who had already answered (and in a one-person unit, whose response it is). A
    reminder writes every invitation row of the wave in one transaction, used ones with their own
    values (their links stay refused). On SQLite a trigger records the rows written; on PostgreSQL all
    the wave's invitation rows then share one ``xmin``."""
    from survey.services import invitations

    tokens = _setup(4)
    invitations.create_codes("2025", "A", 2)
    pg = db.engine.dialect.name == "postgresql"
    client = app.test_client()
    _answer_all(client, token=tokens[0])  # p0 answers with the link of the invitation
    p0 = Invitation.email == "p0@example.org"
    used_hash = db.session.scalar(sa.select(Invitation.token_hash).where(p0))
    all_ids = set(db.session.scalars(sa.select(Invitation.id)))
    if not pg:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE touched (id INTEGER)")
            conn.exec_driver_sql(
                "CREATE TRIGGER touch AFTER UPDATE ON invitations "
                "BEGIN INSERT INTO touched VALUES (NEW.id); END"
            )
    try:
        db.session.commit()
        sent: list[tuple[str, str]] = []
        assert invitations.send_links("2025", _compose(sent)) == 3
        assert sorted(a for a, _t in sent) == ["p1@example.org", "p2@example.org", "p3@example.org"]
        if pg:
            stamps = {x for _c, x in _pg_stamps("invitations")}
            assert len(stamps) == 1, stamps  # one transaction wrote every row, used or not
        else:
            touched = [int(i) for i in db.session.execute(sa.text("SELECT id FROM touched")).scalars()]
            assert sorted(touched) == sorted(all_ids), (touched, all_ids)  # each row once, used ones too
    finally:
        if not pg:
            db.session.rollback()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS touch")
                conn.exec_driver_sql("DROP TABLE IF EXISTS touched")
    # the used invitation keeps its hash; its link stays refused; the reminder links work
    assert db.session.scalar(sa.select(Invitation.token_hash).where(p0)) == used_hash
    again = Respondent(app.test_client())
    again.open_link(tokens[0])
    assert again.status == 404  # used: refused like an unknown link (threat 17)
    _answer_all(app.test_client(), token=dict(sent)["p2@example.org"])
    assert invitations.counts("2025") == {"A": (6, 2)}


def _sqlite_file_bytes() -> bytes:
    path = Path(str(_db.engine.url.database))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_sqlite_after_close_no_address_and_no_answering_order_in_the_file(app: Flask, db: Any) -> None:
    """Threat: a database reader opens the SQLite file after the close. Deleted e-mail addresses must not
    be left in freed pages, and the place of each response inside its page (cells are written from the
    end of the page towards the start, in the order of insertion) must not give the order of answering.
    Closing rewrites the rows and ``VACUUM`` rebuilds the file in random-key order."""
    import uuid

    from survey.services import invitations, waves

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite file layout (PostgreSQL: the heap test below)")
    tokens = _setup(3)
    del tokens
    addresses = [f"zz-secret-{i}@example.org" for i in range(3)]
    invitations.create_links("2025", "A", 3, emails=addresses)
    wave_id = db.session.scalar(sa.select(Wave.id))
    ids = sorted(uuid.uuid4() for _ in range(12))
    # neither key order nor its reverse
    answering_order = [ids[i] for i in (5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6)]
    for rid in answering_order:  # one submit after the other
        db.session.add(Response(id=rid, wave_id=wave_id, unit_id="A", questionnaire_id="trivsel-eksempel",
                                language="da", answers={"KLAR1": 4}))
        db.session.commit()
    # the attack works on the open wave: offsets (descending) give the answering order
    def order_in_file(data: bytes) -> list[uuid.UUID]:
        found = []
        for rid in ids:
            hexid = rid.hex.encode()
            pos = [m for m in _find_all(data, hexid) if b"trivsel-eksempel" in data[m + 32 : m + 64]]
            assert pos, rid
            found.append((pos[-1], rid))
        return [rid for _p, rid in sorted(found, reverse=True)]

    _db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    _db.session.commit()
    assert order_in_file(_sqlite_file_bytes()) == answering_order
    assert all(a.encode() in _sqlite_file_bytes() for a in addresses)
    waves.close_wave("2025")
    data = _sqlite_file_bytes()
    assert not [a for a in addresses if a.encode() in data]
    assert order_in_file(data) == ids  # key order (random UUIDs), not the answering order


def _find_all(data: bytes, needle: bytes) -> list[int]:
    out, start = [], 0
    while (i := data.find(needle, start)) >= 0:
        out.append(i)
        start = i + 1
    return out


@pytest.mark.postgres
def test_postgresql_after_close_no_old_row_version_in_the_table_files(app: Flask, db: Any) -> None:
    """Threat: a superuser reads the table files after the close. A plain ``VACUUM`` marks old row
    versions free but leaves their bytes (the deleted e-mail addresses, the keyed marks) in the heap
    until the space is reused; closing runs ``VACUUM FULL``, which writes the wave's tables into new
    files. Read through ``pg_read_binary_file`` after a ``CHECKPOINT``."""
    from survey.services import waves

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL table files (run with TRIVSEL_TEST_DATABASE_URL)")
    tokens = _setup(4)
    client = app.test_client()
    for t in tokens[:2]:
        _answer_all(client, token=t)
    wave_id = db.session.scalar(sa.select(Wave.id))
    inv_ids = list(db.session.scalars(sa.select(Invitation.id)))
    keyed = [marks.mark_for(wave_id, i) for i in inv_ids]
    db.session.commit()
    waves.close_wave("2025")

    def files(table: str) -> bytes:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CHECKPOINT")
            indexes = sa.text(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = CAST(:t AS regclass)"
            )
            rels = [table, *conn.execute(indexes, {"t": table}).scalars()]
            out = b""
            for rel in rels:
                where = sa.text("SELECT pg_relation_filepath(CAST(:r AS regclass))")
                path = conn.execute(where, {"r": rel}).scalar()
                out += bytes(conn.execute(sa.text("SELECT pg_read_binary_file(:p)"), {"p": path}).scalar())
            return out

    inv, used = files("invitations"), files("used_marks")
    assert not [i for i in range(4) if f"p{i}@example.org".encode() in inv]
    assert not [m for m in keyed if m.encode() in used]


def test_a_used_code_or_link_looks_exactly_like_an_unknown_one_and_counts(
    app: Flask,
    make_units: Callable[..., None],
    make_wave: Callable[..., Any],
    make_invitation: Callable[..., str],
) -> None:
    """Threat 16 (issue 10, item 6): whoever holds a code or link (the HR user who printed the slips,
    a colleague who saw the mail) learned without limit whether its owner had answered: a used code
    was accepted and then said "already sent" (409), not counted by the rate limit. Now a used code
    gets the same status and the same page as a code that never existed, and each such answer uses up
    the client's allowance; the same for links."""
    import re

    make_units()
    make_wave()
    code = make_invitation(kind="code")
    link = make_invitation()
    _answer_all(app.test_client(), code=code)
    _answer_all(app.test_client(), token=link)

    def at(address: str) -> Any:  # a client of its own address: the limit counts per address
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    def code_page(client: Any, typed: str) -> tuple[int, str]:
        r = Respondent(client)
        r.enter_code(typed)
        body = r.html.replace(typed, "CODE")
        return r.status, re.sub(r'name="csrf_token" value="[^"]*"', "", body)

    unknown = "ZZZZ-ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY"
    prober = at("198.51.100.1")
    status_used, body_used = code_page(prober, code)
    status_unknown, body_unknown = code_page(at("198.51.100.2"), unknown)
    assert status_used == status_unknown == 422
    assert body_used == body_unknown
    assert "Vi kunne ikke finde koden" in body_used and "allerede sendt" not in body_used
    assert prober.get("/start").status_code != 200  # the used code did not start a session either
    # links: the same page and status as an unknown link
    used_link, unknown_link = at("198.51.100.3").get(f"/r/{link}"), at("198.51.100.4").get("/r/no-such-link")
    assert used_link.status_code == unknown_link.status_code == 404
    assert used_link.get_data(as_text=True) == unknown_link.get_data(as_text=True)
    # each answer about a used code or link counts: 10 per minute, then 429 (the prober above used 1)
    assert [code_page(prober, code)[0] for _ in range(9)] == [422] * 9
    assert code_page(prober, code)[0] == 429
    link_prober = at("198.51.100.1")
    assert [link_prober.get(f"/r/{link}").status_code for _ in range(10)] == [404] * 10
    assert link_prober.get(f"/r/{link}").status_code == 429
