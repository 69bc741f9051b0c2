"""``trivsel allocate`` (contract.md section 3): report + applications + overrides in, allocation JSON out.

Exit status 0 on success; 2 on invalid input, with a message on stderr naming the file, line, column
and value, and then no output file is written (the JSON is written to a temporary file in the target
folder and renamed into place only when everything succeeded).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .allocation import Allocation, AllocationError, Application, Override
from .allocation import allocate as run_allocation
from .csvio import InputError, parse_int, read_table, read_text

APPLICATION_COLUMNS = ("application_id", "unit_id", "requested")
OVERRIDE_COLUMNS = ("unit_id", "amount", "reason")


class InvalidInput(click.ClickException):
    """A ClickException with the contract's exit status 2."""

    exit_code = 2


def _option_int(option: str, value: str | None, *, minimum: int) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"-?[0-9]+", text) is None:
        raise InputError(option, "expected a whole number of DKK without decimals or separators, e.g. 900000",
                         value=value)
    number = int(text)
    if number < minimum:
        raise InputError(option, f"must be at least {minimum}", value=value)
    return number


def _option_beta(value: str) -> float:
    try:
        beta = float(value.strip())
    except ValueError:
        raise InputError("--beta", "expected a number such as 1 or 0.5", value=value) from None
    if not math.isfinite(beta) or beta < 0:
        raise InputError("--beta", "must be a number >= 0 (1 = per capita, 0.5 dampens large units)",
                         value=value)
    return beta


def _read_report(path: str) -> tuple[str, Any]:
    name, text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            name,
            f"not valid JSON ({exc.msg} at character {exc.colno} of the line); "
            "give the report written by 'trivsel analyse --json'",
            line=exc.lineno,
        ) from None
    return name, data


def _read_applications(path: str) -> tuple[str, list[Application], list[int]]:
    table = read_table(path, required=APPLICATION_COLUMNS)
    apps: list[Application] = []
    lines: list[int] = []
    for line, rec in table.records():
        for col in ("application_id", "unit_id"):
            if rec[col] == "":
                raise InputError(table.name, f"the {col} is empty; fill it in",
                                 line=line, column=col, value="")
        requested = parse_int(table.name, line, "requested", rec["requested"], minimum=1)
        apps.append(Application(rec["application_id"], rec["unit_id"], requested))
        lines.append(line)
    return table.name, apps, lines


def _read_overrides(path: str) -> tuple[str, list[Override], list[int]]:
    table = read_table(path, required=OVERRIDE_COLUMNS)
    overrides: list[Override] = []
    lines: list[int] = []
    for line, rec in table.records():
        amount = parse_int(table.name, line, "amount", rec["amount"], minimum=0)
        overrides.append(Override(rec["unit_id"], amount, rec["reason"]))
        lines.append(line)
    return table.name, overrides, lines


def _as_input_error(
    err: AllocationError, files: dict[str, tuple[str, Sequence[int]]], options: dict[str, str | None]
) -> InputError:
    """Point an :class:`AllocationError` at the file and line (or the option) it came from."""
    if err.source in files:
        name, lines = files[err.source]
        line = lines[err.index] if err.index is not None and err.index < len(lines) else None
        message = err.message
        if err.other_index is not None and err.other_index < len(lines):
            message += f" (the first is on line {lines[err.other_index]})"
        return InputError(name, message, line=line, column=err.field, value=err.value)
    if err.source == "report":
        return InputError(files.get("report_name", ("report", []))[0], err.message)
    option = f"--{err.source}"
    return InputError(option, err.message, value=options.get(err.source, err.value))


def _write_json(path: str, data: dict[str, Any]) -> None:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(str(path), f"the folder '{folder}' does not exist; create it or choose another path")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _summary(result: Allocation, json_path: str) -> str:
    rate = "none (no candidate with a weight above 0)" if result.rate is None else \
        f"{result.rate:,.2f} DKK per point-employee"
    return (f"allocated {result.allocated:,} of {result.budget:,} DKK to {len(result.grants)} candidates "
            f"(rate {rate}; unallocated {result.unallocated:,} DKK); wrote {json_path}")


@click.command()
@click.option("--report", "report_path", required=True, metavar="REPORT.json",
              help="The report written by 'trivsel analyse --json'.")
@click.option("--budget", required=True, metavar="DKK", help="The whole budget in DKK (integer >= 0).")
@click.option("--cap", default=None, metavar="DKK", help="Largest grant per unit in DKK (default: no cap).")
@click.option("--beta", default="1", show_default=True, metavar="NUMBER",
              help="Weight = points x headcount^beta (1 = per capita, 0.5 dampens large units).")
@click.option("--applications", "applications_path", default=None, metavar="applications.csv",
              help="application_id, unit_id, requested. "
              "Without it every eligible published unit is a candidate.")
@click.option("--overrides", "overrides_path", default=None, metavar="overrides.csv",
              help="unit_id, amount, reason: the committee's fixed amounts.")
@click.option("--json", "json_path", required=True, metavar="ALLOCATION.json",
              help="Where to write the result.")
def allocate(
    report_path: str,
    budget: str,
    cap: str | None,
    beta: str,
    applications_path: str | None,
    overrides_path: str | None,
    json_path: str,
) -> None:
    """Allocate follow-up funds over the units that meet the funding criteria (contract.md section 3).

    One rate (DKK per point-employee) is found so that every candidate gets rate x points x headcount,
    limited by the cap and the amount applied for; amounts are rounded to whole 1,000 DKK by largest
    remainder. Exit status 2 on invalid input, and then nothing is written.
    """
    try:
        budget_dkk = _option_int("--budget", budget, minimum=0)
        assert budget_dkk is not None
        cap_dkk = _option_int("--cap", cap, minimum=0)
        beta_value = _option_beta(beta)
        report_name, report = _read_report(report_path)
        files: dict[str, tuple[str, Sequence[int]]] = {"report_name": (report_name, [])}
        applications: list[Application] | None = None
        overrides: list[Override] = []
        if applications_path is not None:
            name, applications, lines = _read_applications(applications_path)
            files["applications"] = (name, lines)
        if overrides_path is not None:
            name, overrides, lines = _read_overrides(overrides_path)
            files["overrides"] = (name, lines)
        try:
            result = run_allocation(report, budget_dkk, cap=cap_dkk, beta=beta_value,
                                    applications=applications, overrides=overrides)
        except AllocationError as err:
            raise _as_input_error(err, files, {"budget": budget, "cap": cap, "beta": beta}) from None
        _write_json(json_path, result.to_dict())
    except InputError as err:
        raise InvalidInput(str(err)) from None
    click.echo(_summary(result, json_path))
