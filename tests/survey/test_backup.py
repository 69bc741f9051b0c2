"""``trivsel backup`` / ``trivsel restore``: a round trip into a fresh database, and every refusal.

The round trip runs on the session database's kind (SQLite; PostgreSQL with
``TRIVSEL_TEST_DATABASE_URL``, restoring into a second database ``<name>_restore``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from survey import MIGRATIONS_DIR, create_app
from survey.backup import BackupError, dump, read_backup, restore
from survey.extensions import db as _db
from survey.services.answering import Submission, submit


def _fresh_url(database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    url = sa.make_url(database_url)
    name = f"{url.database}_restore"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture()
def fresh_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on a second, migrated, empty database."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _fresh_url(database_url, tmp_path)})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        _db.engine.dispose()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture()
def filled(
    db: Any, make_units: Callable[..., None], make_wave: Callable[..., Any], example_questionnaire: Any
) -> dict[str, Any]:
    from survey.services import invitations, waves
    from survey.services.audit import record
    from survey.services.users import create_user

    make_units()
    make_wave("2023")
    for i, t in enumerate(invitations.create_links("2023", "A", 3, emails=["a@x.dk", "b@x.dk", "c@x.dk"])):
        submit(t, [Submission(example_questionnaire, {example_questionnaire.items[0].id: 1 + i}, {})], "en")
    waves.close_wave("2023")
    wave = make_wave("2025")
    wave.baseline_id = waves.get_wave("2023").id
    wave.closes_on = dt.date(2025, 5, 1)
    invitations.create_codes("2025", "B", 2)
    create_user("hr@x.dk", "hr", "a-long-password-123")
    record("test.event", target="x")
    db.session.commit()
    return dump()


def test_round_trip_restores_every_row(
    app: Flask, runner: Any, filled: dict[str, Any], fresh_app: Flask, tmp_path: Path
) -> None:
    file = tmp_path / "backup.json"
    r = runner.invoke(args=["backup", str(file)])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600  # it holds every answer
    saved = json.loads(file.read_text(encoding="utf-8"))
    assert len(saved["tables"]["responses"]["rows"]) == 3 and len(saved["tables"]["invitations"]["rows"]) == 5
    with fresh_app.app_context():  # the command uses the application context it finds
        r2 = fresh_app.test_cli_runner().invoke(args=["restore", str(file)])
        assert r2.exit_code == 0, r2.output
        assert "Restored" in r2.output
        again = dump()
    # identical except the audit log, which gained the "data.backup" event before the file was written
    for name, table in filled["tables"].items():
        if name != "audit_events":
            assert again["tables"][name] == table, name
    assert again["tables"]["audit_events"]["rows"] == saved["tables"]["audit_events"]["rows"]
    with fresh_app.app_context():
        # new rows get fresh ids after the restored ones (PostgreSQL sequences were moved on)
        from survey.services import invitations

        invitations.create_codes("2025", "A", 1)
        ids = _db.session.scalars(sa.select(sa.text("id")).select_from(sa.text("invitations"))).all()
        assert len(set(ids)) == 6


def test_restore_refuses_a_database_with_data(app: Flask, filled: dict[str, Any]) -> None:
    before = dump()
    with pytest.raises(BackupError, match="not empty"):
        restore(filled)
    assert dump() == before


def test_restore_refuses_a_broken_or_foreign_file(fresh_app: Flask, tmp_path: Path) -> None:
    runner = fresh_app.test_cli_runner()
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    r = runner.invoke(args=["restore", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "not a JSON backup file" in r.output
    r = runner.invoke(args=["restore", str(tmp_path / "missing.json")])
    assert r.exit_code == 1 and "no such file" in r.output
    with fresh_app.app_context():
        good = dump()
        with pytest.raises(BackupError, match="not a Trivsel backup"):
            restore({"tables": {}})
        with pytest.raises(BackupError, match="schema revision"):
            restore({**good, "revision": "0000"})
        with pytest.raises(BackupError, match="does not know"):
            restore({**good, "tables": {**good["tables"], "secrets": {"columns": [], "rows": []}}})
        with pytest.raises(BackupError, match="other columns"):
            restore({**good, "tables": {**good["tables"], "units": {"columns": ["unit_id"], "rows": []}}})
        bad_rows = {"columns": good["tables"]["units"]["columns"], "rows": [["U", "NOPE", "Org", 1]]}
        with pytest.raises(BackupError, match="nothing was changed"):
            restore({**good, "tables": {**good["tables"], "units": bad_rows}})  # parent does not exist
        assert dump() == good  # still empty


def test_read_backup_reports_the_file(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(b"\xff\xfe")
    with pytest.raises(BackupError, match="b.json"):
        read_backup(tmp_path / "b.json")
