"""The demo generator (survey/demo.py): deterministic, the right sizes, and the story is in the data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import questionnaires
from survey import demo

# A questionnaire with a theme per story role, a reverse item, a don't-know code and all four exposure kinds.
_TEXT = {"da": "x", "en": "x"}
_ITEM_SPEC = [
    ("ledelse", ["LED1", "LED2", "LED3"]),
    ("tempo", ["TEM1", "TEM2", "TEM3"]),
    ("samarbejde", ["SAM1", "SAM2", "SAM3", "SAM4"]),
    ("mening", ["MEN1", "MEN2"]),
]
_KINDS = {"bullying": "MOB", "sexual_harassment": "SEX", "threats": "TRU", "violence": "VOL"}


def _definition() -> dict[str, object]:
    return {
        "id": "demo-test",
        "version": 1,
        "title": _TEXT,
        "scales": {"enig7": {"min": 1, "max": 7, "dont_know": 9}},
        "themes": [
            {
                "id": tid,
                "title": _TEXT,
                "items": [
                    {"id": iid, "text": _TEXT, "scale": "enig7", "reverse": iid == "TEM2"} for iid in items
                ],
            }
            for tid, items in _ITEM_SPEC
        ],
        "exposures": [
            {
                "kind": kind,
                "question": {"id": f"{p}_Q", "text": _TEXT},
                "source": {"id": f"{p}_SRC", "text": _TEXT},
                "handled": {"id": f"{p}_HAN", "text": _TEXT},
                "told": {"id": f"{p}_TOLD", "text": _TEXT},
            }
            for kind, p in _KINDS.items()
        ],
    }


@pytest.fixture(scope="module")
def questionnaire() -> questionnaires.Questionnaire:
    return questionnaires.from_dict(_definition(), "demo-test")


@pytest.fixture(scope="module")
def frame(questionnaire: questionnaires.Questionnaire) -> pd.DataFrame:
    return demo.generate_responses(questionnaire)


def _theme_scores(frame: pd.DataFrame, q: questionnaires.Questionnaire) -> pd.DataFrame:
    """Theme scores computed here independently of analysis/: reverse 8 - x, don't-know 9 = missing."""
    out = frame[["wave", "unit_id"]].copy()
    for theme in q.themes:
        cols = []
        for item in theme.items:
            x = pd.to_numeric(frame[item.id].replace({"": np.nan, "9": np.nan}))
            cols.append(8 - x if item.reverse else x)
        out[theme.id] = pd.concat(cols, axis=1).mean(axis=1)
    return out


def _in(frame: pd.DataFrame, unit_id: str) -> pd.Series:
    return frame["unit_id"].isin(sorted(demo.subtree(unit_id)))


# ---------------------------------------------------------------------------------------------- organisation


def test_organisation_is_a_tree_of_the_intended_size() -> None:
    ids = [u.unit_id for u in demo.UNITS]
    assert len(ids) == len(set(ids)) == 31
    roots = [u for u in demo.UNITS if u.parent_id is None]
    assert len(roots) == 1
    assert all(u.parent_id in ids for u in demo.UNITS if u.parent_id is not None)
    assert demo.subtree(roots[0].unit_id) == set(ids)  # connected, no cycles
    total = sum(u.headcount for u in demo.UNITS)
    assert total == 432 and 300 <= total <= 500
    parent = {u.unit_id: u.parent_id for u in demo.UNITS}

    def depth(uid: str) -> int:
        return 0 if parent[uid] is None else 1 + depth(parent[uid])  # type: ignore[arg-type]

    assert max(depth(u) for u in ids) == 3  # 4 levels: root, area, department, workplace
    for uid in demo.STORY.tiny:
        assert 3 <= next(u.headcount for u in demo.UNITS if u.unit_id == uid) <= 4


def test_units_csv_is_contract_form() -> None:
    text = demo.units_csv()
    lines = text.splitlines()
    assert lines[0] == "unit_id,parent_id,name,headcount"
    assert lines[1] == "K,,Demo Kommune – Direktion og sekretariat,8"
    assert len(lines) == 32


def test_response_rates_between_75_and_90_percent() -> None:
    counts = demo.respondent_counts()
    for wave in demo.WAVES:
        for u in demo.UNITS:
            n = counts[(wave, u.unit_id)]
            # n = round(h × r) with r in [0.75, 0.90]: |n − h·r| ≤ 0.5
            assert u.headcount * 0.75 - 0.5 <= n <= u.headcount * 0.90 + 0.5
        total = sum(counts[(wave, u.unit_id)] for u in demo.UNITS)
        assert 0.75 <= total / 432 <= 0.90


# ---------------------------------------------------------------------------------------------- responses


