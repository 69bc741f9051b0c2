"""The ``trivsel`` command line: analysis commands plus the application's commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from analysis.cli import allocate, analyse


def _create_app():  # noqa: ANN202 - FlaskGroup calls this with no arguments
    from survey import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def cli() -> None:
    """Trivsel: anonymous well-being surveys. Run 'trivsel demo' to try it."""


cli.add_command(analyse)
cli.add_command(allocate)


def main() -> None:
    cli(prog_name="trivsel")
