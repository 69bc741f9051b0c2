"""The submit's used-mark insert checks that the wave is open in the same statement (answering.py).

On PostgreSQL the lookup of the invitation also takes the shared advisory lock on the wave; its own
snapshot is from before the lock was held, so the status it read may be stale. These tests put a close
exactly there and show that the insert's ``WHERE EXISTS (open wave)`` refuses the submit.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from survey.extensions import db as _db
from survey.models import Invitation, Response, Wave
from survey.models_audit import UsedMark
from survey.services import marks

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


def _setup(n: int) -> list[str]:
    import questionnaires
    from survey.services import invitations, waves
    from survey.services.units import UnitRow, replace_units

    replace_units([UnitRow("U", None, "Org", 0), UnitRow("A", "U", "A", n)])
    waves.create_wave("2025", [questionnaires.load_file(EXAMPLE / "questionnaire.yaml")])
    waves.open_wave("2025")
    return invitations.create_links("2025", "A", n)


def test_postgresql_a_close_committed_while_the_lookup_waited_for_the_lock_refuses_the_submit(
    app: Flask, db: Any
) -> None:
    import questionnaires
    from survey.services import answering

    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks: PostgreSQL only (SQLite: test_anonymity_attacks, the close in the gap)")
    tokens = _setup(1)
    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    wave_id = db.session.scalar(sa.select(Wave.id))
    invitation_id = db.session.scalar(sa.select(Invitation.id))
    db.session.commit()
    outcome: list[Any] = []

    def submit() -> None:
        with app.app_context():
            try:
                outcome.append(answering.submit(tokens[0], [answering.Submission(q, {"KLAR1": 2}, {})], "da"))
            except answering.SubmitRefused as exc:
                outcome.append(exc.state)
            finally:
                _db.session.remove()

    with db.engine.connect() as closer:
        tx = closer.begin()  # a close under way: exclusive lock held, status already written
        closer.execute(
            sa.text("SELECT pg_advisory_xact_lock(:s, :w)"), {"s": marks._LOCK_SPACE, "w": wave_id}
        )
        closer.execute(sa.text("UPDATE waves SET status = 'closed' WHERE id = :w"), {"w": wave_id})
        worker = threading.Thread(target=submit)
        worker.start()
        for _ in range(100):  # until the submit's lookup waits for the advisory lock
            waiting = closer.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1 and worker.is_alive()
        tx.commit()
    worker.join(20)
    assert outcome == [answering.TokenState.CLOSED]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsedMark)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    assert marks.mark_for(wave_id, invitation_id) not in set(db.session.scalars(sa.select(UsedMark.mark)))


def test_the_submit_writes_the_mark_in_one_statement_and_reads_no_status_after_it(
    app: Flask, db: Any
) -> None:
    """Round trips of one submit before the answers are inserted: the lookup (with the lock on
    PostgreSQL) and the conditional insert; no separate status read, no separate lock statement."""
    import questionnaires
    from survey.services import answering

    tokens = _setup(1)
    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    answering.wave_snapshots(db.session.scalar(sa.select(Wave.id)))  # parsed once per process, as in a server
    db.session.commit()
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split())[:80])

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert answering.submit(tokens[0], [answering.Submission(q, {"KLAR1": 2}, {})], "da") == 1
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    mark_at = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO used_marks"))
    # before: the lookup, the lock, a status read, the insert and a status re-read (5 round trips)
    assert mark_at == 1 and statements[0].startswith("SELECT invitations.id"), statements
    assert not any(s.startswith(("SELECT waves.status", "SELECT pg_advisory")) for s in statements), (
        statements
    )
