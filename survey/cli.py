"""The ``trivsel`` command line: analysis commands plus the application's commands.

Application commands are thin click wrappers over ``survey.services``; :func:`register_app_commands`
puts them on ``app.cli`` (so ``trivsel`` and ``app.test_cli_runner()`` both see them). Every command
prints a clear message and exits with status 1 when a service refuses (nothing is changed then), and
2 for invalid input files.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from analysis.cli import allocate, analyse
from survey.data_cli import demo, responses


def _create_app():  # noqa: ANN202 - FlaskGroup calls this with no arguments
    from survey import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def cli() -> None:
    """Trivsel: anonymous well-being surveys. Run 'trivsel demo' to try it."""


cli.add_command(analyse)
cli.add_command(allocate)


def _refusals(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn service refusals into a message on stderr and a non-zero exit status."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from analysis.csvio import InputError
        from survey.services import ServiceError

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except ServiceError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


# ---------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------


@click.group(name="units")
def units_group() -> None:
    """The organisation tree."""


@units_group.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@_refusals
def units_import(file: Path) -> None:
    """Replace the unit tree by FILE (units.csv, contract 1.1), all or nothing."""
    from survey.services.units import import_units

    result = import_units(file)
    click.echo(f"Units imported from {file.name}: {result}.")


# ---------------------------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------------------------


@click.group(name="user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command(name="create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "hr", "committee", "manager"]))
@click.option("--unit", "unit_id", default=None, help="For managers: the unit whose subtree they see.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option(
    "--oidc-subject",
    default=None,
    help="The person's 'sub' at the OpenID provider: the account signs in only through the provider "
    "(no password is asked for).",
)
@with_appcontext
@_refusals
def user_create(
    email: str, role: str, unit_id: str | None, password_stdin: bool, oidc_subject: str | None
) -> None:
    """Create a staff account; the password is prompted for (or read from stdin)."""
    from survey.services.users import create_user

    password: str | None
    if oidc_subject:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = create_user(email, role, password, unit_id=unit_id, oidc_subject=oidc_subject)
    click.echo(f"Created {user.role} account {user.email}.")


@user_group.command(name="link-oidc")
@click.option("--email", required=True)
@click.option("--subject", required=True, help="The person's 'sub' claim at the OpenID provider.")
@with_appcontext
@_refusals
def user_link_oidc(email: str, subject: str) -> None:
    """Link an existing account to a person at the OpenID provider (their 'sub')."""
    from survey.services.users import link_oidc_subject

    user = link_oidc_subject(email, subject)
    click.echo(f"{user.email} now signs in as '{subject}' at the OpenID provider.")


# ---------------------------------------------------------------------------------------------
# questionnaires
# ---------------------------------------------------------------------------------------------


@click.group(name="questionnaires")
def questionnaires_group() -> None:
    """Questionnaire definitions."""


@questionnaires_group.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def questionnaires_check(paths: tuple[Path, ...]) -> None:
    """Validate the shipped definitions, or the YAML files PATHS."""
    from questionnaires.check import check_all, check_paths

    results = check_paths(paths) if paths else check_all()
    failed = 0
    for name, outcome in results:
        if isinstance(outcome, Exception):
            failed += 1
            click.echo(f"FAIL {outcome}", err=True)
        else:
            click.echo(f"ok   {name}: {outcome.id} version {outcome.version}, {len(outcome.items)} items")
    if failed:
        click.echo(f"{failed} of {len(results)} definitions have problems.", err=True)
        sys.exit(1)


# ---------------------------------------------------------------------------------------------
# waves and invitations
# ---------------------------------------------------------------------------------------------


@click.group(name="wave")
def wave_group() -> None:
    """Survey waves: create (draft), open, close."""


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


@wave_group.command(name="create")
@click.argument("label")
@click.option(
    "--questionnaire",
    "-q",
    "questionnaire_ids",
    multiple=True,
    required=True,
    help="Shipped id or YAML path; repeat for several (answered in this order).",
)
@click.option("--opens-on", default=None, help="Planned opening date, YYYY-MM-DD.")
@click.option("--closes-on", default=None, help="Planned closing date, YYYY-MM-DD.")
@click.option("--baseline", default=None, help="Label of the earlier wave to compare with.")
@with_appcontext
@_refusals
def wave_create(
    label: str,
    questionnaire_ids: tuple[str, ...],
    opens_on: str | None,
    closes_on: str | None,
    baseline: str | None,
) -> None:
    """Create a draft wave LABEL running the given questionnaires."""
    from survey.services.waves import create_wave

    wave = create_wave(
        label,
        list(questionnaire_ids),
        opens_on=_date(opens_on),
        closes_on=_date(closes_on),
        baseline=baseline,
    )
    names = ", ".join(f"{wq.questionnaire_id} v{wq.version}" for wq in wave.questionnaires)
    click.echo(f"Created draft wave {wave.label} ({names}).")


@wave_group.command(name="open")
@click.argument("label")
@with_appcontext
@_refusals
def wave_open(label: str) -> None:
    """Open wave LABEL for answering."""
    from survey.services.waves import open_wave

    open_wave(label)
    click.echo(f"Wave {label} is open.")


@wave_group.command(name="close")
@click.argument("label")
@with_appcontext
@_refusals
def wave_close(label: str) -> None:
    """Close wave LABEL (no more answers; invitation e-mail addresses are deleted)."""
    from survey.services.waves import close_wave

    close_wave(label)
    click.echo(f"Wave {label} is closed; invitation e-mail addresses were deleted.")


@wave_group.command(name="republish")
@click.argument("label")
@click.option("--dry-run", is_flag=True, help="Only say what would change; publish nothing.")
@with_appcontext
@_refusals
def wave_republish(label: str, dry_run: bool) -> None:
    """Publish closed wave LABEL's report again (after a late import), checked against every earlier
    version: numbers whose change would reveal fewer than k_diff people are withheld."""
    from survey.services import reporting

    parts = reporting.republish_plan(label) if dry_run else reporting.republish(label)
    for p in parts:
        click.echo(f"{p.questionnaire_id} version {p.version}: {p.newly} cells newly published, "
                   f"{p.withheld} withheld by the version rule, {p.dropped} no longer shown")
    click.echo("Nothing was published (dry run)." if dry_run else f"Wave {label} is published again.")


@click.group(name="invitations")
def invitations_group() -> None:
    """Invitations: personal links and one-time codes."""


@invitations_group.command(name="create")
@click.option("--wave", "wave_label", required=True)
@click.option("--unit", "unit_id", required=True)
@click.option("--count", default=1, show_default=True, type=int)
@click.option("--kind", type=click.Choice(["link", "code"]), default="link", show_default=True)
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where respondents reach this server.",
)
@with_appcontext
@_refusals
def invitations_create(wave_label: str, unit_id: str, count: int, kind: str, base_url: str) -> None:
    """Create invitations and print the links or codes (shown once: only hashes are stored)."""
    from survey.services.invitations import create_codes, create_links

    if kind == "code":
        for code in create_codes(wave_label, unit_id, count):
            click.echo(code)
        click.echo(f"Respondents enter a code at {base_url.rstrip('/')}/kode", err=True)
    else:
        for token in create_links(wave_label, unit_id, count):
            click.echo(f"{base_url.rstrip('/')}/r/{token}")
    click.echo(f"{count} {kind} invitation(s) for unit {unit_id}, wave {wave_label}.", err=True)


# ---------------------------------------------------------------------------------------------
# reports of stored waves
# ---------------------------------------------------------------------------------------------


@click.group(name="report")
def report_group() -> None:
    """Reports of closed waves, from their stored publication / Rapporter over lukkede målinger."""


@report_group.command(name="html")
@click.option("--wave", "wave_label", required=True, help="A closed wave's label, e.g. 2025.")
@click.option("--unit", "unit_id", default=None, metavar="UNIT_ID",
              help="Only this unit and the units under it (in the tree the wave was published with).")
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True,
              help="Language of the report.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the HTML file.")
@with_appcontext
@_refusals
def report_html(wave_label: str, unit_id: str | None, lang: str, output: Path) -> None:
    """Write the self-contained HTML report of a closed wave (all of its questionnaires).

    The numbers are the wave's stored publication, as the report pages show them; with --unit the
    report holds only that part of the organisation (hidden units stay hidden). Nothing is written on
    an error.
    """
    from analysis.csvio import InputError
    from analysis.html import subtree_report, write_html
    from survey.services import ServiceError, reporting

    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("--output", f"the folder '{folder}' does not exist; create it or choose another "
                         "path", value=str(output))
    wave = reporting.get_wave(wave_label)
    if wave.status != "closed":
        raise ServiceError(
            "wave '%(wave_label)s' is %(status)s; a wave's report is published when it "
            "closes: close it first",
            wave_label=wave_label,
            status=wave.status,
        )
    wr = reporting.wave_report(wave_label)
    data: dict[str, Any] = wr.report
    if unit_id is not None:
        try:
            data = subtree_report(data, unit_id.strip(), where=f"the published tree of wave {wave_label}")
        except ValueError as err:
            raise InputError("--unit", str(err), value=unit_id) from None
    write_html(data, wr.questionnaire, output, lang=lang)
    reporting.log_access("export.html", target=wave_label if unit_id is None else f"{wave_label}/{unit_id}")
    scope = f", unit {unit_id} ({len(data['units'])} units)" if unit_id is not None else ""
    click.echo(f"wrote {output}: wave {wave_label}{scope}, {lang}")


def register_app_commands(app: Flask) -> None:
    """Add the application's command groups to ``app.cli``."""
    from flask_migrate.cli import db as db_group

    app.cli.add_command(db_group)
    for command in (units_group, user_group, questionnaires_group, wave_group, invitations_group,
                    report_group):
        app.cli.add_command(command)
    app.cli.add_command(responses)
    __import__("survey.backup").backup.register_commands(app)  # backup, restore, privacy (K)


# `demo` builds its own app and database, so it sits on the top-level group (no app needed to start)
cli.add_command(demo)


def main() -> None:
    cli(prog_name="trivsel")
