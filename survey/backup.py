"""``trivsel backup FILE`` / ``trivsel restore FILE`` and the privacy commands.

A backup is one JSON document with every row of every table the models define (SQLite and
PostgreSQL alike), plus the schema revision it was taken at::

    {"format": "trivsel-backup", "version": 1, "revision": "<alembic head>",
     "tables": {"units": {"columns": [...], "rows": [[...], ...]}, ...}}

It contains the answers and the free-text comments: store it like the database itself (the file is
created readable by its owner only). ``restore`` loads a backup into an *empty* database migrated
to the same revision (``trivsel db upgrade`` first) and refuses anything else, changing nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from survey.extensions import db
from survey.services import ServiceError

FORMAT = "trivsel-backup"
VERSION = 1


class BackupError(ServiceError):
    """The backup file cannot be restored here; nothing was changed."""


def _revision() -> str | None:
    try:
        return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        db.session.rollback()
        return None


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    kind = type(column.type).__name__
    if kind == "Uuid":
        return lambda v: None if v is None else uuid.UUID(v)
    if kind == "DateTime":
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if kind == "Date":
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return lambda v: v


def dump() -> dict[str, Any]:
    """Every row of every model table, in dependency order."""
    tables: dict[str, Any] = {}
    for table in db.metadata.sorted_tables:
        columns = [c.name for c in table.columns]
        order = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(*table.columns).order_by(*order)).all()
        tables[table.name] = {"columns": columns, "rows": [[_encode(v) for v in row] for row in rows]}
    return {"format": FORMAT, "version": VERSION, "revision": _revision(), "tables": tables}


def write_backup(path: Path) -> dict[str, int]:
    """Write the backup to ``path`` (mode 0600, replaced atomically); rows per table."""
    data = dump()
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    os.replace(tmp, path)
    return {name: len(t["rows"]) for name, t in data["tables"].items()}


def _check(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("tables"), dict):
        raise BackupError("this file is not a Trivsel backup (made by 'trivsel backup FILE')")
    if data.get("version") != VERSION:
        raise BackupError(
            "backup format version %(version)s is not supported (expected %(expected)s)",
            version=repr(data.get("version")),
            expected=VERSION,
        )
    here = _revision()
    if data.get("revision") != here:
        raise BackupError(
            "the backup was taken at schema revision %(revision)s, this database is at "
            "%(here)s; restore into a database migrated to the same revision ('trivsel db "
            "upgrade')",
            revision=data.get("revision"),
            here=here,
        )
    known = {t.name: t for t in db.metadata.sorted_tables}
    for name, table in data["tables"].items():
        if name not in known:
            raise BackupError(
                "the backup has a table '%(name)s' this version of Trivsel does not know",
                name=name,
            )
        if not isinstance(table, dict) or table.get("columns") != [c.name for c in known[name].columns]:
            raise BackupError(
                "table '%(name)s' in the backup has other columns than this database",
                name=name,
            )
        if not isinstance(table.get("rows"), list):
            raise BackupError("table '%(name)s' in the backup has no list of rows", name=name)
    nonempty = [
        t.name for t in known.values() if db.session.scalar(sa.select(sa.func.count()).select_from(t))
    ]
    if nonempty:
        raise BackupError(
            "the database is not empty (rows in %(tables)s); restore only into an empty "
            "database: create a new one and run 'trivsel db upgrade' first",
            tables=", ".join(nonempty),
        )


def restore(data: Any) -> dict[str, int]:
    """Load ``data`` (a parsed backup) into this empty database, all or nothing; rows per table."""
    session = db.session
    counts: dict[str, int] = {}
    try:
        _check(data)
        for table in db.metadata.sorted_tables:
            part = data["tables"].get(table.name)
            if not part or not part["rows"]:
                continue
            columns = [table.c[name] for name in part["columns"]]
            decode = [_decoder(c) for c in columns]
            # self-references (units.parent_id, waves.baseline_id): insert without, then set them
            self_refs = [c for c in columns if any(fk.column.table is table for fk in c.foreign_keys)]
            rows = [
                {c.name: f(v) for c, f, v in zip(columns, decode, row, strict=True)} for row in part["rows"]
            ]
            session.execute(table.insert(), [{**r, **{c.name: None for c in self_refs}} for r in rows])
            pk = list(table.primary_key.columns)
            for c in self_refs:
                for r in rows:
                    if r[c.name] is not None:
                        session.execute(
                            table.update().where(*(k == r[k.name] for k in pk)).values({c.name: r[c.name]})
                        )
            counts[table.name] = len(rows)
            _reset_sequence(table)
        session.commit()
    except BackupError:
        session.rollback()
        raise
    except (sa.exc.DBAPIError, KeyError, TypeError, ValueError) as exc:
        session.rollback()
        raise BackupError(
            "the backup could not be restored, nothing was changed: %(error)s",
            error=type(exc).__name__,
        ) from None
    return counts


def _reset_sequence(table: sa.Table) -> None:
    """PostgreSQL: move an integer key's sequence past the restored ids (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
        return
    name = pk[0].name
    seq = db.session.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": name})
    if seq:
        db.session.execute(
            sa.text(f'SELECT setval(:s, (SELECT max("{name}") FROM "{table.name}"))'), {"s": seq}
        )


