"""The ``trivsel`` command line: analysis commands plus the application's commands.

Application commands are thin click wrappers over ``survey.services``; they are registered on
``app.cli`` by :func:`register_app_commands` (so ``app.test_cli_runner()`` sees them too).
"""

from __future__ import annotations

import click
from flask import Flask
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


def register_app_commands(app: Flask) -> None:
    """Add the application's command groups to ``app.cli``."""
    from flask_migrate.cli import db as db_group

    app.cli.add_command(db_group)


def main() -> None:
    cli(prog_name="trivsel")
