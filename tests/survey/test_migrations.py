"""The migration history produces exactly the models' schema, on SQLite and on PostgreSQL.

The session database (``database_url``) was built by ``flask_migrate.upgrade``; it is SQLite by
default and PostgreSQL when ``TRIVSEL_TEST_DATABASE_URL`` is set, so running the suite both ways
checks both. A fresh SQLite database is always checked as well, including a downgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db


def _diff(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, db.metadata)


def test_session_database_matches_models(app: Any) -> None:
    with app.app_context():
        assert _diff(db.engine) == []
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {
        "units",
        "waves",
        "wave_questionnaires",
        "invitations",
        "responses",
        "comments",
        "users",
    } <= tables


def test_fresh_sqlite_upgrade_matches_models_and_downgrades(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        assert _diff(db.engine) == []
        with db.engine.connect() as conn:
            ddl = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
        # rows stored in random-UUID order, not insertion order
        assert ddl["responses"].rstrip().endswith("WITHOUT ROWID")
        assert ddl["comments"].rstrip().endswith("WITHOUT ROWID")
        assert "WITHOUT ROWID" not in ddl["invitations"]
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        left = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert left == {"alembic_version"}


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def test_one_linear_history() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty database of its own: a SQLite file, or (with ``TRIVSEL_TEST_DATABASE_URL``) a new
    PostgreSQL database next to the test database, dropped afterwards."""
    import os

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get("TRIVSEL_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL: set TRIVSEL_TEST_DATABASE_URL")
    url = sa.make_url(base)
    name = f"{url.database}_keyed_marks_migration"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_keyed_used_marks_migration_converts_flags_and_refuses_unconvertible_marks(
    scratch_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """e5f6a7b8c9d0: ``invitations.used`` of an open wave becomes the keyed used-mark (so the
    invitation stays refused and reminders skip it), of a closed wave a random mark (counts stay);
    the wave records the key's check value; downgrade gives the flags back. An open wave with marks
    of the removed 'separate' mode cannot be converted: the upgrade is refused, nothing changes."""
    from survey.services import answering, invitations, marks

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migration-test-secret-key"})
    before = "d4e5f6a7b8c9"
    h = invitations.hash_token
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=before)
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO units (unit_id, name) VALUES ('U', 'Org'), ('V', 'Other')"))
            conn.execute(
                sa.text(
                    "INSERT INTO waves (id, label, status) VALUES (1, '2024', 'closed'), (2, '2025', 'open')"
                )
            )
            rows = [
                (1, 1, "U", "c1", True), (2, 1, "U", "c2", True), (3, 1, "V", "c3", False),
                (4, 2, "U", "t4", True), (5, 2, "U", "t5", False), (6, 2, "V", "t6", True),
            ]  # fmt: skip
            conn.execute(
                sa.text(
                    "INSERT INTO invitations (id, wave_id, unit_id, token_hash, kind, used, email) "
                    "VALUES (:i, :w, :u, :h, 'link', :used, NULL)"
                ),
                [{"i": i, "w": w, "u": u, "h": h(t), "used": used} for i, w, u, t, used in rows],
            )
            # a 'separate'-mode mark of the closed wave (its invitation 3 has used = false)
            conn.execute(sa.text("INSERT INTO used_marks VALUES (:m, 1, 'V')"), {"m": "a" * 64})
        upgrade(directory=MIGRATIONS_DIR)
        assert _diff(db.engine) == []
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT wave_id, unit_id, mark FROM used_marks")).all()
            check = conn.execute(sa.text("SELECT mark_key_check FROM waves WHERE id = 2")).scalar()
            assert "used" not in {c["name"] for c in sa.inspect(conn).get_columns("invitations")}
            if conn.dialect.name == "sqlite":  # the batch copy kept the CHECK constraint
                ddl = conn.execute(
                    sa.text("SELECT sql FROM sqlite_master WHERE name = 'invitations'")
                ).scalar()
                assert "kind IN ('link', 'code')" in str(ddl)
        assert {m for w, _u, m in got if w == 2} == {marks.mark_for(2, 4), marks.mark_for(2, 6)}
        assert sorted((w, u) for w, u, _m in got if w == 1) == [(1, "U"), (1, "U"), (1, "V")]
        assert check == marks.key_check()
        assert invitations.counts("2024") == {"U": (2, 2), "V": (1, 1)}
        assert invitations.counts("2025") == {"U": (2, 1), "V": (1, 1)}
        assert answering.lookup("t4").state is answering.TokenState.USED
        assert answering.lookup("t5").state is answering.TokenState.OK
        db.session.remove()
        downgrade(directory=MIGRATIONS_DIR, revision=before)
        with db.engine.connect() as conn:
            used = {i: bool(u) for i, u in conn.execute(sa.text("SELECT id, used FROM invitations")).all()}
            left = conn.execute(sa.text("SELECT wave_id, count(*) FROM used_marks GROUP BY wave_id")).all()
        # the closed wave keeps its marks (the earlier version counts flags and marks)
        assert used == {1: False, 2: False, 3: False, 4: True, 5: False, 6: True}
        assert [tuple(r) for r in left] == [(1, 3)]
        # refused: an open wave with 'separate' marks (hashes of tokens nobody keeps)
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO used_marks VALUES (:m, 2, 'U')"), {"m": "b" * 64})
        with pytest.raises(SystemExit):  # flask_migrate logs the RuntimeError and exits
            upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            cols = {c["name"] for c in sa.inspect(conn).get_columns("invitations")}
        assert version == before and "used" in cols
        assert (
            "wave '2025' is open and has used-marks of TRIVSEL_USED_MARKS=separate" in capsys.readouterr().err
        )
        db.session.remove()
        db.engine.dispose()


