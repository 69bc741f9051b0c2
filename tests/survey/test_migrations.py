"""The migration history produces exactly the models' schema, on SQLite and on PostgreSQL.

The session database (``database_url``) was built by ``flask_migrate.upgrade``; it is SQLite by
default and PostgreSQL when ``TRIVSEL_TEST_DATABASE_URL`` is set, so running the suite both ways
checks both. A fresh SQLite database is always checked as well, including a downgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_one_linear_history() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
