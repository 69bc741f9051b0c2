"""``trivsel analyse`` (contract.md section 2). Placeholder until the report engine lands."""

from __future__ import annotations

import click


@click.command()
def analyse() -> None:
    """Analyse one wave (contract.md section 2)."""
    raise click.ClickException("not implemented yet")