def test_keyed_marks_migration_can_run_again_after_a_failure_on_sqlite(tmp_path: Path) -> None:
    """SQLite commits an added column at once, outside the migration's transaction: when a later step
    of ``e5f6a7b8c9d0`` fails (e.g. "database is locked"), the column stays while the revision does
    not move. Running the upgrade again must finish, not stop at "duplicate column name"."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'half.db'}", "SECRET_KEY": "k" * 32})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="d4e5f6a7b8c9")
        with db.engine.begin() as conn:  # the state a failed first run leaves behind
            conn.exec_driver_sql("ALTER TABLE waves ADD COLUMN mark_key_check VARCHAR(16)")
        upgrade(directory=MIGRATIONS_DIR)
        assert _diff(db.engine) == []
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == _head()
        db.engine.dispose()


def _head() -> str:
    """The one head of the migration chain (there must be exactly one)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


def test_publication_versions_migration_makes_existing_rows_version_1_and_downgrades(
    scratch_url: str,
) -> None:
    """pv01a2b3c4d5: every stored publication becomes version 1 (created_at / created_by null), a second
    version of the same wave and questionnaire can be stored; downgrade keeps the newest version only
    (what the pages showed) and restores the one-per-wave key."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migration-test-secret-key"})
    before = "an02b3c4d5e6"
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=before)
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO waves (id, label, status) VALUES (1, '2024', 'closed')"))
            conn.execute(sa.text("INSERT INTO publications (wave_id, questionnaire_id, report, units) "
                                 "VALUES (1, 'q', '{\"v\": 1}', '[]')"))
        upgrade(directory=MIGRATIONS_DIR)
        assert _diff(db.engine) == []
        with db.engine.begin() as conn:
            got = conn.execute(sa.text("SELECT version, created_at, created_by FROM publications")).all()
            assert [tuple(r) for r in got] == [(1, None, None)]
            conn.execute(sa.text("INSERT INTO publications (wave_id, questionnaire_id, version, report, "
                                 "units, created_by) VALUES (1, 'q', 2, '{\"v\": 2}', '[]', 'cli')"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO publications (wave_id, questionnaire_id, version, report, "
                                 "units) VALUES (1, 'q', 2, '{}', '[]')"))
        db.session.remove()
        downgrade(directory=MIGRATIONS_DIR, revision=before)
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT report FROM publications")).all()
            cols = {c["name"] for c in sa.inspect(conn).get_columns("publications")}
        assert len(rows) == 1 and "2" in str(rows[0][0]) and "version" not in cols
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO publications (wave_id, questionnaire_id, report, units) "
                                 "VALUES (1, 'q', '{}', '[]')"))
        db.session.remove()
        db.engine.dispose()
