"""Keyed used-marks: "some invitation of this wave and unit was used", readable only with the key.

A submit must write the response and the "this invitation is used" mark in one transaction, so on
PostgreSQL both rows carry the same transaction id (``xmin``). The mark therefore must not name the
invitation to anyone holding only the database (docs/anonymity.md, threat 2):

- ``mark = HMAC-SHA256(mark_key, "used-mark\\0<wave id>\\0<invitation id>")``, hex. The invitation's id
  is stable, so reminders (which give an invitation a new token) do not change its mark: the
  application can tell used from unused invitations and mail reminders only to the unused ones, and
  a new token for a used invitation is refused.
- ``mark_key = HMAC-SHA256(TRIVSEL_MARK_KEY or SECRET_KEY, "trivsel used-mark key v1")``. The key is
  never stored in the database; without it a mark cannot be recomputed from any stored column.
- ``waves.mark_key_check`` holds a 64-bit check value of the key the wave was opened with; a submit
  or a reminder under another key is refused (the marks already written could not be found, so
  people could answer twice). It helps an attacker no more than the marks themselves do (each mark
  already lets one test a guessed key).
- When a wave closes, :func:`seal_wave` replaces every mark of the wave by random bytes (keeping the
  wave and unit, so participation counts stay right) and rewrites the wave's invitations, marks,
  responses and comments in one transaction in random order. After that, not even the database
  together with the key pairs a mark (or a response) with an invitation.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app

from survey.extensions import db
from survey.services import Conflict

KEY_LABEL = b"trivsel used-mark key v1"
_CHECK_LABEL = b"trivsel used-mark key check"
#: namespace of the PostgreSQL advisory locks that order submits against closing a wave ("triv")
_LOCK_SPACE = 0x74726976


def key_material(config: Any) -> bytes:
    """``TRIVSEL_MARK_KEY`` when set, else ``SECRET_KEY``, as bytes."""
    raw = config.get("TRIVSEL_MARK_KEY") or config.get("SECRET_KEY") or ""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")


def derive_key(material: bytes) -> bytes:
    """The mark key for some key material (domain-separated from every other use of SECRET_KEY)."""
    return hmac.new(material, KEY_LABEL, hashlib.sha256).digest()


def mark_key() -> bytes:
    return derive_key(key_material(current_app.config))


def mark_for(wave_id: int, invitation_id: int, key: bytes | None = None) -> str:
    """The used-mark of one invitation (hex HMAC-SHA256 over wave id and invitation id)."""
    msg = f"used-mark\0{int(wave_id)}\0{int(invitation_id)}".encode("ascii")
    return hmac.new(key if key is not None else mark_key(), msg, hashlib.sha256).hexdigest()


def key_check(key: bytes | None = None) -> str:
    """16 hex characters identifying the key (stored per wave when it opens)."""
    return hmac.new(key if key is not None else mark_key(), _CHECK_LABEL, hashlib.sha256).hexdigest()[:16]


def require_same_key(wave_label: str, stored: str | None) -> None:
    """Refuse when the wave was opened under another mark key (SECRET_KEY / TRIVSEL_MARK_KEY changed)."""
    if stored is not None and not hmac.compare_digest(stored, key_check()):
        raise Conflict(
            "wave '%(wave_label)s' was opened with another SECRET_KEY (or TRIVSEL_MARK_KEY): "
            "its used-marks cannot be checked with this one, so nothing is stored or sent. "
            "Restore the key, or keep the new SECRET_KEY and set TRIVSEL_MARK_KEY to the old "
            "SECRET_KEY until the wave is closed",
            wave_label=wave_label,
        )


def used_invitation_ids(wave_id: int, invitation_ids: list[int]) -> set[int]:
    """Which of the given invitations of an open wave have a used-mark (needs the key)."""
    from survey.models_audit import UsedMark

    marks = set(db.session.scalars(sa.select(UsedMark.mark).where(UsedMark.wave_id == wave_id)))
    if not marks:
        return set()
    key = mark_key()
    return {i for i in invitation_ids if mark_for(wave_id, i, key) in marks}


def is_used(wave_id: int, invitation_id: int) -> bool:
    from survey.models_audit import UsedMark

    return db.session.get(UsedMark, mark_for(wave_id, invitation_id)) is not None


def lock_wave(wave_id: int, *, shared: bool) -> None:
    """PostgreSQL: a transaction-scoped advisory lock on the wave (no row is written).

    A submit holds it shared, :func:`seal_wave` (closing) exclusive: a submit that started before
    the close is sealed with the wave, one that starts after it sees the wave closed. SQLite has one
    writer at a time, so nothing is needed there.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    db.session.execute(sa.text(f"SELECT {fn}(:space, :wave)"), {"space": _LOCK_SPACE, "wave": int(wave_id)})


