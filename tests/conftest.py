"""Shared fixtures: ``app``, ``client``, ``runner``, ``db`` and factory fixtures.

The database is SQLite in a temporary directory by default. When ``TRIVSEL_TEST_DATABASE_URL`` is set
(e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) the tests run on that database instead:
at session start everything in it is dropped and recreated by running the migrations (another
suite may have used it), and every test starts from empty tables.

Factory fixtures (``make_units``, ``make_wave``, ``make_invitation``) return callables that write
through the services, so tests build their data the way the application does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

ROOT = Path(__file__).resolve().parent.parent
# pytest puts tests/ first on sys.path (rootdir conftest); without the repository root before it,
# `import questionnaires` / `import analysis` would find the namespace folders tests/questionnaires etc.
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "example"
PG_URL = os.environ.get("TRIVSEL_TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for the whole session."""
    from flask_migrate import upgrade

    from survey import MIGRATIONS_DIR, create_app

    if PG_URL:
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'trivsel.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "m" * 40})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        from survey.extensions import db

        db.engine.dispose()
    return url


@pytest.fixture()
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    from survey import create_app
    from survey.extensions import db as _db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    app.test_client_class = FreshContextClient
    from survey.services import reporting

    reporting.clear_cache()  # every test starts with empty tables (SQLite gives the same ids again)
    yield app
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                if table.name == "units":
                    conn.execute(table.update().values(parent_id=None))
                conn.execute(table.delete())
        _db.engine.dispose()


@pytest.fixture()
def db(app: Flask) -> Iterator[Any]:
    """The Flask-SQLAlchemy object inside an application context."""
    from survey.extensions import db as _db

    with app.app_context():
        yield _db
        _db.session.remove()


class FreshContextClient(FlaskClient):
    """A test client whose requests do not see ``g`` left over from earlier requests.

    While the ``db`` fixture holds an application context, Flask reuses it for every request, so
    ``g`` (Flask-WTF's CSRF token, Flask-Babel's locale) would leak from one request - and one
    client - to the next. In production every request has its own context; this restores that.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        from flask import g, has_app_context

        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def example_questionnaire() -> Any:
    """The worked example's questionnaire (tests/data/example/questionnaire.yaml)."""
    import questionnaires

    return questionnaires.load_file(EXAMPLE / "questionnaire.yaml")


@pytest.fixture()
def make_units(db: Any) -> Callable[..., None]:
    """``make_units([(unit_id, parent_id, name, headcount), ...])``; default: root ``U`` over ``A``, ``B``."""
    from survey.services.units import UnitRow, replace_units

    def make(rows: list[tuple[str, str | None, str, int | None]] | None = None) -> None:
        rows = rows or [
            ("U", None, "Organisation", 2),
            ("A", "U", "Afdeling A", 10),
            ("B", "U", "Afdeling B", 8),
        ]
        replace_units([UnitRow(*r) for r in rows])

    return make


@pytest.fixture()
def make_wave(db: Any, example_questionnaire: Any) -> Callable[..., Any]:
    """``make_wave(label="2025", status="open", questionnaires=None)`` -> Wave.

    Default questionnaire: the worked example's.
    """
    from survey.services import waves

    def make(label: str = "2025", status: str = "open", questionnaires: list[Any] | None = None) -> Any:
        wave = waves.create_wave(label, questionnaires or [example_questionnaire])
        if status in ("open", "closed"):
            waves.open_wave(label)
        if status == "closed":
            waves.close_wave(label)
        return wave

    return make


@pytest.fixture()
def make_invitation(db: Any) -> Callable[..., str]:
    """``make_invitation(wave_label, unit_id, kind="link")`` -> the plain token (or formatted code)."""
    from survey.services import invitations

    def make(wave_label: str = "2025", unit_id: str = "A", kind: str = "link") -> str:
        if kind == "code":
            return invitations.create_codes(wave_label, unit_id, 1)[0]
        return invitations.create_links(wave_label, unit_id, 1)[0]

    return make
