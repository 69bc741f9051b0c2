"""``trivsel analyse`` (contract.md section 2): units + responses + questionnaire in, report out.

Exit status 0 on success; 2 on invalid input, with a message on stderr naming the file, line, column
and value and saying how to fix it. Everything is computed before anything is written; each output goes
to a temporary file in its target folder and is renamed into place only when every output succeeded, so
on any error no output file is written (and temporaries are removed).
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

import questionnaires
from questionnaires import QuestionnaireError

from .csvio import InputError
from .settings import Settings, read_settings


class InvalidInput(click.ClickException):
    """A ClickException with the contract's exit status 2."""

    exit_code = 2


def _folder_of(path: str, option: str) -> Path:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(option, f"the folder '{folder}' does not exist; create it or choose another path",
                         value=path)
    if target.is_dir():
        raise InputError(option, "this is a folder; give a file name", value=path)
    return folder


def _writer(module: str, function: str, label: str) -> Callable[..., None]:
    try:
        mod = importlib.import_module(f"analysis.{module}")
        fn = getattr(mod, function)
    except (ImportError, AttributeError):
        raise InputError(f"--{module}", f"{label} output is not available in this version; "
                         "leave the option out or use --json") from None
    return fn  # type: ignore[no-any-return,unused-ignore]  # getattr gives Any


def _check_waves(responses_name: str, waves: list[str], wave: str, baseline: str | None) -> None:
    present = sorted(set(waves))
    listed = ", ".join(present[:10]) or "none"
    if wave == "":
        raise InputError("--wave", "the wave label is empty; give e.g. --wave 2025")
    if wave not in present:
        raise InputError(responses_name, f"no rows for --wave {wave}; the file holds the waves {listed}",
                         column="wave", value=wave)
    if baseline is not None:
        if baseline == wave:
            raise InputError("--baseline", "the baseline must be an earlier wave, not the analysed wave",
                             value=baseline)
        if baseline not in present:
            raise InputError(responses_name,
                             f"no rows for --baseline {baseline}; the file holds the waves {listed}",
                             column="wave", value=baseline)


def _json_bytes(data: dict[str, object]) -> bytes:
    """The report JSON as :meth:`analysis.report.Report.to_json` writes it (orjson when installed)."""
    try:
        import orjson
    except ImportError:
        import json

        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return orjson.dumps(data)


def _write_all(outputs: list[tuple[str, Callable[[str], None]]]) -> None:
    """Write every output to a temporary file beside its target, then rename them all into place."""
    temps: list[tuple[str, str]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for target, write in outputs:
            folder = Path(target).parent if str(Path(target).parent) else Path(".")
            fd, tmp = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=f".tmp{Path(target).suffix}",
                                       dir=folder)
            os.close(fd)
            temps.append((tmp, target))
            write(tmp)
            # mkstemp (ours, or a writer's own atomic write onto tmp) creates 0600: give the usual mode
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


@click.command()
@click.option("--units", "units_path", required=True, metavar="units.csv", help="The organisation tree.")
@click.option("--responses", "responses_path", required=True, metavar="responses.csv",
              help="One row per respondent per wave.")
@click.option("--questionnaire", "questionnaire_refs", required=True, multiple=True, metavar="ID|FILE",
              help="A shipped questionnaire id or a questionnaire YAML file; give it more than once for one "
                   "report over several questionnaires (ids must be unique across them).")
@click.option("--wave", required=True, metavar="LABEL", help="The wave to analyse, e.g. 2025.")
@click.option("--baseline", default=None, metavar="LABEL", help="An earlier wave to compare with.")
@click.option("--baseline-units", "baseline_units_path", default=None, metavar="units.csv",
              help="The tree the baseline wave was published with (contract 5.4): a unit whose set of units "
                   "with respondents changed gets no change (class not_comparable). "
                   "Default: the --units tree.")
@click.option("--settings", "settings_path", default=None, metavar="settings.toml",
              help="Analysis settings (every key optional; contract 2.1).")
@click.option("--json", "json_path", required=True, metavar="REPORT.json", help="Where to write the report.")
@click.option("--xlsx", "xlsx_path", default=None, metavar="REPORT.xlsx",
              help="Also write an Excel workbook.")
@click.option("--html", "html_path", default=None, metavar="REPORT.html", help="Also write an HTML report.")
@click.option("--unit", "unit_id", default=None, metavar="UNIT_ID",
              help="The HTML report of this unit and the units under it only (needs --html; the JSON and "
                   "XLSX stay the whole report).")
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True,
              help="Language of the HTML report (the JSON has no language; the XLSX has English headers "
                   "and sentences in both languages).")
