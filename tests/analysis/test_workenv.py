"""Work-environment imports and figures (analysis.workenv): DTU's published figures, the example files of
tests/data/workenv, small-group care, spells without persons, and every import's error paths.

Expected values are hand calculations written beside each assertion.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import csvio, inputs
from analysis import workenv as we
from analysis.csvio import InputError

DATA = Path(__file__).resolve().parent.parent / "data" / "workenv"
UNITS = inputs.read_units(DATA / "units.csv")
IDS = set(UNITS["unit_id"])


def _table(name: str, text: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> csvio.Table:
    return csvio.parse_table(name, text, required=required, optional=optional)


def _absence(text: str, ids: set[str] = IDS) -> pd.DataFrame:
    return we.absence_frame(_table("absence.csv", text, we.ABSENCE_REQUIRED, we.ABSENCE_OPTIONAL), ids)


def _incidents(text: str, ids: set[str] = IDS) -> pd.DataFrame:
    table = _table("incidents.csv", text, we.INCIDENT_REQUIRED, we.INCIDENT_OPTIONAL)
    return we.incidents_frame(table, ids)


def _units(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    text = "unit_id,parent_id,name\n" + "\n".join(",".join(r) for r in rows) + "\n"
    table = _table("units.csv", text, inputs.UNIT_COLUMNS, inputs.UNIT_OPTIONAL)
    return inputs.units_frame("units.csv", table)


# ---------------------------------------------------------------------------------------------
# DTU's published figures (CONTEXT.md; issue 13)
# ---------------------------------------------------------------------------------------------


def _dtu() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    units = _units([("DTU", "", "DTU")])
    # 12 months of 6,466 FTE and 8,029 staff; 46,326 sick days = 12 × 3,860.5; long-term 55 % of them
    lines = ["unit_id,month,fte,headcount,own_illness,long_term"]
    for year in (2024, 2025):
        for m in range(1, 13):
            lines.append(f"DTU,{year}-{m:02d},6466,8029,3860.5,{3860.5 * 0.55:.3f}")
    absence = _absence("\n".join(lines) + "\n", {"DTU"})
    incidents = _incidents(
        "unit_id,month,kind,count,absence_days\n"
        "DTU,2025-06,accident_absence,11,42\nDTU,2025-06,near_miss,98,\nDTU,2024-06,near_miss,66,\n",
        {"DTU"},
    )
    return units, absence, incidents


def test_dtu_ltif_and_sick_days_per_fte() -> None:
    units, absence, incidents = _dtu()
    fig = we.publish(units, absence, incidents, we.calendar_year(2025)).unit("DTU")["figures"]
    # LTIF = 11 / (6,466 FTE × 1,924 h) × 10⁶ = 11 / 12,440,584 × 10⁶ = 0.884203 (DTU publishes 0.9)
    assert fig["ltif"] == pytest.approx(0.884203, abs=1e-6)
    assert round(fig["ltif"], 1) == 0.9
    # 46,326 sick days / 6,466 FTE = 7.1646
    assert fig["sick_days"] == pytest.approx(46326)
    assert fig["sick_days_per_fte"] == pytest.approx(7.16455, abs=1e-5)
    # absence % = 46,326 / (6,466 × 1,924 / 7.4 = 1,681,160 work days) × 100 = 2.7556 %
    assert fig["absence_pct"] == pytest.approx(2.75560, abs=1e-5)
    # long-term (spells over 20 days) 55 % of all absence
    assert fig["long_term_share"] == pytest.approx(0.55)
    assert fig["long_term_rule"] == "over_20"
    assert fig["hours"] == pytest.approx(6466 * 1924)
    assert fig["hours_derived"] is True
    assert fig["count_accident_absence"] == 11 and fig["accident_days"] == 42


def test_dtu_near_misses_against_last_year() -> None:
    units, absence, incidents = _dtu()
    row = we.publish(units, absence, incidents, we.calendar_year(2025)).unit("DTU")
    assert row["figures"]["count_near_miss"] == 98
    assert row["previous"]["count_near_miss"] == 66
    assert row["change"]["near_miss"] == 32  # 98 − 66
    assert row["change"]["sick_days_per_fte"] == pytest.approx(0.0)


def test_hours_worked_column_wins_over_the_norm() -> None:
    units = _units([("U", "", "U")])
    absence = _absence(
        "unit_id,month,fte,headcount,hours_worked\nU,2025-01,100,110,15000\nU,2025-02,100,110,\n", {"U"}
    )
    incidents = _incidents("unit_id,month,kind,count\nU,2025-01,accident_absence,3\n", {"U"})
    fig = we.unit_figures(units, absence, incidents, we.calendar_year(2025)).iloc[0]
    # 15,000 h given + February derived: 100 FTE × 1,924 / 12 = 16,033.33 h
    assert fig["hours"] == pytest.approx(15000 + 100 * 1924 / 12)
    assert fig["ltif"] == pytest.approx(3 / (15000 + 100 * 1924 / 12) * 1e6)
    assert bool(fig["hours_derived"]) is True


# ---------------------------------------------------------------------------------------------
# the example files
# ---------------------------------------------------------------------------------------------


def _example() -> we.WorkEnvFigures:
    absence = we.read_absence(DATA / "absence.csv", IDS)
    incidents = we.read_incidents(DATA / "incidents.csv", IDS)
    reactions = we.read_reactions(DATA / "reactions.csv", IDS)
    return we.publish(UNITS, absence, incidents, we.calendar_year(2025), reactions=reactions)


def test_example_unit_figures_by_hand() -> None:
    res = _example()
    ple = res.unit("OMS-PLE")
    f = ple["figures"]
    # 12 months × 18.0 FTE / 12 = 18 FTE-years; 12 × 30 = 360 sick days -> 20.0 per FTE
    assert f["fte_years"] == pytest.approx(18.0)
    assert f["sick_days_per_fte"] == pytest.approx(20.0)
    # 360 / (18 × 260 work days) × 100 = 7.6923 %
    assert f["absence_pct"] == pytest.approx(100 * 360 / (18 * 260))
    # bands: 40 % of the sick days in spells of 30+ days, 20 % 10–29; long-term (over 20 days) 50 %
    assert f["band_30_plus"] == pytest.approx(144.0) and f["band_10_29"] == pytest.approx(72.0)
    assert f["long_term_share"] == pytest.approx(0.5)
    assert f["days_maternity"] == pytest.approx(60.0)  # 12 × 5
    assert f["days_child_sick"] == pytest.approx(12.0)
    # 2024: 12 × 36 = 432 sick days / 18 = 24.0 per FTE -> change −4.0
    assert ple["previous"]["sick_days_per_fte"] == pytest.approx(24.0)
    assert ple["change"]["sick_days_per_fte"] == pytest.approx(-4.0)
    assert f["count_violence"] == 4 and f["count_threats"] == 6 and f["count_emotional_demands"] == 5
    assert ple["previous"]["count_violence"] == 6


def test_example_ltif_of_a_unit() -> None:
    vej = _example().unit("TEK-VEJ")["figures"]
    # 3 accidents with absence / (13.5 FTE × 1,924 h = 25,974 h) × 10⁶ = 115.50
    assert vej["count_accident_absence"] == 3
    assert vej["ltif"] == pytest.approx(3 / 25974 * 1e6)
    assert vej["accident_days"] == pytest.approx(12.0)
    # sick days: 12 × 9 own illness + 1 work-injury day in March = 109
    assert vej["sick_days"] == pytest.approx(109.0)


def test_rolled_up_area_and_root() -> None:
    res = _example()
    oms = res.unit("OMS")["figures"]
    # OMS subtree: own 0.5 + PLE 30 + HJE 14 + VIS 2 per month = 46.5 × 12 = 558 sick days
    assert oms["sick_days"] == pytest.approx(558.0)
    # FTE-years 1.8 + 18 + 10.8 + 2.7 = 33.3
    assert oms["fte_years"] == pytest.approx(33.3)
    assert res.unit("OMS")["headcount"] == 37  # 2 + 20 + 12 + 3
    assert res.unit("ORG")["figures"]["count_accident_absence"] == 6  # 2 + 1 + 3


def test_rolling_twelve_months() -> None:
    absence = we.read_absence(DATA / "absence.csv", IDS)
    incidents = we.read_incidents(DATA / "incidents.csv", IDS)
    period = we.rolling_twelve("2025-06")
    assert period.start == "2024-07" and period.previous().start == "2023-07"
    f = we.publish(UNITS, absence, incidents, period).unit("OMS-PLE")["figures"]
    # 6 months of 2024 at 36 + 6 months of 2025 at 30 = 396 sick days / 18 FTE-years = 22.0
    assert f["sick_days_per_fte"] == pytest.approx(22.0)


def test_reactions_in_the_period_with_their_area() -> None:
    res = _example()
    assert [(r["date"], r["kind"], r["area"]) for r in res.reactions] == [
        ("2025-03-12", "paabud", "OMS"),
        ("2025-06-02", "vejledning", "TEK"),
        ("2025-10-20", "aftaleforloeb", "OMS"),
    ]
    summary = we.reactions_summary(res.reactions)
    assert summary["by_kind"] == {
        "strakspaabud": 0,
        "paabud": 1,
        "paatale": 0,
        "aftaleforloeb": 1,
        "vejledning": 1,
    }


# ---------------------------------------------------------------------------------------------
# small groups
# ---------------------------------------------------------------------------------------------


def test_unit_below_k_min_is_hidden() -> None:
    res = _example()
    vis = res.unit("OMS-VIS")
    assert vis["headcount"] == 3 and vis["published"] is False and vis["suppressed"] == "primary"
    assert vis["figures"] is None and vis["previous"] is None and vis["change"] is None


def test_parent_minus_children_reveals_no_hidden_unit() -> None:
    # R (no staff) over X (10 staff) and Y (3 staff): Y is hidden; R − X would give Y, so X is hidden too
    units = _units([("R", "", "R"), ("X", "R", "X"), ("Y", "R", "Y")])
    absence = _absence(
        "unit_id,month,fte,headcount,own_illness\nX,2025-01,10,10,7\nY,2025-01,3,3,11\n", {"R", "X", "Y"}
    )
    incidents = _incidents("unit_id,month,kind,count\nX,2025-01,near_miss,0\n", {"R", "X", "Y"})
    res = we.publish(units, absence, incidents, we.calendar_year(2025))
    assert res.unit("Y")["suppressed"] == "primary"
    assert res.unit("X")["suppressed"] == "secondary" and res.unit("X")["figures"] is None
    published = [u for u in res.units if u["published"]]
    assert [u["unit_id"] for u in published] == ["R"]
    # nothing published adds up to Y's 11 days: only R's total (18) is shown
    assert res.unit("R")["figures"]["sick_days"] == pytest.approx(18.0)


def test_counts_of_one_or_two_are_written_small_and_their_rates_hidden() -> None:
    res = _example()
    ple = res.unit("OMS-PLE")["figures"]
    assert ple["count_accident_absence"] == "<3"  # 2 accidents
    assert ple["ltif"] is None and ple["freq_accident_absence"] is None  # LTIF × hours would give the 2
    assert ple["accident_days"] is None
    assert res.unit("OMS-HJE")["figures"]["count_offensive_act"] == "<3"
    # TEK-BYG (8 staff) is hidden to protect TEK's own single employee (24 − 15 − 8 = 1 < 5); its 2
    # accidents without absence show in TEK as "<3"
    assert res.unit("TEK-BYG")["suppressed"] == "secondary"
    assert res.unit("TEK")["figures"]["count_accident_no_absence"] == "<3"
    assert res.unit("OMS-HJE")["figures"]["count_violence"] == 0  # a zero is shown


def test_count_residual_is_protected() -> None:
    # P has 5 violence incidents: A 3, B 2. B is "<3"; P − A = 2 would give B away, so A is hidden
    units = _units([("P", "", "P"), ("A", "P", "A"), ("B", "P", "B")])
    ids = {"P", "A", "B"}
    absence = _absence("unit_id,month,fte,headcount\nA,2025-01,10,10\nB,2025-01,10,10\n", ids)
    incidents = _incidents("unit_id,month,kind,count\nA,2025-01,violence,3\nB,2025-01,violence,2\n", ids)
    res = we.publish(units, absence, incidents, we.calendar_year(2025))
    assert res.unit("B")["figures"]["count_violence"] == "<3"
    assert res.unit("A")["figures"]["count_violence"] is None
    assert res.unit("A")["figures"]["freq_violence"] is None
    assert res.unit("P")["figures"]["count_violence"] == 5


def test_change_only_when_published_in_both_years() -> None:
    # Z had 4 staff in 2024 (hidden) and 6 in 2025 (published): no previous figures, no change
    units = _units([("R", "", "R"), ("Z", "R", "Z"), ("W", "R", "W")])
    ids = {"R", "Z", "W"}
    absence = _absence(
        "unit_id,month,fte,headcount,own_illness\nZ,2024-01,4,4,9\nZ,2025-01,6,6,3\n"
        "W,2024-01,20,20,1\nW,2025-01,20,20,1\n",
        ids,
    )
    none = pd.DataFrame(columns=["unit_id", "month", "kind", "count", "absence_days"])
    res = we.publish(units, absence, none, we.calendar_year(2025))
    z = res.unit("Z")
    assert z["published"] is True and z["previous"] is None and z["change"] is None


# ---------------------------------------------------------------------------------------------
# spells per person: unit figures and Bradford, no person left
# ---------------------------------------------------------------------------------------------


def test_spells_aggregate_to_unit_months_and_bradford() -> None:
    agg = we.read_spells(DATA / "spells.csv", DATA / "staff.csv", IDS)
    a = agg.absence.set_index(["unit_id", "month"])
    # January: E1001 2 days + E1002's spell 30 Jan–2 Feb (4 calendar days, 2 days): 2 × 2/4 = 1.0
    assert a.loc[("OMS-PLE", "2025-01"), "own_illness"] == pytest.approx(3.0)
    assert a.loc[("OMS-PLE", "2025-02"), "own_illness"] == pytest.approx(1.0)
    # E1003: 1 Apr–12 May (42 calendar days), 30 days: April 30 × 30/42, May 30 × 12/42, all 30+ and long-term
    assert a.loc[("OMS-PLE", "2025-04"), "band_30_plus"] == pytest.approx(30 * 30 / 42)
    assert a.loc[("OMS-PLE", "2025-05"), "long_term"] == pytest.approx(30 * 12 / 42)
    assert a.loc[("TEK-VEJ", "2025-09"), "work_injury"] == pytest.approx(10.0)
    assert a.loc[("TEK-VEJ", "2025-09"), "band_10_29"] == pytest.approx(10.0)
    assert a.loc[("OMS-HJE", "2025-02"), "child_sick"] == pytest.approx(1.0)
    assert a.loc[("OMS-HJE", "2025-02"), "band_0_9"] == pytest.approx(0.0)  # bands are sick days only
    # Bradford S² × D: E1001 3² × 6 = 54 (band 50–124); E1002 1 × 2 = 2, E1003 1 × 30 = 30 (band 0–49);
    # E1006 1 × 1 (TEK-VEJ, band 0–49); E1005's work injury and E1004's child's sick day do not count
    b = {(r.unit_id, r.band): r.persons for r in agg.bradford.itertuples()}
    assert b == {("OMS-PLE", 0): 2, ("OMS-PLE", 1): 1, ("TEK-VEJ", 0): 1}
    assert agg.spells == 8
    assert "person_id" not in agg.absence.columns and "person_id" not in agg.bradford.columns
    text = agg.absence.to_csv() + agg.bradford.to_csv()
    assert "E100" not in text


def test_bradford_distribution_is_published_with_small_counts() -> None:
    agg = we.read_spells(DATA / "spells.csv", DATA / "staff.csv", IDS)
    res = we.publish(
        UNITS,
        agg.absence,
        pd.DataFrame(columns=["unit_id", "month", "kind", "count", "absence_days"]),
        we.calendar_year(2025),
        bradford=agg.bradford,
    )
    ple = res.unit("OMS-PLE")["figures"]
    assert ple["bradford_0"] == "<3" and ple["bradford_1"] == "<3" and ple["bradford_4"] == 0
    # OMS: 2 + 1 = 3 persons in bands 0 and 1 together; band 0 alone: PLE 2 + HJE 0 = 2 -> "<3"
    assert res.unit("ORG")["figures"]["bradford_0"] == 3  # PLE 2 + VEJ 1
    assert we.bradford_band(49.9) == 0 and we.bradford_band(50) == 1 and we.bradford_band(650) == 4
    assert we.bradford_band_labels() == ("0–49", "50–124", "125–399", "400–649", "650+")


# ---------------------------------------------------------------------------------------------
# error paths: file, line, column, value and how to fix
# ---------------------------------------------------------------------------------------------

ABS_HEAD = "unit_id,month,fte,headcount,own_illness,band_0_9,band_10_29,band_30_plus,long_term\n"


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        ("XX,2025-01,1,1,0,,,,", "unit_id", "XX", "unknown unit"),
        ("ORG,2025-13,1,1,0,,,,", "month", "2025-13", "YYYY-MM"),
        ("ORG,25-01,1,1,0,,,,", "month", "25-01", "YYYY-MM"),
        ("ORG,2025-01,-1,1,0,,,,", "fte", "-1", "at least 0"),
        ("ORG,2025-01,1,1.5,0,,,,", "headcount", "1.5", "whole number"),
        ("ORG,2025-01,1,0,0,,,,", "headcount", "0", "headcount is 0"),
        ('ORG,2025-01,1,1,"2,5",,,,', "own_illness", "2,5", "decimal point"),
        ("ORG,2025-01,1,1,10,5,2,2,", "band_0_9", "5", "add up to 9"),
        ("ORG,2025-01,1,1,10,,,,11", "long_term", "11", "more than the sick days"),
        ("ORG,2025-01,0,0,3,,,,", "fte", "0", "fte 0"),
    ],
)
def test_absence_errors(row: str, column: str, value: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        _absence(ABS_HEAD + "ORG,2024-12,1,1,0,,,,\n" + row + "\n")
    e = err.value
    assert (e.file, e.line, e.column, e.value) == ("absence.csv", 3, column, value)
    assert words in str(e)


def test_absence_duplicate_month_and_header_errors() -> None:
    with pytest.raises(InputError, match=r"line 3.*appear twice \(first on line 2\)"):
        _absence("unit_id,month,fte,headcount\nORG,2025-01,1,1\nORG,2025-01,1,1\n")
    with pytest.raises(InputError, match="unknown column") as err:
        _absence("unit_id,month,fte,headcount,sick\nORG,2025-01,1,1,0\n")
    assert err.value.column == "sick"
    with pytest.raises(InputError, match="missing required column") as err:
        _absence("unit_id,month,fte\nORG,2025-01,1\n")
    assert err.value.column == "headcount"
    with pytest.raises(InputError, match="no data rows"):
        _absence("unit_id,month,fte,headcount\n")


INC_HEAD = "unit_id,month,kind,count,absence_days\n"


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        ("ORG,2025-01,fall,1,", "kind", "fall", "unknown kind"),
        ("ORG,2025-01,near_miss,-2,", "count", "-2", "at least 0"),
        ("ORG,2025-01,near_miss,2,4", "absence_days", "4", "accidents with absence only"),
        ("ORG,2025-01,accident_absence,0,4", "count", "0", "without an accident"),
        ("ORG,2025-01,violence,1,", "kind", "violence", "appear twice"),
        ("NOPE,2025-01,violence,1,", "unit_id", "NOPE", "unknown unit"),
    ],
)
def test_incident_errors(row: str, column: str, value: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        _incidents(INC_HEAD + "ORG,2025-01,violence,1,\n" + row + "\n")
    e = err.value
    assert (e.file, e.line, e.column, e.value) == ("incidents.csv", 3, column, value)
    assert words in str(e)


REA_HEAD = "date,unit_id,kind,topic\n"


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        ("2025-02-30,ORG,påbud,Ergonomi", "date", "2025-02-30", "YYYY-MM-DD"),
        ("2025-02-03,ORG,bøde,Ergonomi", "kind", "bøde", "strakspåbud, påbud"),
        ("2025-02-03,ORG,påbud,", "topic", "", "topic is empty"),
        ("2025-02-03,ORG,påbud," + "x" * 201, "topic", "x" * 40 + "…", "longer than 200"),
        ("2025-02-03,XX,påbud,Ergonomi", "unit_id", "XX", "unknown unit"),
    ],
)
def test_reaction_errors(row: str, column: str, value: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        we.reactions_frame(
            _table(
                "reactions.csv", REA_HEAD + "2025-01-01,ORG,Påbud,Støj\n" + row + "\n", we.REACTION_COLUMNS
            ),
            IDS,
        )
    e = err.value
    assert (e.file, e.line, e.column, e.value) == ("reactions.csv", 3, column, value)
    assert words in str(e)


def test_reaction_kinds_accept_danish_and_ascii() -> None:
    frame = we.reactions_frame(
        _table(
            "reactions.csv",
            REA_HEAD + "2025-01-01,ORG,Strakspåbud,Støj\n2025-01-02,ORG,aftaleforloeb,Støj\n",
            we.REACTION_COLUMNS,
        ),
        IDS,
    )
    assert list(frame["kind"]) == ["strakspaabud", "aftaleforloeb"]


SPELL_HEAD = "person_id,unit_id,kind,first_day,last_day,days\n"
STAFF = we.absence_frame(
    _table(
        "staff.csv",
        "unit_id,month,fte,headcount\nORG,2025-01,5,5\n",
        we.ABSENCE_REQUIRED,
        we.ABSENCE_OPTIONAL,
    ),
    IDS,
    staff_only=True,
)


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        (",ORG,own_illness,2025-01-02,2025-01-02,1", "person_id", "", "person_id is empty"),
        ("P2,ORG,flu,2025-01-02,2025-01-02,1", "kind", "flu", "unknown kind"),
        ("P2,ORG,own_illness,2025-01-05,2025-01-02,1", "last_day", "2025-01-02", "before first_day"),
        ("P2,ORG,own_illness,2025-01-02,2025-01-03,3", "days", "3", "calendar days"),
        (
            "P2,ORG,own_illness,2025-01-31,2025-02-01,2",
            "first_day",
            "2025-01-31",
            "no row for unit ORG and month 2025-02",
        ),
        ("P2,ORG,own_illness,2025/01/02,2025-01-03,1", "first_day", "2025/01/02", "YYYY-MM-DD"),
    ],
)
def test_spell_errors(row: str, column: str, value: str, words: str) -> None:
    table = _table(
        "spells.csv",
        SPELL_HEAD + "P1,ORG,own_illness,2025-01-02,2025-01-02,1\n" + row + "\n",
        we.SPELL_COLUMNS,
    )
    with pytest.raises(InputError) as err:
        we.spells_to_unit_months(table, STAFF, IDS)
    e = err.value
    assert (e.file, e.line, e.column, e.value) == ("spells.csv", 3, column, value)
    assert words in str(e)


def test_staff_file_of_a_spells_import_holds_no_days() -> None:
    with pytest.raises(InputError, match="holds no absence days") as err:
        we.absence_frame(
            _table(
                "staff.csv",
                "unit_id,month,fte,headcount,own_illness\nORG,2025-01,5,5,3\n",
                we.ABSENCE_REQUIRED,
                we.ABSENCE_OPTIONAL,
            ),
            IDS,
            staff_only=True,
        )
    assert (err.value.line, err.value.column) == (2, "own_illness")


def test_example_files_are_valid() -> None:
    assert len(we.read_absence(DATA / "absence.csv", IDS)) == 192
    assert len(we.read_incidents(DATA / "incidents.csv", IDS)) == 12
    assert len(we.read_reactions(DATA / "reactions.csv", IDS)) == 4


def test_analysis_does_not_import_flask() -> None:
    import subprocess
    import sys

    code = "import analysis.workenv, sys; print('flask' in sys.modules or 'sqlalchemy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "False"


def test_tree_fields_of_the_rows() -> None:
    res = _example()
    assert res.unit("ORG")["parent_id"] is None and res.unit("ORG")["area"] is None
    assert res.unit("OMS-PLE")["parent_id"] == "OMS" and res.unit("OMS-PLE")["area"] == "OMS"
    assert res.unit("OMS")["area"] == "OMS" and res.unit("TEK-VEJ")["depth"] == 2
