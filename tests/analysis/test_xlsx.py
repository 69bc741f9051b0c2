"""Excel workbook of a report (analysis/xlsx.py), checked against the worked example's report dict."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import questionnaires
from analysis.xlsx import write_xlsx

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"
SHEETS = ["Overview", "Themes", "Items", "Changes", "Spread", "Exposures", "Funding", "Settings"]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questionnaire() -> questionnaires.Questionnaire:
    return questionnaires.load(EXAMPLE / "questionnaire.yaml")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory, report: dict, questionnaire: Any) -> Any:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(report, questionnaire, path)
    return openpyxl.load_workbook(path)


def _records(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def approx(value: Any) -> Any:
    """openpyxl writes floats with 15-16 significant digits (as Excel keeps them), not Python's repr;
    None and strings compare exactly."""
    if isinstance(value, list | tuple):
        return type(value)(approx(v) for v in value)
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-14)
    return value


def _col(ws: Any, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def test_sheets_have_frozen_filterable_headers(workbook: Any) -> None:
    assert workbook.sheetnames == SHEETS
    for ws in workbook:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"


def test_overview_in_tree_order_with_indent_and_reasons(workbook: Any, report: dict) -> None:
    ws = workbook["Overview"]
    recs = _records(ws)
    # the tree drawn in tests/data/example/README.md, depth first
    assert [r["unit_id"] for r in recs] == [
        "KUF", "BIB", "HOVB", "FIL", "FNO", "FSY", "FVE", "MUS", "KUM", "HIM", "IDR", "SVH", "HAL", "ANL",
    ]  # fmt: skip
    units = {u["unit_id"]: u for u in report["units"]}
    for i, r in enumerate(recs, start=2):
        u = units[r["unit_id"]]
        assert (r["headcount"], r["respondents"], r["response rate"]) == approx(
            (u["headcount"], u["respondents"], u["response_rate"])
        )
        assert ws.cell(i, 2).alignment.indent == u["depth"]
    by_id = {r["unit_id"]: r for r in recs}
    assert by_id["FVE"]["status"] == "hidden: fewer than 5 answers"
    assert by_id["FSY"]["status"] == "hidden: would reveal a smaller group"
    assert by_id["KUF"]["status"] == "shown"
    assert ws.cell(2, _col(ws, "response rate")).number_format == "0.0%"


@pytest.mark.parametrize("sheet", ["Themes", "Items"])
def test_score_rows_match_report(workbook: Any, report: dict, sheet: str) -> None:
    kind = "theme" if sheet == "Themes" else "item"
    id_col = "theme_id" if sheet == "Themes" else "item_id"
    recs = {(r["unit_id"], r[id_col]): r for r in _records(workbook[sheet])}
    rows = [s for s in report["scores"] if s["kind"] == kind]
    assert rows
    for s in rows:
        r = recs[(s["unit_id"], s["id"])]
        assert r["status"] == "shown"
        assert (r["n"], r["mean"], r["sd"]) == approx((s["n"], s["mean"], s["sd"]))
        assert [r["ci low"], r["ci high"]] == approx(s["ci"] or [None, None])
        assert r["unfavourable share"] == approx(s["unfavourable_share"])
        assert r["flag certain"] == s["flag_certain"]
        ch = s["change"] or {}
        assert (r["baseline n"], r["change (delta)"], r["p"], r["q (BH)"]) == approx(
            (ch.get("baseline_n"), ch.get("delta"), ch.get("p"), ch.get("q"))
        )
        assert r["critical difference"] == approx(ch.get("critical_difference"))
        if s["flag"] is None:
            assert r["flag"] is None
        else:
            assert s["flag"] in r["flag"]  # "● red": word and symbol
    # every unit x theme/item appears, published or not (14 units)
    n_ids = 3 if kind == "theme" else 10
    assert len(recs) == 14 * n_ids


def test_number_formats(workbook: Any) -> None:
    ws = workbook["Themes"]
    assert ws.cell(2, _col(ws, "mean")).number_format == "0.00"
    assert ws.cell(2, _col(ws, "unfavourable share")).number_format == "0.0%"
    assert ws.cell(2, _col(ws, "n")).number_format == "0"


def test_hidden_units_and_rows_carry_their_reason_everywhere(workbook: Any) -> None:
    for sheet in ["Themes", "Items", "Spread", "Exposures", "Funding"]:
        recs = _records(workbook[sheet])
        fve = [r for r in recs if r["unit_id"] == "FVE"]
        fsy = [r for r in recs if r["unit_id"] == "FSY"]
        assert fve and all(r["status"] == "hidden: fewer than 5 answers" for r in fve), sheet
        assert fsy and all(r["status"] == "hidden: would reveal a smaller group" for r in fsy), sheet
        assert all(r.get("n") is None and r.get("mean") is None for r in fve + fsy)
    # README: row rule hides FNO's FAEL3 (FIL - FNO would show 4 people)
    items = {(r["unit_id"], r["item_id"]): r for r in _records(workbook["Items"])}
    assert items[("FNO", "FAEL3")]["status"].startswith("hidden: fewer than 5 answers to this question")
    assert items[("FNO", "FAEL3")]["mean"] is None
    assert items[("FIL", "FAEL3")]["status"] == "shown" and items[("FIL", "FAEL3")]["n"] == 13
    # README: HAL is out of the exposure pattern; FNO has fewer than n_min_exposure = 10 respondents
    exp = {(r["unit_id"], r["kind"]): r for r in _records(workbook["Exposures"])}
    assert exp[("HAL", "bullying")]["status"] == "hidden: would reveal a smaller group"
    assert exp[("FNO", "threats")]["status"] == "hidden: fewer than 10 answers"


def test_exposures_keep_small_counts_as_text(workbook: Any, report: dict) -> None:
    exp = {(r["unit_id"], r["kind"]): r for r in _records(workbook["Exposures"])}
    # README: HOVB bullying: 4 exposed, told_no_one "<3" with a null share
    hovb = exp[("HOVB", "bullying")]
    assert hovb["exposed"] == 4 and hovb["told no one"] == "<3" and hovb["told no one share"] is None
    for e in report["exposures"]:
        r = exp[(e["unit_id"], e["kind"])]
        assert (r["n"], r["exposed"], r["external"]) == (e["n"], e["exposed"], e["external"])
        assert r["share"] == approx(e["share"])


def test_changes_sorted_by_q_with_verdicts(workbook: Any, report: dict) -> None:
    recs = _records(workbook["Changes"])
    tested = [
        s for s in report["scores"] if s["change"] and s["change"]["class"] not in ("too_few", "not_testable")
    ]
    assert len(recs) == len(tested)
    qs = [r["q (BH)"] for r in recs]
    assert qs == sorted(qs)
    first = recs[0]
    # the smallest q in the example is HOVB klarhed (README: q 0.0002, significant decline)
    assert (first["unit_id"], first["id"], first["verdict"]) == ("HOVB", "klarhed", "significant")
    assert first["sentence (en)"].startswith("The decline of 1.29 is statistically significant.")
    assert first["sentence (da)"].startswith("Faldet på 1,29 er statistisk signifikant.")
    anl = next(r for r in recs if (r["unit_id"], r["family"], r["id"]) == ("ANL", "theme", "tempo"))
    assert anl["verdict"] == "looks large but not certain"
    # KUF klarhed: 95 % interval excludes 0, not significant after the per-unit correction
    kuf = next(r for r in recs if (r["unit_id"], r["family"], r["id"]) == ("KUF", "theme", "klarhed"))
    assert kuf["verdict"] == "a sign of change, not certain"


def test_spread_funding_settings(workbook: Any, report: dict, questionnaire: Any) -> None:
    spread = {(r["unit_id"], r["kind"], r["id"]): r for r in _records(workbook["Spread"])}
    reversed_items = {i.id for i in questionnaire.reverse_items}
    assert reversed_items  # TEMP2
    for s in report["scores"]:
        r = spread[(s["unit_id"], s["kind"], s["id"])]
        shares = [r[f"share {k}"] for k in range(1, 8)]
        if s["distribution"] is None:
            assert shares == [None] * 7 and r["status"].startswith("distribution hidden: fewer than 20")
        elif s["kind"] == "item" and s["id"] in reversed_items:
            # what people answered: the analysed (min + max − x) shares in the opposite order
            assert shares == approx(s["distribution"][::-1])
        else:
            assert shares == approx(s["distribution"])
    funding = {r["unit_id"]: r for r in _records(workbook["Funding"])}
    for f in report["funding"]:
        r = funding[f["unit_id"]]
        assert (r["points"], r["eligible"], r["C2 internal"]) == (f["points"], f["eligible"], f["internal"])
    # README: KUM has 7 points
    assert funding["KUM"]["points"] == 7
    settings = {r["setting"]: r["value"] for r in _records(workbook["Settings"])}
    assert settings["wave"] == "2025" and settings["baseline"] == "2023"
    assert settings["flag_mean.red"] == 4.0 and settings["points.polarised"] == 2


def test_engine_reason_is_used_when_present(tmp_path: Path, report: dict, questionnaire: Any) -> None:
    # a {lang: text} reason is shown; the engine's technical English string ("secondary: protects the
    # residual of FIL") is not: the plain, true reason is (issue 16)
    rep = copy.deepcopy(report)
    for u in rep["units"]:
        if u["unit_id"] == "FSY":
            u["suppressed_reason"] = {"en": "would reveal Filial Vest", "da": "ville afsløre Filial Vest"}
        if u["unit_id"] == "FVE":
            u["suppressed_reason"] = "primary: 3 respondents < 5"
    path = tmp_path / "r.xlsx"
    write_xlsx(rep, questionnaire, path)
    recs = _records(openpyxl.load_workbook(path)["Overview"])
    assert next(r for r in recs if r["unit_id"] == "FSY")["status"] == "hidden: would reveal Filial Vest"
    assert next(r for r in recs if r["unit_id"] == "FVE")["status"] == "hidden: fewer than 5 answers"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(schema="trivsel-allocation/1"), "schema is 'trivsel-allocation/1'"),
        (lambda r: r["questionnaire"].update(id="other"), "written for questionnaire 'other'"),
        (lambda r: r["scores"][0].update(id="nope"), r"scores\[0\]: theme 'nope' is not in questionnaire"),
        (lambda r: r.pop("units"), "missing key 'units'"),
    ],
)
def test_bad_report_is_refused_and_nothing_written(
    tmp_path: Path, report: dict, questionnaire: Any, change: Any, message: str
) -> None:
    rep = copy.deepcopy(report)
    change(rep)
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=message):
        write_xlsx(rep, questionnaire, path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_failed_save_leaves_no_partial_file(
    tmp_path: Path, report: dict, questionnaire: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analysis import xlsxfile

    def broken_save(self: Any) -> None:
        self.zip.fp.write(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(xlsxfile.Book, "save", broken_save)
    path = tmp_path / "r.xlsx"
    with pytest.raises(OSError, match="disk full"):
        write_xlsx(report, questionnaire, path)
    assert list(tmp_path.iterdir()) == []


def test_danish_workbook(tmp_path: Path, report: dict, questionnaire: Any) -> None:
    path = tmp_path / "rapport.xlsx"
    write_xlsx(report, questionnaire, path, "da")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Overblik", "Temaer", "Spørgsmål", "Ændringer", "Spredning", "Krænkelser",
                             "Puljemidler", "Indstillinger"]
    themes = _records(wb["Temaer"])
    assert {"enhed", "tema", "gennemsnit", "ændringstype", "forklaring (dansk)"} <= set(themes[0])
    fve = [r for r in themes if r["enheds-id"] == "FVE"]
    assert fve and all(r["status"] == "skjult: færre end 5 besvarelser" for r in fve)
    hovb = next(r for r in themes if (r["enheds-id"], r["tema-id"]) == ("HOVB", "klarhed"))
    assert hovb["tema"] == questionnaire.theme("klarhed").title.get("da")
    assert hovb["ændringstype"] == "↓ signifikant fald"
    kinds = {r["type"] for r in _records(wb["Krænkelser"])}
    assert kinds == {"mobning", "seksuel chikane", "trusler", "fysisk vold"}
    # no English header anywhere in a Danish workbook
    english = {"unit", "theme", "mean", "status_en", "change class", "sentence (en)", "Overview"}
    for ws in wb.worksheets:
        assert not english & {c.value for c in ws[1]}, ws.title
