"""Click commands for data in and out of the database, and the demo.

- ``trivsel responses import FILE --questionnaire ID`` – import a contract ``responses.csv``
  (contract.md 1.3) as closed waves named by the file's ``wave`` column;
- ``trivsel responses export --wave W --questionnaire Q [--output FILE]`` – export a closed wave in the same
  format (small units lifted, no free text, random order, audited; summary on stderr);
- ``trivsel demo [--db PATH] [--host H] [--port P] [--no-serve]`` – build a demo database and serve it.

Each command is a thin wrapper over :mod:`survey.services.dataset` or :mod:`survey.demo`.
Register them in ``survey/cli.py`` with ``cli.add_command(responses)`` and ``cli.add_command(demo)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from analysis.csvio import InputError
from questionnaires import QuestionnaireError


class _UsageError(click.ClickException):
    """Invalid input (bad file, unknown questionnaire): exit status 2, message on stderr, nothing written."""

    exit_code = 2


class _Refused(click.ClickException):
    """A service refused (e.g. the wave is open or already imported): exit status 1, nothing changed."""

    exit_code = 1


@click.group(name="responses")
def responses() -> None:
    """Import and export responses as responses.csv / Importér og eksportér besvarelser."""


@responses.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--questionnaire",
    "questionnaire_id",
    required=True,
    help="Shipped questionnaire id or a YAML file / Spørgeskemaets id eller en YAML-fil.",
)
@with_appcontext
def import_command(file: Path, questionnaire_id: str) -> None:
    """Import FILE as closed waves named by its 'wave' column (all rows or none)."""
    from survey.services import dataset

    try:
        summary = dataset.import_responses(file, questionnaire_id)
    except (InputError, QuestionnaireError) as exc:
        raise _UsageError(str(exc)) from None
    except dataset.DatasetError as exc:
        raise _Refused(str(exc)) from None
    for wave, count in summary.rows_per_wave.items():
        new = " (new closed wave / ny lukket måling)" if wave in summary.created_waves else ""
        click.echo(f"wave {wave}: {count} responses imported / besvarelser importeret{new}")
    if summary.dropped_followups:
        click.echo(
            f"{summary.dropped_followups} follow-up answers without an exposure (question empty or 0) "
            "were left out / opfølgende svar uden udsættelse er udeladt"
        )
    click.echo(
        f"questionnaire {summary.questionnaire_id} v{summary.questionnaire_version}: "
        f"{summary.total} rows in total / rækker i alt"
    )


@responses.command(name="export")
@click.option("--wave", "wave_label", required=True, help="Wave label, e.g. 2025 / Målingens navn.")
@click.option(
    "--questionnaire", "questionnaire_id", required=True, help="Questionnaire id / Spørgeskemaets id."
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output / Skriv til denne fil.",
)
@with_appcontext
def export_command(wave_label: str, questionnaire_id: str, output: Path | None) -> None:
    """Export one closed wave's responses in the contract's responses.csv format (audited).

    Units with fewer than k_min respondents are lifted into their nearest ancestor with enough, free text
    is dropped and rows come in random order; a summary goes to stderr. Nothing is written on an error.
    """
    from survey.services import dataset

    try:
        export = dataset.export_responses(wave_label, questionnaire_id, output)
    except InputError as exc:  # a bad TRIVSEL_ANALYSIS_SETTINGS value
        raise _UsageError(str(exc)) from None
    except dataset.DatasetError as exc:
        raise _Refused(str(exc)) from None
    except OSError as exc:
        raise _UsageError(
            f"cannot write {output}: {exc.strerror or exc}; check the folder exists"
        ) from None
    if output is None:
        sys.stdout.write(export.text)
    for line in export.summary_lines():
        click.echo(line, err=True)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


@click.command(name="demo")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("instance/demo.sqlite"),
    show_default=True,
    help="SQLite file to (re)create / SQLite-fil der oprettes (forfra).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Stop after the setup / Stop efter opsætningen.")
def demo(db_path: Path, host: str, port: int, no_serve: bool) -> None:
    """Create a demo database with a synthetic municipality and two waves, then serve it.

    DEMO ONLY: the printed passwords are public; never use this database for real answers.
    """
    from survey.demo import DemoError, run_demo

    try:
        run_demo(db_path, host=host, port=port, serve=not no_serve)
    except DemoError as exc:
        raise _UsageError(str(exc)) from None
