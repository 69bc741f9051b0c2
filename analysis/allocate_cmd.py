"""``trivsel allocate`` (contract.md section 3). Placeholder until the allocation lands."""

from __future__ import annotations

import click


@click.command()
def allocate() -> None:
    """Allocate follow-up funds (contract.md section 3)."""
    raise click.ClickException("not implemented yet")
