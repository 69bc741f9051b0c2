"""The application factory, configuration and error pages."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import abort

from survey import create_app, templates_dir
from survey.config import DEV_SECRET_KEY, ConfigError, build, instance_secret_key


def test_defaults(tmp_path: Path) -> None:
    cfg = build(str(tmp_path / "instance"), None, {})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'trivsel.db'}"
    assert (tmp_path / "instance").is_dir()  # created so SQLite can write there
    assert cfg["TRIVSEL_K_MIN"] == 5
    # no SECRET_KEY configured outside production: a random key kept in the instance folder
    key_file = tmp_path / "instance" / "secret_key"
    assert cfg["SECRET_KEY"] == key_file.read_text(encoding="ascii").strip()
    assert cfg["SECRET_KEY"] != DEV_SECRET_KEY and len(cfg["SECRET_KEY"]) >= 40
    assert cfg["BABEL_DEFAULT_LOCALE"] == "da"
    for name in (
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_USE_TLS",
        "MAIL_FROM",
        "MAIL_OUTBOX_DIR",
    ):
        assert name in cfg


def test_environment_and_mapping_override(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgres://u@db/trivsel",
        "TRIVSEL_K_MIN": "7",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "true",
        "MAIL_OUTBOX_DIR": "/tmp/outbox",
    }
    cfg = build(str(tmp_path), None, env)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/trivsel"
    assert (cfg["TRIVSEL_K_MIN"], cfg["MAIL_PORT"], cfg["MAIL_USE_TLS"]) == (7, 587, True)
    cfg = build(str(tmp_path), {"TRIVSEL_K_MIN": 10}, env)
    assert cfg["TRIVSEL_K_MIN"] == 10  # the mapping wins over the environment


def test_bad_environment_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TRIVSEL_K_MIN='five'"):
        build(str(tmp_path), None, {"TRIVSEL_K_MIN": "five"})
    # the floor of the publication step (analysis.publish.K_FLOOR): a deployment can raise it, never lower it
    for low in (1, 4):
        with pytest.raises(ConfigError, match="at least 5"):
            build(str(tmp_path), {"TRIVSEL_K_MIN": low}, {})
    with pytest.raises(ConfigError, match="TRIVSEL_USED_MARKS can only be 'keyed'"):
        build(str(tmp_path), None, {"TRIVSEL_USED_MARKS": "nowhere"})


def test_analysis_settings_file_and_proxies_from_environment(tmp_path: Path) -> None:
    toml = tmp_path / "settings.toml"
    toml.write_text("k_min = 7\n[flag_mean]\nred = 3.5\n", encoding="utf-8")
    cfg = build(str(tmp_path), None, {"TRIVSEL_ANALYSIS_SETTINGS": str(toml), "TRIVSEL_TRUSTED_PROXIES": "1"})
    assert cfg["TRIVSEL_ANALYSIS_SETTINGS"] == {"k_min": 7, "flag_mean": {"red": 3.5}}
    toml.write_text("k_mni = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="k_mni"):
        build(str(tmp_path), None, {"TRIVSEL_ANALYSIS_SETTINGS": str(toml)})
    with pytest.raises(ConfigError, match="cannot read"):
        build(str(tmp_path), None, {"TRIVSEL_ANALYSIS_SETTINGS": str(tmp_path / "missing.toml")})
    with pytest.raises(ConfigError, match="TRIVSEL_TRUSTED_PROXIES"):
        build(str(tmp_path), None, {"TRIVSEL_TRUSTED_PROXIES": "9"})


def test_trusted_proxy_sets_the_client_address(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'p.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TRIVSEL_TRUSTED_PROXIES": 1})

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request

        return str(request.remote_addr)

    r = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.get_data(as_text=True) == "203.0.113.7"


def test_used_marks_are_always_keyed_and_the_removed_modes_are_refused(tmp_path: Path) -> None:
    assert build(str(tmp_path), None, {"TRIVSEL_USED_MARKS": "keyed"})["TRIVSEL_USED_MARKS"] == "keyed"
    for removed in ("invitation", "separate"):
        with pytest.raises(ConfigError, match=f"TRIVSEL_USED_MARKS={removed} was removed"):
            build(str(tmp_path), None, {"TRIVSEL_USED_MARKS": removed})
    key = "k" * 40
    assert build(str(tmp_path), None, {"TRIVSEL_MARK_KEY": key})["TRIVSEL_MARK_KEY"] == key
    prod = {"TRIVSEL_ENV": "production", "SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigError, match="TRIVSEL_MARK_KEY must have at least 32 characters"):
        build(str(tmp_path), None, {**prod, "TRIVSEL_MARK_KEY": "short"})


def test_the_generated_secret_key_is_private_kept_and_per_installation(tmp_path: Path) -> None:
    first = build(str(tmp_path / "a"), None, {})["SECRET_KEY"]
    key_file = tmp_path / "a" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # only the server's user can read it
    assert build(str(tmp_path / "a"), None, {})["SECRET_KEY"] == first  # reused: sessions survive restarts
    assert build(str(tmp_path / "b"), None, {})["SECRET_KEY"] != first  # random, not a constant
    assert list((tmp_path / "a").iterdir()) == [key_file]  # no temporary file left behind
    # an explicit key wins and no file is written
    assert build(str(tmp_path / "c"), {"SECRET_KEY": "e" * 40}, {})["SECRET_KEY"] == "e" * 40
    assert build(str(tmp_path / "c"), None, {"SECRET_KEY": "v" * 40})["SECRET_KEY"] == "v" * 40
    assert not (tmp_path / "c" / "secret_key").exists()


def test_processes_starting_at_once_get_the_same_generated_key(tmp_path: Path) -> None:
    keys: list[str] = []
    start = threading.Barrier(8)

    def one() -> None:
        start.wait()
        keys.append(instance_secret_key(str(tmp_path / "inst")))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in (tmp_path / "inst").iterdir()] == ["secret_key"]


def test_a_bad_secret_key_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    inst = tmp_path / "inst"
    build(str(inst), None, {})
    key_file = inst / "secret_key"
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigError, match=r"can be read by other users \(mode 644\): run chmod 600"):
        build(str(inst), None, {})
    os.chmod(key_file, 0o600)
    key_file.write_text("short\n", encoding="ascii")
    with pytest.raises(ConfigError, match="holds no key of at least 32 characters; delete it"):
        build(str(inst), None, {})
    blocker = tmp_path / "a-file"  # an instance folder that cannot be created (works as root too)
    blocker.write_text("x", encoding="ascii")
    with pytest.raises(ConfigError, match="cannot create the secret key file .*set SECRET_KEY"):
        build(str(blocker / "inst"), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}, {})


def test_the_public_development_key_is_refused_everywhere(tmp_path: Path) -> None:
    """The key of earlier versions is in the source: a cookie signed with it must never be accepted."""
    for env in ("development", "production"):
        with pytest.raises(ConfigError, match="public development key"):
            build(str(tmp_path), {"TRIVSEL_ENV": env, "SECRET_KEY": DEV_SECRET_KEY}, {})
        with pytest.raises(ConfigError, match="public development key"):
            build(str(tmp_path), None, {"TRIVSEL_ENV": env, "SECRET_KEY": DEV_SECRET_KEY})


def test_production_refuses_without_real_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIVSEL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigError, match="needs a real SECRET_KEY"):
        create_app()
    with pytest.raises(ConfigError, match="needs a real SECRET_KEY"):  # production never generates one
        build(str(tmp_path / "prod"), {"TRIVSEL_ENV": "production"}, {})
    assert not (tmp_path / "prod" / "secret_key").exists()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SESSION_COOKIE_SECURE"] is True  # production sends the session over HTTPS only


def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path: Path) -> None:
    from survey.extensions import db

    # an app of its own on SQLite, whatever database the suite runs on
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pragmas.db'}"})
    with app.app_context(), db.engine.connect() as conn:
        assert isinstance(conn.connection.dbapi_connection, sqlite3.Connection)
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with app.app_context():
        db.engine.dispose()


def test_templates_come_from_the_top_level_package(app: Any) -> None:
    assert Path(templates_dir()) == Path(__file__).resolve().parents[2] / "templates"
    assert app.jinja_loader is not None and Path(app.jinja_loader.searchpath[0]) == Path(templates_dir())  # type: ignore[attr-defined]


def test_migrations_directory_is_inside_the_package(app: Any) -> None:
    directory = Path(app.extensions["migrate"].directory)
    assert directory.parent == Path(__file__).resolve().parents[2] / "survey"
    assert (directory / "env.py").is_file()


@pytest.fixture()
def error_app(app: Any) -> Any:
    @app.get("/_test/<int:code>")
    def _fail(code: int) -> None:
        abort(code)

    @app.get("/_test/boom")
    def _boom() -> None:
        raise RuntimeError("boom on /r/not-logged-token")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize(
    ("code", "danish", "english"),
    [
        (400, "Ugyldig forespørgsel", "Bad request"),
        (403, "Du har ikke adgang til denne side.", "You do not have access to this page."),
        (404, "Siden findes ikke", "Page not found"),
        (429, "For mange forsøg", "Too many attempts"),
        (500, "Noget gik galt", "Something went wrong"),
    ],
)
def test_error_pages_in_both_languages(error_app: Any, code: int, danish: str, english: str) -> None:
    client = error_app.test_client()
    resp = client.get(f"/_test/{code}")
    assert resp.status_code == code
    assert danish in resp.get_data(as_text=True) and '<html lang="da">' in resp.get_data(as_text=True)
    client.get("/sprog/en")
    resp = client.get(f"/_test/{code}")
    assert resp.status_code == code and english in resp.get_data(as_text=True)


def test_404_405_and_unhandled_500(error_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = error_app.test_client()
    assert "Siden findes ikke" in client.get("/no-such-page").get_data(as_text=True)
    resp = client.post("/start")
    assert resp.status_code == 405 and "Siden kan ikke bruges på den måde." in resp.get_data(as_text=True)
    resp = client.get("/_test/boom")
    assert resp.status_code == 500 and "Intet blev gemt" in resp.get_data(as_text=True)
    assert "RuntimeError" in caplog.text
    assert "not-logged-token" not in caplog.text  # redacted from message and traceback
