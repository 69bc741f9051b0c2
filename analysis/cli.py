"""Click commands ``trivsel analyse`` and ``trivsel allocate`` (contract.md sections 2 and 3).

Placeholder: the analysis issue fills these in.
"""

from __future__ import annotations

import click


@click.command()
def analyse() -> None:
    """Analyse one wave (contract.md section 2)."""
    raise click.ClickException("not implemented yet")


@click.command()
def allocate() -> None:
    """Allocate follow-up funds (contract.md section 3)."""
    raise click.ClickException("not implemented yet")