def test_deterministic_for_a_seed(questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame) -> None:
    again = demo.generate_responses(questionnaire)
    pd.testing.assert_frame_equal(frame, again)
    other = demo.generate_responses(questionnaire, seed=7)
    assert not frame.equals(other)


def test_rows_are_contract_cells(questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["wave", "unit_id", *questionnaire.response_columns]
    counts = demo.respondent_counts()
    assert len(frame) == sum(counts.values())
    per_unit = frame.groupby(["wave", "unit_id"]).size().to_dict()
    assert per_unit == {k: v for k, v in counts.items() if v > 0}
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    items = [i.id for i in questionnaire.items]
    allowed = {"", "9", *map(str, range(1, 8))}
    assert set(np.unique(frame[items].to_numpy())) <= allowed
    # some cells are missing and some are don't-know, but only a few per cent
    cells = frame[items].to_numpy()
    assert 0.02 < (cells == "").mean() < 0.04
    assert 0.01 < (cells == "9").mean() < 0.03
    for kind, p in _KINDS.items():
        assert set(frame[f"{p}_Q"]) <= {"", "0", "1", "2", "3", "4"}, kind
        exposed = frame[f"{p}_Q"].isin(["1", "2", "3", "4"])
        # follow-up parts only for exposed respondents
        assert (frame.loc[~exposed, [f"{p}_SRC", f"{p}_HAN", f"{p}_TOLD"]] == "").all().all()
        for cell in frame.loc[exposed, f"{p}_SRC"]:
            codes = cell.split(";") if cell else []
            assert codes == sorted(codes, key=questionnaires.SOURCE_CODES.index)


def test_stable_units_have_realistic_levels(
    questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame
) -> None:
    scores = _theme_scores(frame, questionnaire)
    story_units = set().union(
        *(demo.subtree(u) for u in (demo.STORY.declining, demo.STORY.polarised, demo.STORY.improving))
    )
    stable = scores[~scores["unit_id"].isin(sorted(story_units))]
    means = stable.groupby("wave")[[t.id for t in questionnaire.themes]].mean()
    assert ((means >= 5.3) & (means <= 5.9)).all().all(), means


def test_declining_department(questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame) -> None:
    scores = _theme_scores(frame, questionnaire)
    dept = scores[_in(scores, demo.STORY.declining)].groupby("wave")[["ledelse", "tempo", "mening"]].mean()
    drop = dept.loc[demo.BASELINE] - dept.loc[demo.CURRENT]
    assert drop["ledelse"] > 0.7 and drop["tempo"] > 0.7
    assert abs(drop["mening"]) < 0.3  # only the leadership and workload themes fall


def test_improving_unit(questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame) -> None:
    scores = _theme_scores(frame, questionnaire)
    unit = scores[_in(scores, demo.STORY.improving)].groupby("wave")[["ledelse", "tempo", "mening"]].mean()
    gain = unit.loc[demo.CURRENT] - unit.loc[demo.BASELINE]
    assert (gain > 0.3).all() and gain.mean() > 0.5, gain


def test_polarised_team(questionnaire: questionnaires.Questionnaire, frame: pd.DataFrame) -> None:
    scores = _theme_scores(frame, questionnaire)
    team = scores[_in(scores, demo.STORY.polarised) & (scores["wave"] == demo.CURRENT)]["samarbejde"]
    rounded = np.floor(team + 0.5)
    low, high = (rounded <= 2).mean(), (rounded >= 6).mean()
    assert min(low, high) >= 0.3  # bp ≥ bp_strong (0.30)
    before = scores[_in(scores, demo.STORY.polarised) & (scores["wave"] == demo.BASELINE)]["samarbejde"]
    assert (np.floor(before + 0.5) <= 2).mean() < 0.1  # the split is new in 2025


def _exposed_from(frame: pd.DataFrame, prefixes: list[str], sources: tuple[str, ...]) -> pd.Series:
    hit = pd.Series(False, index=frame.index)
    for p in prefixes:
        srcs = frame[f"{p}_SRC"].str.split(";")
        hit |= frame[f"{p}_Q"].isin(["1", "2", "3", "4"]) & srcs.map(lambda s: bool(set(s) & set(sources)))
    return hit


def test_harassment_and_unresolved_threats(frame: pd.DataFrame) -> None:
    current = frame[frame["wave"] == demo.CURRENT]
    lin = current[_in(current, demo.STORY.harassment)]
    internal = _exposed_from(lin, ["MOB", "SEX"], questionnaires.INTERNAL_SOURCES)
    assert internal.sum() >= 4 and internal.mean() >= 0.10  # C2: count ≥ 2 and share ≥ 0.10
    bor = current[_in(current, demo.STORY.threats)]
    external = _exposed_from(bor, ["TRU"], questionnaires.EXTERNAL_SOURCES) & bor["TRU_HAN"].isin(
        ["partly", "no"]
    )
    assert external.sum() >= 3 and external.mean() >= 0.10  # C3
    rest = current[~_in(current, demo.STORY.harassment)]
    assert _exposed_from(rest, ["MOB", "SEX"], questionnaires.INTERNAL_SOURCES).mean() < 0.06


def test_theme_roles_by_id(questionnaire: questionnaires.Questionnaire) -> None:
    assert demo.theme_roles(questionnaire) == {
        "leadership": ["ledelse"],
        "workload": ["tempo"],
        "collaboration": ["samarbejde"],
        "handling": [],
    }


# ------------------------------------------------------------------------------------- through analyse()


def _report(questionnaire_id: str) -> dict[str, Any]:
    """The generated waves run through the contract's CSV validation and analysis.report.analyse."""
    from analysis import csvio
    from analysis.inputs import response_columns, responses_frame, units_frame
    from analysis.report import analyse

    q = questionnaires.load(questionnaire_id)
    units_table = csvio.parse_table(
        "units.csv", demo.units_csv(), required=("unit_id", "parent_id", "name"), optional=("headcount",)
    )
    units = units_frame("units.csv", units_table)
    table = csvio.parse_table(
        "responses.csv", demo.responses_csv(demo.generate_responses(q)), required=response_columns(q)
    )
    responses = responses_frame("responses.csv", table, q, set(units["unit_id"]))
    return analyse(units, responses, q, demo.CURRENT, demo.BASELINE).to_dict()


@pytest.fixture(scope="module")
def trivsel_report() -> dict[str, Any]:
    return _report("trivsel")


def _theme(report: dict[str, Any], unit_id: str, theme: str) -> dict[str, Any]:
    return next(
        s for s in report["scores"] if (s["unit_id"], s["kind"], s["id"]) == (unit_id, "theme", theme)
    )


def test_report_declining_department(trivsel_report: dict[str, Any]) -> None:
    for theme in ("ledelse", "tempo"):
        change = _theme(trivsel_report, demo.STORY.declining, theme)["change"]
        assert change["class"] == "significant_decline" and change["delta"] < -0.5, (theme, change)


def test_report_improving_unit(trivsel_report: dict[str, Any]) -> None:
    rows = [
        s for s in trivsel_report["scores"] if s["unit_id"] == demo.STORY.improving and s["kind"] == "theme"
    ]
    improved = [s["id"] for s in rows if s["change"]["class"] == "significant_improvement"]
    assert "ledelse" in improved and len(improved) >= len(rows) // 2


def test_report_polarised_team(trivsel_report: dict[str, Any]) -> None:
    pol = _theme(trivsel_report, demo.STORY.polarised, "samarbejde")["polarisation"]
    assert pol["level"] in ("polarised", "strong") and pol["bp"] >= 0.3
    funding = next(f for f in trivsel_report["funding"] if f["unit_id"] == demo.STORY.polarised)
    assert funding["polarised"] is True


def test_report_small_teams_are_suppressed(trivsel_report: dict[str, Any]) -> None:
    units = {u["unit_id"]: u for u in trivsel_report["units"]}
    for uid in demo.STORY.tiny:
        assert units[uid]["suppressed"] == "primary" and 0 < units[uid]["respondents"] < 5
        assert not [s for s in trivsel_report["scores"] if s["unit_id"] == uid]
    # the story units themselves stay visible
    for uid in (demo.STORY.declining, demo.STORY.polarised, demo.STORY.improving):
        assert units[uid]["published"] is True


def test_report_harassment_and_threats_meet_c2_and_c3() -> None:
    report = _report("offensive_behaviour")
    funding = {f["unit_id"]: f for f in report["funding"]}
    assert funding[demo.STORY.harassment]["internal"] is True  # C2
    assert funding[demo.STORY.threats]["external_unresolved"] is True  # C3
    exposures = {(e["unit_id"], e["kind"]): e for e in report["exposures"]}
    bullying = exposures[(demo.STORY.harassment, "bullying")]
    assert isinstance(bullying["internal"], int) and bullying["internal"] >= 3
    assert isinstance(bullying["internal_share"], float) and bullying["internal_share"] >= 0.10


def test_shipped_questionnaires_have_the_story_themes() -> None:
    roles = {qid: demo.theme_roles(questionnaires.load(qid)) for qid in demo.DEMO_QUESTIONNAIRES}
    assert (
        roles["trivsel"]["leadership"] and roles["trivsel"]["workload"] and roles["trivsel"]["collaboration"]
    )
    assert roles["offensive_behaviour"]["handling"]
    assert questionnaires.load("offensive_behaviour").exposures
