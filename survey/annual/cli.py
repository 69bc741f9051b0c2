"""Commands of the annual report: ``trivsel workenv-import KIND FILE`` and ``trivsel annual-report``.

Thin wrappers over :mod:`survey.services.workenv` and :mod:`survey.annual.render`. Exit status 2 for an
invalid file (the message names file, line, column and value; nothing stored), 1 when a service refuses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from survey.annual import bp, render


def _fail(exc: Exception, status: int) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(status)


@bp.cli.command("workenv-import")
@click.argument("kind", type=click.Choice(["absence", "spells", "incidents", "reactions"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--staff",
    type=click.Path(dir_okay=False, path_type=Path),
    help="staff.csv (FTE and headcount per unit and month); required with 'spells'",
)
def workenv_import(kind: str, file: Path, staff: Path | None) -> None:
    """Import absence, spells (with --staff), incidents or reactions (docs/formats.md)."""
    from analysis.csvio import InputError
    from survey.services import ServiceError
    from survey.services import workenv as svc

    try:
        if kind == "spells":
            if staff is None:
                raise click.UsageError(
                    "'spells' needs --staff staff.csv (FTE and headcount per unit and month)"
                )
            summary = svc.import_spells(file, staff)
        else:
            summary = {
                "absence": svc.import_absence,
                "incidents": svc.import_incidents,
                "reactions": svc.import_reactions,
            }[kind](file)
    except InputError as exc:
        _fail(exc, 2)
    except ServiceError as exc:
        _fail(exc, 1)
    extra = f" from {summary.extra} spells (no person stored)" if kind == "spells" else ""
    click.echo(f"Imported {summary.rows} {kind} rows{extra} for {summary.periods[0]}..{summary.periods[-1]}.")


@bp.cli.command("annual-report")
@click.option("--year", type=int, required=True, help="calendar year (and the survey wave labelled with it)")
@click.option("--area", default=None, help="a MED area (unit id of a child of the root); default: everything")
@click.option("--rolling", default=None, metavar="YYYY-MM", help="the twelve months ending with this month")
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def annual_report(
    year: int,
    area: str | None,
    rolling: str | None,
    lang: str,
    pdf_path: Path | None,
    xlsx_path: Path | None,
    json_path: Path | None,
) -> None:
    """Write the annual work-environment report (PDF, XLSX and/or JSON)."""
    from analysis.csvio import InputError
    from survey.services import ServiceError
    from survey.services import workenv as svc

    if not (pdf_path or xlsx_path or json_path):
        raise click.UsageError("give at least one of --pdf, --xlsx, --json")
    try:
        report = svc.annual_report(year, area, rolling=rolling)
        outputs: list[tuple[Path, bytes]] = []
        if pdf_path:
            outputs.append((pdf_path, render.pdf(report, lang)))
        if xlsx_path:
            outputs.append((xlsx_path, render.xlsx(report, lang)))
        if json_path:
            outputs.append(
                (json_path, json.dumps(report, ensure_ascii=False, indent=1, default=str).encode())
            )
    except InputError as exc:
        _fail(exc, 2)
    except ServiceError as exc:
        _fail(exc, 1)
    for path, data in outputs:
        path.write_bytes(data)
    click.echo(f"Wrote {', '.join(str(p) for p, _ in outputs)} ({render.title(report, lang)}).")
