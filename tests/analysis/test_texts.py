"""Plain-language sentences and labels (analysis/texts.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats

from analysis import texts

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


def _report() -> dict:
    return json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))


def _row(report: dict, unit: str, kind: str, id_: str) -> dict:
    return next(s for s in report["scores"] if (s["unit_id"], s["kind"], s["id"]) == (unit, kind, id_))


def _welch_critical_difference(s1: float, n1: int, s2: float, n2: int, alpha: float = 0.05) -> float:
    """Independent computation: t_{1-alpha/2, Welch df} * SE (statistics.md A5)."""
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return float(stats.t.ppf(1 - alpha / 2, df) * se)


def test_critical_difference_sentence_matches_statistics_md() -> None:
    # statistics.md A5: n1 = 14, n2 = 12, SD 1.2 -> critical difference about 0.98 (Welch df)
    crit = _welch_critical_difference(1.2, 14, 1.2, 12)
    assert round(crit, 2) == 0.98
    change = {"class": "no_significant_change", "delta": 0.3, "baseline_n": 14, "critical_difference": crit}
    en = texts.change_sentence(change, 12, "en")
    da = texts.change_sentence(change, 12, "da")
    assert en.endswith("With 14 and 12 answers a change must exceed 0.98 to be statistically significant.")
    assert da.endswith(
        "Med 14 og 12 besvarelser skal en ændring være større end 0,98 for at være statistisk signifikant."
    )


def test_significant_decline_sentence_from_example() -> None:
    # README of the example: HOVB klarhed 5.75 -> 4.46, delta -1.29, significant_decline
    row = _row(_report(), "HOVB", "theme", "klarhed")
    change = row["change"]
    assert change["class"] == "significant_decline"
    en = texts.change_sentence(change, row["n"], "en")
    da = texts.change_sentence(change, row["n"], "da")
    assert en.startswith("The decline of 1.29 is statistically significant.")
    assert da.startswith("Faldet på 1,29 er statistisk signifikant.")
    # the critical difference printed is the report's own, with the baseline n first (27 then 26)
    crit = f"{change['critical_difference']:.2f}"
    assert f"With 27 and 26 answers a change must exceed {crit}" in en
    assert f"Med 27 og 26 besvarelser skal en ændring være større end {crit.replace('.', ',')}" in da


def test_inconclusive_sentence_from_example() -> None:
    # README: ANL tempo (n 7 -> 8): delta +0.54, inconclusive_change
    row = _row(_report(), "ANL", "theme", "tempo")
    en = texts.change_sentence(row["change"], row["n"], "en")
    da = texts.change_sentence(row["change"], row["n"], "da")
    assert en.startswith(
        "The change of +0.54 looks large but is within what chance can produce with 7 and 8 answers."
    )
    assert da.startswith("Ændringen på +0,54 ser stor ud, men ligger inden for")
    assert "med 7 og 8 besvarelser" in da


@pytest.mark.parametrize(
    ("change", "en", "da"),
    [
        (
            {"class": "significant_improvement", "delta": 0.123, "meaningful": False, "baseline_n": 900},
            "The improvement of 0.12 is statistically significant but small.",
            "Fremgangen på 0,12 er statistisk signifikant, men den er lille.",
        ),
        (
            {"class": "stable", "delta": -0.046, "meaningful": False, "baseline_n": 400},
            "Stable: the change of \u22120.05 is statistically shown to be smaller than ±0.20, so nothing "
            "important changed.",
            "Uændret: ændringen på \u22120,05 er med statistisk sikkerhed mindre end ±0,20, så intet vigtigt "
            "har ændret sig.",
        ),
        (
            {"class": "no_significant_change", "delta": -0.1, "meaningful": False, "baseline_n": 30},
            "The change of \u22120.10 is not statistically significant.",
            "Ændringen på \u22120,10 er ikke statistisk signifikant.",
        ),
        (
            {"class": "too_few", "baseline_n": 3},
            "Too few answers to assess a change.",
            "For få besvarelser til at vurdere en ændring.",
        ),
        (
            {"class": "not_testable", "delta": 0.0, "meaningful": False, "baseline_n": 6},
            "Everyone gave the same answer in both waves, so the change of +0.00 cannot be tested.",
            "Alle svarede ens i begge målinger, så ændringen på +0,00 kan ikke testes statistisk.",
        ),
    ],
)
def test_sentence_per_class(change: dict, en: str, da: str) -> None:
    # no critical_difference given -> only the class sentence
    assert texts.change_sentence(change, 10, "en") == en
    assert texts.change_sentence(change, 10, "da") == da


def test_no_change_gives_empty_sentence() -> None:
    assert texts.change_sentence(None, 10, "en") == ""


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown change class 'better'"):
        texts.change_sentence({"class": "better", "delta": 0.5}, 10, "en")
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        texts.change_sentence({"class": "too_few"}, 10, "de")
    with pytest.raises(ValueError, match="has no delta"):
        texts.change_sentence({"class": "stable"}, 10, "en")
    with pytest.raises(ValueError, match="unknown flag 'green'"):
        texts.flag_label("green", True, "en")


def test_suppression_reason() -> None:
    report = _report()
    units = {u["unit_id"]: u for u in report["units"]}
    settings = report["settings"]
    # README: FVE primary (3 respondents), FSY secondary
    assert texts.suppression_reason(units["FVE"], settings, "en") == "fewer than 5 answers"
    assert texts.suppression_reason(units["FVE"], settings, "da") == "færre end 5 besvarelser"
    assert texts.suppression_reason(units["FSY"], settings, "en") == "would reveal a smaller group"
    assert texts.suppression_reason(units["FSY"], settings, "da") == "ville afsløre en mindre gruppe"
    assert texts.suppression_reason(units["KUF"], settings, "en") == ""
    # k_min comes from the settings
    assert texts.suppression_reason(units["FVE"], {"k_min": 7}, "en") == "fewer than 7 answers"
    # an engine-provided reason wins when present
    with_reason = dict(units["FSY"], suppressed_reason={"en": "hides FVE", "da": "skjuler FVE"})
    assert texts.suppression_reason(with_reason, settings, "da") == "skjuler FVE"
    with pytest.raises(ValueError, match="unit 'X': unknown suppression 'tertiary'"):
        bad = {"unit_id": "X", "published": False, "suppressed": "tertiary"}
        texts.suppression_reason(bad, settings, "en")


def test_number_formats() -> None:
    assert texts.fmt_num(1234.5, "da") == "1.234,50"
    assert texts.fmt_num(1234.5, "en") == "1,234.50"
    assert texts.fmt_num(-0.001, "en", signed=True) == "+0.00"  # no "−0.00"
    assert texts.fmt_share(0.3076923, "da") == "31 %"
    assert texts.fmt_share(0.3076923, "en") == "31%"
    assert texts.fmt_count("<3", "en") == "<3"
    assert texts.fmt_count(None, "da") == "–"  # a count left out (red team A1/A3), not an empty cell
    assert texts.fmt_num(None, "en") == ""


def test_labels_carry_words_and_symbols() -> None:
    assert texts.flag_label("red", True, "da") == "● rød (klart under grænsen)"
    assert texts.flag_label("orange", False, "en") == "◆ orange (close to the limit)"
    assert texts.flag_label(None, None, "en") == ""
    assert texts.change_arrow({"class": "significant_decline", "delta": -1}) == "↓"
    assert texts.change_arrow({"class": "inconclusive_change", "delta": 0.5}) == "↗"
    assert texts.change_arrow({"class": "inconclusive_change", "delta": -0.5}) == "↘"
    assert texts.change_arrow({"class": "stable", "delta": 0.01}) == "–"
    assert texts.class_label("inconclusive_change", "en") == "looks large but not certain"
    assert texts.change_label({"class": "inconclusive_change", "ci": [0.1, 0.9]}, "da") == (
        "tegn på ændring, ikke sikker")
    assert texts.level_label("strong", "da") == "stærkt polariseret"


def test_sentence_explains_multiple_testing_when_delta_exceeds_critical_difference() -> None:
    # example: KUF klarhed delta -0.27 > critical difference 0.24 (its 95 % interval excludes 0), but
    # q = 0.084 (BH over KUF's three themes) -> not significant: "a sign of change, not certain"; the
    # sentence must not leave the reader thinking -0.27 should have been significant, nor call it noise
    row = _row(_report(), "KUF", "theme", "klarhed")
    ch = row["change"]
    assert abs(ch["delta"]) > ch["critical_difference"] and ch["q"] > 0.05
    en = texts.change_sentence(ch, row["n"], "en")
    assert en.startswith("A sign of change, not certain: the change of \u22120.27")
    assert "not significant after the correction for testing all of this unit's figures together." in en
    assert "korrektionen" in texts.change_sentence(ch, row["n"], "da")
    assert "within" not in en and "tilfældig variation" not in texts.change_sentence(ch, row["n"], "da")
    # a significant row gets no such remark (HOVB klarhed, q 0.0002)
    hovb = _row(_report(), "HOVB", "theme", "klarhed")
    assert "tested at the same time" not in texts.change_sentence(hovb["change"], hovb["n"], "en")


def test_engine_reason_is_not_shown_on_pages() -> None:
    # the analysis engine writes a technical English reason ("secondary: protects the residual of FIL");
    # every page gets the plain, true reason instead (no ids, no counts, no mixed languages)
    row = {
        "unit_id": "FSY",
        "published": False,
        "suppressed": "secondary",
        "suppressed_reason": "secondary: protects the residual of FIL",
    }
    assert texts.suppression_reason(row, {"k_min": 5}, "en") == "would reveal a smaller group"
    assert texts.suppression_reason(row, {"k_min": 5}, "da") == "ville afsløre en mindre gruppe"


def test_not_comparable_change_has_a_label_and_a_sentence_in_both_languages():
    from analysis import texts

    change = dict.fromkeys(("baseline_n", "baseline_mean", "delta", "ci", "p", "q", "meaningful",
                            "critical_difference"))
    change["class"] = "not_comparable"
    assert "not_comparable" in texts.CHANGE_CLASSES
    assert texts.class_label("not_comparable", "da") == "kan ikke sammenlignes (enheden er ændret)"
    assert texts.change_sentence(change, 12, "da").startswith("Enheden omfatter andre teams")
    assert "cannot be compared" in texts.change_sentence(change, 12, "en")
    assert texts.change_arrow(change) == ""
