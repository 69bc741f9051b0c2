"""Privacy operations: delete a wave, delete all survey data, apply the retention period.

Each function is one transaction, writes an audit event (``survey.services.audit``) and either
deletes everything it names or nothing. Deleting a wave deletes its responses, comments,
invitations, used-marks and questionnaire snapshots and every row of other tables that refers to
the wave (e.g. funding rounds), found through the foreign keys in the models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Wave
from survey.services import Conflict, ServiceError
from survey.services.audit import record
from survey.services.waves import get_wave

#: tables kept by :func:`delete_all_data`: staff accounts, the organisation tree and the audit log
KEEP_TABLES = ("users", "units", "audit_events")


def _tables_referring_to(target: sa.Table) -> list[tuple[sa.Table, sa.Column]]:
    out = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is target and table is not target:
                out.append((table, fk.parent))
    return out


def _delete_rows(table: sa.Table, where: sa.ColumnElement[bool], counts: dict[str, int]) -> None:
    """Delete ``table`` rows matching ``where`` after the rows of other tables that refer to them."""
    pk = list(table.primary_key.columns)
    for child, column in _tables_referring_to(table):
        if len(pk) != 1:  # pragma: no cover - every model here has a one-column key
            raise ServiceError(
                "cannot follow references to %(name)s: composite primary key",
                name=table.name,
            )
        ref = next(fk for fk in child.foreign_keys if fk.parent is column).column
        _delete_rows(child, column.in_(sa.select(ref).where(where)), counts)
    result = db.session.execute(table.delete().where(where))
    counts[table.name] = counts.get(table.name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Deleted:
    """Rows deleted per table."""

    counts: dict[str, int]

    def __str__(self) -> str:
        parts = [f"{n} {t}" for t, n in sorted(self.counts.items()) if n]
        return ", ".join(parts) or "nothing"


def delete_wave(label: str) -> Deleted:
    """Delete one wave and everything that belongs to it. Refused while another wave uses it as
    baseline (delete or re-point that wave first)."""
    session = db.session
    try:
        wave = get_wave(label)
        users = session.scalars(sa.select(Wave.label).where(Wave.baseline_id == wave.id)).all()
        if users:
            raise Conflict(
                "wave '%(label)s' is the baseline of wave(s) %(waves)s; delete those first or "
                "give them another baseline",
                label=label,
                waves=", ".join(sorted(users)),
            )
        counts: dict[str, int] = {}
        waves = Wave.__table__
        _delete_rows(waves, waves.c.id == wave.id, counts)
        record("wave.delete", target=label, detail=str(Deleted(counts)))
        session.commit()
    except Exception:
        session.rollback()
        raise
    _forget_reports()
    return Deleted(counts)


def _forget_reports() -> None:
    """Drop this process's cached reports (a deleted wave's report must not outlive it)."""
    from survey.services import reporting

    reporting.clear_cache()


def delete_all_data() -> Deleted:
    """Delete every wave with all its data (responses, comments, invitations, ...). Users, the unit
    tree and the audit log stay."""
    session = db.session
    try:
        counts: dict[str, int] = {}
        for table in reversed(db.metadata.sorted_tables):
            if table.name in KEEP_TABLES:
                continue
            if table.name == "waves":
                session.execute(table.update().values(baseline_id=None))
            result = session.execute(table.delete())
            counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        record("data.delete_all", detail=str(Deleted(counts)))
        session.commit()
    except Exception:
        session.rollback()
        raise
    _forget_reports()
    return Deleted(counts)


def parse_retention_years(value: object) -> int:
    """``TRIVSEL_RETENTION_YEARS`` as a whole number of at least 1."""
    try:
        years = int(str(value).strip())
    except ValueError:
        years = 0
    if years < 1 or isinstance(value, bool):
        raise ServiceError(
            "TRIVSEL_RETENTION_YEARS must be a whole number of years, at least 1, got "
            "%(value)s",
            value=repr(value),
        )
    return years


def expired_waves(years: int, today: dt.date | None = None) -> list[Wave]:
    """Closed waves whose closing date (or, without one, opening date) is more than ``years`` ago.

    A wave with neither date is never expired by this rule (delete it by hand).
    """
    today = today or dt.date.today()
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    closed = db.session.scalars(sa.select(Wave).where(Wave.status == "closed").order_by(Wave.label))
    out: list[Wave] = []
    for wave in closed:
        day = wave.closes_on or wave.opens_on
        if day is not None and day < cutoff:
            out.append(wave)
    return out


def apply_retention(years: int, today: dt.date | None = None) -> list[tuple[str, Deleted]]:
    """Delete every expired wave (oldest baseline chains last-first); returns what was deleted."""
    done: list[tuple[str, Deleted]] = []
    expired = expired_waves(years, today)
    labels = {w.label for w in expired}
    for wave in expired:  # refuse before deleting anything
        users = set(db.session.scalars(sa.select(Wave.label).where(Wave.baseline_id == wave.id)))
        if users - labels:
            raise Conflict(
                "wave '%(label)s' is past the retention period but is the baseline of the newer "
                "wave(s) %(waves)s; give them another baseline first",
                label=wave.label,
                waves=", ".join(sorted(users - labels)),
            )
    # a wave used as baseline by a newer expired wave goes after it
    pending = sorted(labels)
    while pending:
        progressed = False
        for label in list(pending):
            wave = get_wave(label)
            users = set(db.session.scalars(sa.select(Wave.label).where(Wave.baseline_id == wave.id)))
            if users & set(pending):
                continue
            done.append((label, delete_wave(label)))
            pending.remove(label)
            progressed = True
        if not progressed:  # pragma: no cover - baselines cannot form a cycle
            raise ServiceError("baseline references form a cycle")
    return done


def restamp() -> int:
    """Rewrite the used-marks, responses and comments of every open wave (docs/anonymity.md, 2).

    PostgreSQL: a submit writes the response, its comments and its used-mark in one transaction, so
    they share a transaction id (``xmin``), and the ids and physical places (``ctid``) follow the order
    of answering (which other tables with times, such as the audit log, can date). This deletes the
    rows and inserts them again in random order in one transaction, so afterwards they all carry one
    ``xmin`` and their order says nothing; ``VACUUM`` then frees the old row versions. Invitation rows
    are not touched (a submit never writes them). SQLite has no ``xmin`` and stores these tables in
    random-key order; there a ``TRUNCATE`` checkpoint empties the write-ahead log, which otherwise
    holds the pages of the last commits. Run it regularly while a wave is open (e.g. every 5 minutes
    from cron: ``trivsel privacy restamp``); closing a wave does the same for it (and scrambles its
    marks). Returns the number of rows rewritten.
    """
    from survey.models import Comment, Response
    from survey.models_audit import UsedMark
    from survey.services import marks

    session = db.session
    if db.engine.dialect.name != "postgresql":
        marks.vacuum()
        return 0
    n = 0
    try:
        open_ids = list(session.scalars(sa.select(Wave.id).where(Wave.status == "open").order_by(Wave.id)))
        for wave_id in open_ids:
            marks.lock_wave(wave_id, shared=False)  # after running submits, never beside a close
            for model in (UsedMark, Response, Comment):
                table = model.__table__
                n += marks.rewrite_shuffled(table, table.c.wave_id == wave_id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    marks.vacuum(("used_marks", "responses", "comments"))
    return n
