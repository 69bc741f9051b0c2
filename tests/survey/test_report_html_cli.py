"""``trivsel report html --wave W [--unit U] [--lang da|en] --output FILE``: the HTML report of a closed
wave from its stored publication, for the whole organisation or one subtree (issue 11, item 6)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import EXAMPLE

SUBTREE = {"FIL", "FNO", "FSY", "FVE"}  # Filialerne and its branches; FSY and FVE are hidden


@pytest.fixture()
def waves(app: Any, db: Any) -> None:
    """The worked example imported as the closed waves 2023 and 2025 (2025 compared with 2023)."""
    from survey.services import dataset, reporting
    from survey.services.units import import_units

    reporting.clear_cache()
    import_units(EXAMPLE / "units.csv")
    dataset.import_responses(
        EXAMPLE / "responses.csv", EXAMPLE / "questionnaire.yaml", baselines={"2025": "2023"}
    )


def units_in(html: str) -> set[str]:
    return set(re.findall(r'data-unit="([^"]+)"', html))


def rows_of(html: str, name: str) -> list[str]:
    return re.findall(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(name)}(?:(?!</tr>).)*</tr>", html, flags=re.S)


def test_subtree_report_holds_only_the_subtree_from_the_stored_publication(
    runner: Any, waves: None, db: Any, tmp_path: Path
) -> None:
    from survey.models_audit import AuditEvent
    from survey.services import reporting

    out = tmp_path / "fil.html"
    result = runner.invoke(args=["report", "html", "--wave", "2025", "--unit", "FIL", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "unit FIL (4 units)" in result.output
    html = out.read_text(encoding="utf-8")
    assert units_in(html) == SUBTREE
    for other in ("Hovedbiblioteket", "Kunstmuseet", "Svømmehallen", "Kultur- og Fritidsforvaltningen"):
        assert other not in html
    assert "Denne rapport dækker Filialerne og enhederne under den (4 enheder)." in html
    # a hidden unit stays hidden: listed with its reason, never with a number
    for name in ("Filial Syd", "Filial Vest"):
        rows = rows_of(html, name)
        assert rows and all("skjult" in r for r in rows)
        assert not any(re.search(r"\d[.,]\d\d", r) for r in rows)
    # the numbers are the publication's: Filial Nord's theme mean as the stored report has it
    report = reporting.wave_report("2025").report
    fno = next(s for s in report["scores"] if s["unit_id"] == "FNO" and s["kind"] == "theme")
    assert f"{fno['mean']:.2f}".replace(".", ",") in "".join(rows_of(html, "Filial Nord"))
    # the settings table is after the results
    assert html.index('<section id="settings">') > html.index('<section id="funding">')
    assert html.index('<section id="settings">') > html.index('<section id="changes">')
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.html"))
    assert event is not None and event.target == "2025/FIL"


def test_a_later_tree_edit_changes_nothing_in_the_subtree_report(
    runner: Any, waves: None, tmp_path: Path
) -> None:
    """The subtree is the one the wave was published with: moving Filial Nord to the museums today
    leaves it in Filialerne's report of 2025."""
    from survey.services import reporting
    from survey.services.units import import_units

    reporting.wave_report("2025")  # published (stored) now
    moved = (EXAMPLE / "units.csv").read_text(encoding="utf-8").replace("FNO,FIL,", "FNO,MUS,")
    (tmp_path / "units.csv").write_text(moved, encoding="utf-8")
    import_units(tmp_path / "units.csv")
    reporting.clear_cache()
    out = tmp_path / "fil.html"
    result = runner.invoke(args=["report", "html", "--wave", "2025", "--unit", "FIL", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert units_in(out.read_text(encoding="utf-8")) == SUBTREE


def test_whole_wave_in_english(runner: Any, waves: None, tmp_path: Path) -> None:
    out = tmp_path / "all.html"
    result = runner.invoke(args=["report", "html", "--wave", "2025", "--lang", "en", "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert len(units_in(html)) == 14 and 'id="scope"' not in html
    assert "Fewest answers before a unit's results are shown" in html.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--wave", "2025", "--unit", "NOPE"], 2,
         "--unit, value 'NOPE': no unit 'NOPE' in the published tree of wave 2025"),
        (["--wave", "2099"], 1, "2099"),
        (["--wave", "2025", "--lang", "de"], 2, "'de' is not one of 'da', 'en'"),
    ],
)
def test_errors_write_nothing(
    runner: Any, waves: None, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    out = tmp_path / "x.html"
    result = runner.invoke(args=["report", "html", *args, "--output", str(out)])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_open_wave_has_no_report(runner: Any, db: Any, make_units: Any, make_wave: Any,
                                    tmp_path: Path) -> None:
    make_units()
    make_wave("2026", status="open")
    out = tmp_path / "open.html"
    result = runner.invoke(args=["report", "html", "--wave", "2026", "--output", str(out)])
    assert result.exit_code == 1
    assert "wave '2026' is open" in result.output and "close it first" in result.output
    assert not out.exists()