def shared_lock_column(wave_id_column: Any) -> Any | None:
    """PostgreSQL: :func:`lock_wave` (shared) as a column expression, so that the submit's lookup of
    the invitation takes the lock in the same statement (one round trip less). None on SQLite.

    The lookup's own snapshot is taken before the lock is held, so a status read in it may be stale:
    the caller must check the status again in a later statement (the mark insert does).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return sa.func.pg_advisory_xact_lock_shared(_LOCK_SPACE, wave_id_column)


def rewrite_shuffled(
    table: sa.Table, where: sa.ColumnElement[bool], replace: dict[str, Any] | None = None
) -> int:
    """Delete the matching rows and insert them again in random order, in the current transaction.

    On PostgreSQL every rewritten row then carries this transaction's id and a physical place that
    does not follow the order in which the rows were first written. ``replace`` maps a column to a
    callable giving its new value per row (used to scramble marks). Returns the number of rows.
    """
    session = db.session
    rows = [dict(r) for r in session.execute(sa.select(table).where(where)).mappings()]
    if not rows:
        return 0
    session.execute(table.delete().where(where))
    for row in rows:
        for column, make in (replace or {}).items():
            row[column] = make()
    secrets.SystemRandom().shuffle(rows)
    session.execute(table.insert(), rows)
    return len(rows)


def seal_wave(wave_id: int) -> int:
    """Scramble the wave's used-marks and rewrite its rows (in the closing transaction; see module doc).

    Returns the number of marks scrambled. The caller commits and then runs :func:`vacuum`.
    """
    from survey.models import Comment, Invitation, Response
    from survey.models_audit import UsedMark

    lock_wave(wave_id, shared=False)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA secure_delete = ON"))  # deleted marks are overwritten with zeros
    marks = UsedMark.__table__
    n = rewrite_shuffled(marks, marks.c.wave_id == wave_id, {"mark": lambda: secrets.token_hex(32)})
    for model in (Invitation, Response, Comment):
        table = model.__table__
        rewrite_shuffled(table, table.c.wave_id == wave_id)
    return n


def vacuum(
    tables: tuple[str, ...] = ("invitations", "used_marks", "responses", "comments"), *, full: bool = False
) -> None:
    """Free old row versions (PostgreSQL) or rebuild the file (SQLite); run after a commit.

    PostgreSQL: ``VACUUM`` marks the space of old row versions free, but their bytes stay in the table
    files until reused; ``full=True`` (closing a wave) runs ``VACUUM FULL``, which writes each table
    and its indexes into new files and deletes the old ones, so no old row version (an old mark, a
    deleted e-mail address, the order of answering) is left in the heap. It locks the tables for the
    time of the rewrite. SQLite: ``VACUUM`` rebuilds the database file with every table in key order
    (random UUIDs for the answer tables), so neither a freed page nor the place of a row inside a page
    keeps the order of answering; then a ``TRUNCATE`` checkpoint empties the write-ahead log.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(("VACUUM FULL " if full else "VACUUM ") + ", ".join(tables)))
    elif engine.dialect.name == "sqlite":
        db.session.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
            try:
                conn.exec_driver_sql("VACUUM")
            except sa.exc.OperationalError as exc:  # another connection kept reading for 5 s
                logging.getLogger(__name__).warning(
                    "VACUUM could not run (%s); run `trivsel privacy restamp` when the server is idle",
                    type(exc).__name__,
                )
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
