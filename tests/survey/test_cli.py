"""The application's commands, through ``app.test_cli_runner()``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from survey.models import Invitation, Unit, User, Wave
from survey.services import answering

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


def test_units_import(runner: Any, db: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["units", "import", str(EXAMPLE / "units.csv")])
    assert result.exit_code == 0, result.output
    assert "14 added, 0 updated, 0 removed" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 14
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id,parent_id,name,size\nU,,Org,1\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(bad)])
    assert result.exit_code == 2
    assert "units.csv" in result.output and "size" in result.output


def test_user_create(runner: Any, db: Any, make_units: Any) -> None:
    make_units()
    result = runner.invoke(
        args=["user", "create", "--email", "hr@example.dk", "--role", "hr", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created hr account hr@example.dk" in result.output
    result = runner.invoke(
        args=["user", "create", "--email", "m@example.dk", "--role", "manager", "--unit", "A"],
        input="another long password\nanother long password\n",  # prompted twice
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.manager_unit_id).where(User.email == "m@example.dk")) == "A"
    result = runner.invoke(
        args=["user", "create", "--email", "x@example.dk", "--role", "manager", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 1 and "a manager needs --unit" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_wave_and_invitation_commands(runner: Any, db: Any, make_units: Any) -> None:
    make_units()
    q = str(EXAMPLE / "questionnaire.yaml")
    result = runner.invoke(
        args=["wave", "create", "2025", "-q", q, "--opens-on", "2025-03-01", "--closes-on", "2025-03-21"]
    )
    assert result.exit_code == 0, result.output
    assert "Created draft wave 2025 (trivsel-eksempel v3)" in result.output
    result = runner.invoke(args=["wave", "create", "2026", "-q", q, "--opens-on", "1. marts"])
    assert result.exit_code == 2 and "use YYYY-MM-DD" in result.output
    assert runner.invoke(args=["wave", "open", "2025"]).exit_code == 0

    result = runner.invoke(
        args=[
            "invitations",
            "create",
            "--wave",
            "2025",
            "--unit",
            "A",
            "--count",
            "3",
            "--base-url",
            "https://trivsel.example.dk/",
        ]
    )
    assert result.exit_code == 0, result.output
    links = re.findall(r"https://trivsel\.example\.dk/r/(\S+)", result.output)
    assert len(links) == 3
    assert all(answering.lookup(t).state is answering.TokenState.OK for t in links)
    result = runner.invoke(args=["invitations", "create", "--wave", "2025", "--unit", "B", "--kind", "code"])
    assert result.exit_code == 0
    (code,) = re.findall(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", result.output, re.M)
    assert answering.lookup(code.replace("-", "")).state is answering.TokenState.OK
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 4

    result = runner.invoke(args=["invitations", "create", "--wave", "2025", "--unit", "NOPE"])
    assert result.exit_code == 1 and "no unit 'NOPE'" in result.output
    assert runner.invoke(args=["wave", "close", "2025"]).exit_code == 0
    result = runner.invoke(args=["wave", "close", "2025"])
    assert result.exit_code == 1 and "only an open wave can be closed" in result.output
    assert db.session.scalar(sa.select(Wave.status)) == "closed"


def test_questionnaires_check(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    assert "ok   trivsel: trivsel version" in result.output
    shipped = Path(__file__).resolve().parents[2] / "questionnaires" / "definitions" / "trivsel.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.read_text(encoding="utf-8").replace("reverse: true", "revers: true", 1))
    result = runner.invoke(args=["questionnaires", "check", str(broken), str(shipped)])
    assert result.exit_code == 1
    assert "FAIL broken.yaml" in result.output and "revers" in result.output
    assert "1 of 2 definitions have problems" in result.output


def test_db_upgrade_command(tmp_path: Path) -> None:
    from survey import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.db'}"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from survey.extensions import db

    with app.app_context():
        assert "responses" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_console_script_lists_the_commands() -> None:
    from click.testing import CliRunner

    from survey.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in (
        "analyse",
        "allocate",
        "demo",
        "db",
        "units",
        "user",
        "wave",
        "invitations",
        "questionnaires",
        "responses",
    ):
        assert re.search(rf"^\s+{name}\s", result.output, re.M), name


def _events(db: Any) -> list[tuple[Any, ...]]:
    from survey.models_audit import AuditEvent

    db.session.remove()
    return [
        tuple(e)
        for e in db.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target, AuditEvent.detail).order_by(
                AuditEvent.id
            )
        )
    ]


def test_cli_writes_are_audited_with_actor_cli(runner: Any, db: Any, tmp_path: Path) -> None:
    """The commands call the same service functions as the pages, so each write is audited (actor "cli"),
    and a refused command leaves no event."""
    q = str(EXAMPLE / "questionnaire.yaml")
    steps: list[tuple[list[str], str | None, tuple[str, str, str | None, str | None]]] = [
        (["units", "import", str(EXAMPLE / "units.csv")], None, ("cli", "units.import", "units.csv", None)),
        (
            ["user", "create", "--email", "HR@example.dk", "--role", "hr", "--password-stdin"],
            "a long enough password\n",
            ("cli", "user.create", "hr@example.dk", "role=hr"),
        ),
        (["wave", "create", "2026", "-q", q], None, ("cli", "wave.create", "2026", None)),
        (["wave", "open", "2026"], None, ("cli", "wave.open", "2026", None)),
        (
            ["invitations", "create", "--wave", "2026", "--unit", "HOVB", "--count", "2"],
            None,
            ("cli", "invitations.create", "2026", "unit=HOVB count=2"),
        ),
        (
            ["invitations", "create", "--wave", "2026", "--unit", "FNO", "--count", "3", "--kind", "code"],
            None,
            ("cli", "codes.create", "2026", "unit=FNO count=3"),
        ),
        (
            ["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", q],
            None,
            ("cli", "responses.import", "responses.csv", "questionnaire=trivsel-eksempel"),
        ),
    ]
    for args, stdin, event in steps:
        before = len(_events(db))
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 0, (args, result.output)
        assert _events(db)[before:] == [event], args
    before = len(_events(db))
    assert runner.invoke(args=["wave", "close", "2026"]).exit_code == 0
    # closing also publishes the wave's report (its own audit event, when there are answers)
    assert _events(db)[before] == ("cli", "wave.close", "2026", None)
    # refused: nothing changed, nothing audited
    before = _events(db)
    for args in (
        ["wave", "open", "2026"],
        ["wave", "close", "2026"],
        ["wave", "create", "2026", "-q", q],
        ["invitations", "create", "--wave", "2026", "--unit", "HOVB"],
        ["units", "import", str(tmp_path / "missing.csv")],
    ):
        assert runner.invoke(args=args).exit_code != 0, args
    assert _events(db) == before
