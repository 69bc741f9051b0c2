"""The self-contained HTML report (analysis/html.py), checked against the worked example's report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import questionnaires
from analysis.html import render_html, write_html

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questionnaire() -> questionnaires.Questionnaire:
    return questionnaires.load(EXAMPLE / "questionnaire.yaml")


@pytest.fixture(scope="module")
def html_da(report: dict[str, Any], questionnaire: questionnaires.Questionnaire) -> str:
    return render_html(report, questionnaire, "da")


@pytest.fixture(scope="module")
def html_en(report: dict[str, Any], questionnaire: questionnaires.Questionnaire) -> str:
    return render_html(report, questionnaire, "en")


def test_opens_offline(html_da: str) -> None:
    # no script, stylesheet, image or frame is loaded from anywhere: everything is inline
    assert not re.search(r"<script[^>]*\bsrc=", html_da)
    assert not re.search(r"<link[^>]*\bhref=", html_da)
    assert not re.search(r"<(img|iframe)[^>]*\bsrc=[\"']https?:", html_da)
    assert html_da.count('id="vega-embed-bundle"') == 1  # the bundle is inlined exactly once
    assert "vegaEmbed" in html_da


def test_language_attribute(html_da: str, html_en: str) -> None:
    assert html_da.startswith('<!DOCTYPE html>\n<html lang="da">')
    assert html_en.startswith('<!DOCTYPE html>\n<html lang="en">')


def test_significance_sentences_in_the_reports_language(
    report: dict[str, Any], html_en: str, html_da: str
) -> None:
    from analysis import texts

    # HOVB klarhed: 5.75 (n 27) -> 4.46 (n 26), significant decline (tests/data/example/README.md);
    # the changes table carries one sentence per row, in the report's language
    row = next(s for s in report["scores"] if s["unit_id"] == "HOVB" and s["id"] == "klarhed")
    assert texts.change_sentence(row["change"], row["n"], "en") in html_en
    assert texts.change_sentence(row["change"], row["n"], "da") not in html_en
    assert texts.change_sentence(row["change"], row["n"], "da").replace("−", "&minus;") in html_da or \
        texts.change_sentence(row["change"], row["n"], "da") in html_da


def test_changes_section_holds_what_needs_attention(report: dict[str, Any], html_da: str) -> None:
    # only significant changes and non-significant ones of at least 0.2; the rest is counted
    section = html_da[html_da.index('<section id="changes">'): html_da.index('<section id="spread">')]
    rows = re.findall(r"<tr data-unit=", section)
    from analysis import texts

    changes = [s["change"] for s in report["scores"] if s.get("change") and s["change"].get("q") is not None]
    wanted = ("significant_improvement", "significant_decline", "inconclusive_change")
    attention = sum(c["class"] in wanted or texts.is_sign_of_change(c) for c in changes)
    rest = len(changes) - attention
    assert 0 < len(rows) == attention < len(changes)
    assert f"De øvrige {rest} testede ændringer er små" in section
    # the settings table comes last, after the content
    assert html_da.index('<section id="settings">') > html_da.index('<section id="funding">')


def test_numbers_come_from_the_report(report: dict[str, Any], html_en: str, html_da: str) -> None:
    row = next(s for s in report["scores"] if s["unit_id"] == "SVH" and s["id"] == "tempo")
    # SVH tempo mean 3.32 (README of the example): shown with two decimals, decimal comma in Danish
    en = f"{row['mean']:.2f}"
    assert en in html_en
    assert en.replace(".", ",") in html_da


def test_hidden_units_show_a_reason_and_no_scores(report: dict[str, Any], html_en: str) -> None:
    hidden = [u for u in report["units"] if not u["published"]]
    assert {u["unit_id"] for u in hidden} == {"FSY", "FVE"}
    for u in hidden:
        assert u["name"] in html_en
    # a hidden row is a row with a status cell, never a row of numbers
    rows = re.findall(r"<tr[^>]*>(?:(?!</tr>).)*Filial Vest(?:(?!</tr>).)*</tr>", html_en, flags=re.S)
    assert rows, "Filial Vest should be listed"
    for r in rows:
        assert not re.search(r"\d[.,]\d\d", r), r  # no mean, sd or interval in a hidden row


def test_write_is_atomic(
    tmp_path: Path, report: dict[str, Any], questionnaire: questionnaires.Questionnaire
) -> None:
    target = tmp_path / "r.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError):
        write_html(report, questionnaire, target, lang="fr")
    assert target.read_text(encoding="utf-8") == "old"  # left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left behind
    write_html(report, questionnaire, target, lang="en")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_large_tree_heatmap_has_no_static_svg(
    report: dict[str, Any], questionnaire: questionnaires.Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    import analysis.html

    def fallback(doc: str) -> str:
        start = doc.index('<div data-chart="heatmap"')
        return doc[start: doc.index("</figure>", start)]

    assert "<svg" in fallback(render_html(report, questionnaire, "en"))
    monkeypatch.setattr(analysis.html, "SVG_FALLBACK_MAX_UNITS", len(report["units"]) - 1)
    doc = render_html(report, questionnaire, "en")
    assert "<svg" not in fallback(doc) and "drawn when the page is opened" in fallback(doc)
    assert '"heatmap"' in doc  # the interactive spec is still there


def test_settings_table_in_plain_words_after_the_results(html_da: str, html_en: str) -> None:
    for html in (html_da, html_en):
        settings = html.index('<section id="settings">')
        for section in ("units", "heatmap", "per-unit", "changes", "spread", "exposures", "funding"):
            assert html.index(f'<section id="{section}">') < settings, section
        assert "<section id=" not in html[settings + 1:]  # the last section of the report
    da = html_da[html_da.index('<section id="settings">'):]
    en = html_en[html_en.index('<section id="settings">'):].replace("&#x27;", "'")
    cell = r"</th><td class=\"num\">{}</td><td><code>{}</code>"
    assert re.search("Mindste antal besvarelser, før en enheds resultater vises" + cell.format("5", "k_min"),
                     da)
    assert re.search("Fewest answers before a unit's results are shown" + cell.format("5", "k_min"), en)
    assert re.search("Rødt flag, når andelen af svar 1–3 er mindst"
                     + cell.format("40 %", r"flag_unfavourable\.red"), da)
    assert re.search("Orange flag when the mean is below" + cell.format(r"4\.6", r"flag_mean\.orange"), en)
    assert re.search(cell.format("0,05", "alpha"), da) and re.search(cell.format(r"0\.05", "alpha"), en)
    assert re.search("Point til støtte for en splittet gruppe" + cell.format("2", r"points\.polarised"), da)


def test_setting_words_for_theme_tables_and_unknown_keys() -> None:
    from analysis.html import setting_words

    titles = {"ledelse": "Ledelse"}
    assert setting_words("flag_mean_theme.ledelse.red", "da", titles) == \
        "Ledelse: rødt flag, når gennemsnittet er under"
    assert setting_words("flag_unfavourable_theme.ledelse.yellow", "en", titles) == \
        "Ledelse: yellow flag when the share of answers 1–3 is at least"
    assert setting_words("something_new", "da") == "something_new"
    with pytest.raises(ValueError, match="unsupported language"):
        setting_words("k_min", "de")


def test_subtree_report_keeps_the_publications_rows(report: dict[str, Any]) -> None:
    from analysis.html import subtree_report

    part = subtree_report(report, "FIL")
    assert {u["unit_id"] for u in part["units"]} == {"FIL", "FNO", "FSY", "FVE"}
    assert part["units"] == [u for u in report["units"] if u["unit_id"] in {"FIL", "FNO", "FSY", "FVE"}]
    assert {s["unit_id"] for s in part["scores"]} <= {"FIL", "FNO"}  # hidden FSY / FVE have no rows
    assert part["settings"] == report["settings"] and part["scope"] == {"unit_id": "FIL", "units": 4}
    assert "scope" not in report  # the publication itself is untouched
    with pytest.raises(ValueError, match="no unit 'NOPE' in units.csv; give one of its unit ids"):
        subtree_report(report, "NOPE", where="units.csv")
