"""The trend page /rapporter/udvikling (issue 13, item 3): three closed waves, per theme the published
means and the class of each consecutive change, "not comparable" when a unit's leaf set changed between two
published trees (contract 5.4), hidden units without numbers, roles, Danish and English.

Waves: the worked example's 2023 and 2025, and a third wave 2026 whose answers are 2023's again (baseline
2025). Expected numbers: 2023 and 2025 from tests/data/example/expected_report.json (2025 against 2023);
2026 = 2023's data, so its means are 2023's and its change against 2025 is the mirror image (Welch's test
and the per-unit Benjamini-Hochberg correction are symmetric in the two samples).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.survey.staff_helpers import signed_in

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example"
EXPECTED = json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


def _table(page: str, theme: str) -> list[list[str]]:
    sec = re.search(rf'<section class="trend" aria-labelledby="trend-{theme}">.*?</section>', page, re.S)
    assert sec, f"no trend table for {theme}"
    return [
        [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", sec.group(0), re.S)
    ][1:]


def _row(unit: str, theme: str) -> dict[str, Any]:
    return next(s for s in EXPECTED["scores"] if (s["unit_id"], s["kind"], s["id"]) == (unit, "theme", theme))


def _third_wave(tmp_path: Path) -> Path:
    rows = list(csv.DictReader(io.StringIO((EXAMPLE / "responses.csv").read_text(encoding="utf-8"))))
    out = tmp_path / "responses-2026.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            if r["wave"] == "2023":
                w.writerow({**r, "wave": "2026"})
    return out


@pytest.fixture()
def three_waves(app: Any, db: Any, tmp_path: Path) -> dict[str, Any]:
    from survey.services import dataset, reporting
    from survey.services.units import import_units

    reporting.clear_cache()
    import_units(EXAMPLE / "units.csv")
    dataset.import_responses(
        EXAMPLE / "responses.csv", EXAMPLE / "questionnaire.yaml", baselines={"2025": "2023"}
    )
    for label in ("2023", "2025"):  # published (frozen with today's tree) before the tree changes
        reporting.report_for(label, "trivsel-eksempel")
    return {"tmp": tmp_path}


def _import_2026(tmp: Path) -> None:
    from survey.services import dataset

    dataset.import_responses(_third_wave(tmp), EXAMPLE / "questionnaire.yaml", baselines={"2026": "2025"})


def _fmt(v: float, signed: bool = False) -> str:
    from analysis import texts

    return texts.fmt_num(v, "en", 2, signed=signed)


def test_three_waves_series_and_classes(client: Any, three_waves: dict[str, Any]) -> None:
    from analysis import texts

    _import_2026(three_waves["tmp"])
    signed_in(client, "hr")
    r = client.get("/rapporter/udvikling?unit=BIB")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    bib = _row("BIB", "klarhed")
    ch = bib["change"]
    assert ch["class"] == "significant_decline"
    dec, inc = texts.change_arrow(ch), texts.change_arrow({"class": "significant_improvement"})
    assert _table(page, "klarhed") == [
        ["2023", _fmt(ch["baseline_mean"]), str(ch["baseline_n"]), "–"],
        [
            "2025",
            _fmt(bib["mean"]),
            str(bib["n"]),
            f"{dec} significant decline ({_fmt(ch['delta'], True)})",
        ],
        [
            "2026",
            _fmt(ch["baseline_mean"]),
            str(ch["baseline_n"]),
            f"{inc} significant improvement ({_fmt(-ch['delta'], True)})",
        ],
    ]
    # the whole organisation (the default unit): klarhed 2023→2025 looks large but is not certain
    page = client.get("/rapporter/udvikling").get_data(as_text=True)
    kuf = _row("KUF", "klarhed")
    rows = _table(page, "klarhed")
    assert [r[:3] for r in rows] == [
        ["2023", _fmt(kuf["change"]["baseline_mean"]), str(kuf["change"]["baseline_n"])],
        ["2025", _fmt(kuf["mean"]), str(kuf["n"])],
        ["2026", _fmt(kuf["change"]["baseline_mean"]), str(kuf["change"]["baseline_n"])],
    ]
    assert kuf["change"]["class"] == "inconclusive_change"
    d = kuf["change"]["delta"]  # 95 % interval excludes 0, not significant after the correction
    down, up = texts.change_arrow(kuf["change"]), texts.change_arrow({**kuf["change"], "delta": -d})
    assert rows[1][3] == f"{down} a sign of change, not certain ({_fmt(d, True)})"
    assert rows[2][3] == f"{up} a sign of change, not certain ({_fmt(-d, True)})"
    assert "Only" not in _text(page)  # three waves: no "a trend needs three" notice


def test_a_changed_tree_makes_the_step_not_comparable(client: Any, three_waves: dict[str, Any]) -> None:
    from survey.services.units import import_units

    # Filial Vest moves from Filialerne (under Bibliotekerne) to Museerne before the third wave
    moved = three_waves["tmp"] / "units.csv"
    moved.write_text(
        (EXAMPLE / "units.csv").read_text(encoding="utf-8").replace("FVE,FIL,", "FVE,MUS,"), encoding="utf-8"
    )
    import_units(moved)
    _import_2026(three_waves["tmp"])
    signed_in(client, "hr")
    for unit in ("BIB", "MUS"):
        rows = _table(client.get(f"/rapporter/udvikling?unit={unit}").get_data(as_text=True), "tempo")
        assert rows[1][3] != "not comparable (unit changed)"  # 2023→2025: same tree
        assert rows[2][3] == "not comparable (unit changed)", unit
    # a unit whose leaf set did not change keeps its verdict
    rows = _table(client.get("/rapporter/udvikling?unit=IDR").get_data(as_text=True), "tempo")
    assert "not comparable" not in rows[2][3] and rows[2][3]


def test_hidden_units_show_no_numbers(client: Any, three_waves: dict[str, Any]) -> None:
    _import_2026(three_waves["tmp"])
    signed_in(client, "hr")
    page = client.get("/rapporter/udvikling?unit=FVE").get_data(as_text=True)
    for theme in ("klarhed", "faellesskab", "tempo"):
        rows = _table(page, theme)
        assert [r[0] for r in rows] == ["2023", "2025", "2026"]
        for r in rows:
            assert r[1].startswith("hidden"), r
            assert not re.search(r"\d[.,]\d", " ".join(r)), r
        assert [r[2] for r in rows] == ["–", "–", "–"]


def test_roles_and_bad_parameters(app: Any, client: Any, three_waves: dict[str, Any]) -> None:
    _import_2026(three_waves["tmp"])
    assert client.get("/rapporter/udvikling").status_code in (302, 303)
    c = app.test_client()
    signed_in(c, "committee")
    assert c.get("/rapporter/udvikling").status_code == 403
    m = app.test_client()
    signed_in(m, "manager", unit_id="MUS")
    assert m.get("/rapporter/udvikling?unit=KUM").status_code == 200
    assert m.get("/rapporter/udvikling?unit=BIB").status_code == 404  # outside the subtree
    page = m.get("/rapporter/udvikling").get_data(as_text=True)
    assert 'value="KUF"' not in page and 'value="MUS"' in page
    signed_in(client, "hr")
    assert client.get("/rapporter/udvikling?unit=NOPE").status_code == 404
    assert client.get("/rapporter/udvikling?q=nope").status_code == 404


def test_danish_page_and_fewer_than_three_waves(client: Any, three_waves: dict[str, Any]) -> None:
    signed_in(client, "hr", lang="da")
    text = _text(client.get("/rapporter/udvikling?unit=BIB").get_data(as_text=True))
    assert "Udvikling over målingerne" in text and "signifikant fald" in text
    assert "Kun 2 afsluttede målinger" in text
    for english in ("Trends over", "Change since", "significant decline", "Wave", "Mean"):
        assert english not in text


def test_step_checks_the_leaf_sets_itself(app: Any) -> None:
    """Contract 5.4 at the page too: even if a change row claims a verdict, a step between two published
    trees in which the unit's leaf set differs is "not comparable"; and a step whose later wave was not
    compared with the wave before says so."""
    from types import SimpleNamespace

    from survey.reports.trends import _step

    change = {"class": "significant_decline", "delta": -0.7, "ci": [-1.0, -0.4]}
    tree = [{"unit_id": "A", "parent_id": None}, {"unit_id": "B", "parent_id": "A"}]
    moved = [{"unit_id": "A", "parent_id": None}, {"unit_id": "B", "parent_id": None}]

    def wr(label: str, units: list[dict[str, Any]], baseline: str | None) -> Any:
        scores = [{"unit_id": "A", "kind": "theme", "id": "t", "mean": 5.0, "n": 20, "change": change}]
        return SimpleNamespace(
            wave=SimpleNamespace(label=label), report={"baseline": baseline, "units": units, "scores": scores}
        )

    with app.test_request_context():  # a Danish page (the default language)
        assert _step(wr("1", tree, None), wr("2", tree, "1"), "A", "t", "da")["text"] == "signifikant fald"
        assert _step(wr("1", tree, None), wr("2", moved, "1"), "A", "t", "da") == {
            "class": "not_comparable",
            "text": "kan ikke sammenlignes (enheden er ændret)",
        }
        assert _step(wr("1", tree, None), wr("2", tree, "0"), "A", "t", "da")["text"] == (
            "ingen sammenligning med målingen før"
        )