def analyse(
    units_path: str,
    responses_path: str,
    questionnaire_refs: tuple[str, ...],
    wave: str,
    baseline: str | None,
    baseline_units_path: str | None,
    settings_path: str | None,
    json_path: str,
    xlsx_path: str | None,
    html_path: str | None,
    unit_id: str | None,
    lang: str,
) -> None:
    """Analyse one wave of a well-being survey (contract.md section 2).

    Scores per unit and theme/item with change against --baseline (Welch, Benjamini-Hochberg), flags,
    polarisation, exposure prevalence and funding criteria; small groups are suppressed. Exit status 2
    on invalid input, and then nothing is written.
    """
    from .inputs import combine_questionnaires, read_responses, read_units  # pandas / SciPy only when run
    from .publish import PublishError, PublishPolicy, check_floors, publish
    from .report import analyse as run_analysis

    try:
        wave = wave.strip()
        baseline = baseline.strip() if baseline is not None else None
        paths = [(json_path, "--json"), (xlsx_path, "--xlsx"), (html_path, "--html")]
        given = [(p, o) for p, o in paths if p is not None]
        resolved = [os.path.abspath(p) for p, _ in given]
        if len(set(resolved)) != len(resolved):
            raise InputError("--json/--xlsx/--html", "two outputs have the same path; give each its own file")
        for p, o in given:
            _folder_of(p, o)
        if unit_id is not None:
            unit_id = unit_id.strip()
            if html_path is None:
                raise InputError("--unit", "only used with --html (the report of one part of the "
                                 "organisation); add --html REPORT.html or leave --unit out", value=unit_id)
            if not unit_id:
                raise InputError("--unit", "the unit id is empty; give a unit_id of the units file")
        writers: list[tuple[str, str, Callable[..., None]]] = []
        if xlsx_path is not None:
            writers.append((xlsx_path, "xlsx", _writer("xlsx", "write_xlsx", "XLSX")))
        if html_path is not None:
            writers.append((html_path, "html", _writer("html", "write_html", "HTML")))
        settings = read_settings(settings_path) if settings_path is not None else Settings()
        policy = PublishPolicy(audience="operator")
        try:
            check_floors(settings.to_dict(), policy)
        except PublishError as err:
            raise InputError(str(settings_path), str(err).removeprefix("report settings: ")) from None
        parts = [questionnaires.load(ref) for ref in questionnaire_refs]
        questionnaire = combine_questionnaires(parts, [f"--questionnaire {r}" for r in questionnaire_refs])
        units = read_units(units_path)
        baseline_units = None
        known = set(units["unit_id"].tolist())
        if baseline_units_path is not None:
            if baseline is None:
                raise InputError("--baseline-units",
                                 "only used with --baseline; add --baseline or leave it out",
                                 value=baseline_units_path)
            baseline_units = read_units(baseline_units_path)
            known |= set(baseline_units["unit_id"].tolist())
        responses = read_responses(responses_path, questionnaire, known)
        _check_waves(Path(responses_path).name, responses["wave"].tolist(), wave, baseline)
        report = run_analysis(units, responses, parts, wave, baseline, settings,
                              baseline_units=baseline_units)
        data = publish(report, policy)  # every output reads the publication
        blob = _json_bytes(data) + b"\n"

        def write_json(tmp: str) -> None:
            Path(tmp).write_bytes(blob)

        html_data = data
        if unit_id is not None:  # the publication's own rows of the subtree: nothing is recomputed
            from .html import subtree_report

            try:
                html_data = subtree_report(data, unit_id, where=Path(units_path).name)
            except ValueError as err:
                raise InputError("--unit", str(err), value=unit_id) from None
        outputs: list[tuple[str, Callable[[str], None]]] = [(json_path, write_json)]
        for target, kind, fn in writers:
            if kind == "html":
                outputs.append((target, lambda tmp, fn=fn: fn(html_data, questionnaire, tmp, lang=lang)))  # type: ignore[misc]
            else:
                outputs.append((target, lambda tmp, fn=fn: fn(data, questionnaire, tmp)))  # type: ignore[misc]
        _write_all(outputs)
    except (InputError, QuestionnaireError) as err:
        raise InvalidInput(str(err)) from None
    except ValueError as err:  # the engine's own checks (e.g. a unit the tree does not know)
        raise InvalidInput(f"invalid input: {err}") from None
    published = sum(1 for u in data["units"] if u["published"])
    root_resp = max((u["respondents"] for u in data["units"]), default=0)
    click.echo(
        f"wave {data['wave']}: {root_resp} respondents, {published} of {len(data['units'])} units published, "
        f"{len(data['scores'])} score rows, {len(data['exposures'])} exposure rows; wrote "
        + ", ".join(p for p, _ in given)
    )
