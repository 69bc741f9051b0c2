"""Altair chart specs (analysis/charts.py) built from the worked example's report dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import pytest
import vl_convert as vlc

import questionnaires
from analysis import charts

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"
TREE = ["KUF", "BIB", "HOVB", "FIL", "FNO", "FSY", "FVE", "MUS", "KUM", "HIM", "IDR", "SVH", "HAL", "ANL"]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questionnaire() -> questionnaires.Questionnaire:
    return questionnaires.load(EXAMPLE / "questionnaire.yaml")


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def _values(spec: dict) -> list[dict]:
    return spec["data"]["values"] if "data" in spec else spec["datasets"][next(iter(spec["datasets"]))]


def test_vega_lite_version_matches_altair() -> None:
    assert alt.SCHEMA_VERSION.startswith(f"v{charts.VL_VERSION}.")
    assert charts.VL_VERSION in vlc.get_vegalite_versions()


def test_heatmap_data_and_explicit_sorting(report: dict, questionnaire: Any) -> None:
    spec = charts.heatmap(report, questionnaire, "da").to_dict()
    values = _values(spec)
    assert len(values) == 14 * 3  # every unit x theme, hidden ones included
    units = {u["unit_id"]: u for u in report["units"]}
    enc = spec["encoding"] if "encoding" in spec else _layers(spec)[0]["encoding"]
    assert enc["y"]["sort"] == {"field": "unit_rank", "op": "min"}
    ranked = sorted({(v["unit_rank"], v["unit"]) for v in values})
    assert [label for _, label in ranked] == [charts.unit_label(units[u]) for u in TREE]
    assert enc["x"]["sort"] == ["Klarhed i opgaverne", "Fællesskab og ledelse", "Arbejdsmængde og tempo"]
    cells = {(v["unit_id"], v["theme_id"]): v for v in values}
    # README: HOVB klarhed mean 4.46, orange, significant decline -> symbol, decimal comma, filled arrow
    assert cells[("HOVB", "klarhed")]["text"] == "◆ 4,46 ↓"
    assert cells[("HOVB", "klarhed")]["flag"] == "◆ orange"
    # README: SVH tempo red (3.32), certain
    assert cells[("SVH", "tempo")]["flag"] == "● rød"
    assert cells[("SVH", "tempo")]["status"] == "● rød (klart under grænsen)"
    # hidden units: grey, and the cell says so in words
    assert cells[("FVE", "tempo")]["flag"] == "skjult" and cells[("FVE", "tempo")]["text"] == "skjult"
    assert cells[("FVE", "tempo")]["status"] == "skjult: færre end 5 besvarelser"
    assert cells[("FSY", "klarhed")]["status"] == "skjult: ville afsløre en mindre gruppe"
    # the colour scale lists the flags by symbol and word (legend), so colour is not the only signal
    colour = next(
        layer["encoding"]["color"] for layer in _layers(spec) if "color" in layer.get("encoding", {})
    )
    assert colour["scale"]["domain"] == ["● rød", "◆ orange", "▲ gul", "intet flag", "skjult"]


def test_heatmap_renders_to_svg(report: dict, questionnaire: Any) -> None:
    spec = charts.heatmap(report, questionnaire, "en").to_dict()
    svg = vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION)
    assert svg.startswith("<svg") and "4.46 ↓" in svg and "Hovedbiblioteket (HOVB)" in svg


def test_distribution(report: dict) -> None:
    row = next(
        s for s in report["scores"] if (s["unit_id"], s["kind"], s["id"]) == ("KUF", "theme", "klarhed")
    )
    spec = charts.distribution(row, "en").to_dict()  # type: ignore[union-attr]
    values = _values(spec)
    assert [v["answer"] for v in values] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [v["share"] for v in values] == row["distribution"]
    assert _layers(spec)[0]["encoding"]["x"]["sort"] == ["1", "2", "3", "4", "5", "6", "7"]
    # 0.3515625 of KUF answered 5 (report) -> "35%"
    assert values[4]["label"] == "35%" and values[4]["band"] == "favourable (5–7)"
    # a row with n < n_min_distribution has no distribution: no chart
    small = next(s for s in report["scores"] if s["distribution"] is None)
    assert charts.distribution(small, "en") is None
    with pytest.raises(ValueError, match="distribution has 5 shares, expected 7"):
        charts.distribution({"unit_id": "X", "id": "t", "distribution": [0.2] * 5}, "en")


def test_themes_for_unit(report: dict, questionnaire: Any) -> None:
    spec = charts.themes_for_unit(report, questionnaire, "HOVB", "en").to_dict()
    values = _values(spec)
    rows = {s["id"]: s for s in report["scores"] if s["unit_id"] == "HOVB" and s["kind"] == "theme"}
    titles = {t.id: t.title.get("en") for t in questionnaire.themes}
    assert [v["theme"] for v in values] == [titles["klarhed"], titles["faellesskab"], titles["tempo"]]
    for v, tid in zip(values, ["klarhed", "faellesskab", "tempo"], strict=True):
        assert (v["mean"], [v["lo"], v["hi"]], v["n"]) == (rows[tid]["mean"], rows[tid]["ci"], rows[tid]["n"])
    assert values[0]["label"] == "4.46 ↓ ◆ orange (close to the limit)"
    assert spec["title"] == "Themes for Hovedbiblioteket"
    with pytest.raises(ValueError, match="unit 'NOPE' is not in the report"):
        charts.themes_for_unit(report, questionnaire, "NOPE", "en")
    with pytest.raises(ValueError, match=r"unit 'FVE' has no theme scores to chart \(hidden: fewer than 5"):
        charts.themes_for_unit(report, questionnaire, "FVE", "en")


def test_unsupported_language(report: dict, questionnaire: Any) -> None:
    with pytest.raises(ValueError, match="unsupported language 'sv'"):
        charts.heatmap(report, questionnaire, "sv")


def test_spec_carries_the_number_locale_of_the_language() -> None:
    """Danish charts write 4,5 (decimal comma) on axes and in tooltips; English 4.5 (issue 6)."""
    import altair as alt

    from analysis import charts

    chart = alt.Chart(alt.Data(values=[{"a": 4.5}])).mark_point().encode(x="a:Q")
    da = charts.spec(chart, "da")["config"]["locale"]["number"]
    en = charts.spec(chart, "en")["config"]["locale"]["number"]
    assert (da["decimal"], da["thousands"]) == (",", ".")
    assert (en["decimal"], en["thousands"]) == (".", ",")
    with pytest.raises(ValueError):
        charts.spec(chart, "de")