def read_backup(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("%(path)s: no such file", path=path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError("%(path)s: not a JSON backup file (%(exc)s)", path=path, exc=exc) from None


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------


def _fail(exc: Exception) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


@click.command(name="backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write every table to FILE (JSON). The file holds all answers: keep it as safe as the database."""
    from survey.services import audit

    counts = write_backup(file)
    audit.log("data.backup", target=file.name, detail=f"{sum(counts.values())} rows")
    click.echo(f"Backup written to {file}: {sum(counts.values())} rows in {len(counts)} tables.")


@click.command(name="restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Load a backup FILE into this empty, migrated database (refuses a database with data)."""
    try:
        counts = restore(read_backup(file))
    except ServiceError as exc:
        _fail(exc)
        return
    click.echo(f"Restored {sum(counts.values())} rows in {len(counts)} tables from {file}.")


@click.group(name="privacy")
def privacy_group() -> None:
    """Delete survey data: one wave, everything, or what is past the retention period."""


@privacy_group.command(name="delete-wave")
@click.argument("label")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_wave_command(label: str, yes: bool) -> None:
    """Delete wave LABEL with all its responses, comments and invitations."""
    from survey.services.privacy import delete_wave

    if not yes and not click.confirm(f"Delete wave {label} and all its answers for good?"):
        _fail(ServiceError("cancelled; nothing was deleted"))
    try:
        deleted = delete_wave(label)
    except ServiceError as exc:
        _fail(exc)
        return
    click.echo(f"Wave {label} deleted: {deleted}.")


@privacy_group.command(name="delete-all")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_all_command(yes: bool) -> None:
    """Delete every wave and all answers (users, units and the audit log stay)."""
    from survey.services.privacy import delete_all_data

    if not yes and not click.confirm("Delete ALL waves and answers for good?"):
        _fail(ServiceError("cancelled; nothing was deleted"))
    click.echo(f"All survey data deleted: {delete_all_data()}.")


@privacy_group.command(name="retention")
@click.option("--years", type=int, default=None, help="Overrides TRIVSEL_RETENTION_YEARS.")
@click.option("--dry-run", is_flag=True, help="Only list the waves that would be deleted.")
@with_appcontext
def retention_command(years: int | None, dry_run: bool) -> None:
    """Delete closed waves that closed more than TRIVSEL_RETENTION_YEARS years ago."""
    from survey.services.privacy import apply_retention, expired_waves, parse_retention_years

    raw = (
        years
        if years is not None
        else (current_app.config.get("TRIVSEL_RETENTION_YEARS") or os.environ.get("TRIVSEL_RETENTION_YEARS"))
    )
    try:
        if raw is None:
            raise ServiceError("set TRIVSEL_RETENTION_YEARS (e.g. 5) or give --years")
        n = parse_retention_years(raw)
        if dry_run:
            labels = [w.label for w in expired_waves(n)]
            click.echo(f"Past {n} years: {', '.join(labels) or 'no waves'}.")
            return
        done = apply_retention(n)
    except ServiceError as exc:
        _fail(exc)
        return
    for label, deleted in done:
        click.echo(f"Wave {label} deleted: {deleted}.")
    click.echo(f"Retention {n} years: {len(done)} wave(s) deleted.")


@privacy_group.command(name="restamp")
@with_appcontext
def restamp_command() -> None:
    """Rewrite the used-marks, responses and comments of open waves in one transaction, in random
    order (run every few minutes while a wave is open): PostgreSQL transaction ids and row order then
    no longer follow the order of answering. On SQLite: empty the write-ahead log."""
    from survey.services.privacy import restamp

    click.echo(f"Restamped {restamp()} rows.")


def register_commands(app: Flask) -> None:
    """``backup``, ``restore`` and ``privacy`` on ``app.cli``."""
    for command in (backup_command, restore_command, privacy_group):
        app.cli.add_command(command)
