"""Report pages and exports (survey/reports): access, numbers = analysis result, suppression, exports.

The data are the worked example (tests/data/example): units.csv, and responses.csv imported through
``dataset.import_responses`` (waves 2023 and 2025, 2025 against 2023). The expected numbers come from
``analysis.analyse`` run on the same *files* (not through the database), so a page that showed numbers of
another computation, of a re-suppressed tree or of the wrong wave would differ.

Example facts used (tests/data/example/expected_report.json): FVE (Filial Vest) has 3 respondents in 2025
and is suppressed as primary ("fewer than 5 answers"); FSY (Filial Syd, 6) is suppressed as secondary
("would reveal a smaller group"); FIL = FNO + FSY + FVE = 9 + 6 + 3 = 18 respondents; HOVB has 26.
"""

from __future__ import annotations

import html as htmllib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example"
WAVE = "2025"
QID = "trivsel-eksempel"
ARGS = f"wave={WAVE}&q={QID}"


# ---------------------------------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------------------------------


@pytest.fixture()
def rapp(app: Flask) -> Flask:
    """The app, with a stand-in sign-in endpoint when the staff blueprint is not registered.

    ``role_required`` redirects anonymous users to ``staff.login``; these tests check that redirect,
    not the sign-in page itself.
    """
    if "staff.login" not in app.view_functions:
        app.add_url_rule("/staff-login-stand-in", endpoint="staff.login", view_func=lambda: "sign in")
    from survey.services import reporting

    reporting.clear_cache()
    return app


@pytest.fixture()
def example(rapp: Flask, db: Any) -> dict[str, int]:
    """The example imported; one user per role (+ managers of FIL, FVE and KUM); returns user ids."""
    from survey.models import User
    from survey.services import dataset
    from survey.services.units import import_units

    import_units(EXAMPLE / "units.csv")
    dataset.import_responses(
        EXAMPLE / "responses.csv", EXAMPLE / "questionnaire.yaml", baselines={"2025": "2023"}
    )
    users = {
        "hr": ("hr", None),
        "admin": ("admin", None),
        "committee": ("committee", None),
        "manager_fil": ("manager", "FIL"),
        "manager_fve": ("manager", "FVE"),
        "manager_kum": ("manager", "KUM"),
    }
    ids = {}
    for name, (role, unit) in users.items():
        u = User(email=f"{name}@example.org", role=role, manager_unit_id=unit, password_hash="x")
        db.session.add(u)
        db.session.flush()
        ids[name] = u.id
    db.session.commit()
    return ids


def login(app: Flask, client: FlaskClient, user_id: int, lang: str = "da") -> FlaskClient:
    """Sign ``client`` in as ``user_id`` the way Flask-Login stores it (strong session protection)."""
    from flask_login.utils import _create_identifier

    with app.test_request_context(environ_base=client.environ_base):
        ident = _create_identifier()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["_id"] = ident
        sess["lang"] = lang
    return client


def as_user(app: Flask, example: dict[str, int], name: str, lang: str = "da") -> FlaskClient:
    return login(app, app.test_client(), example[name], lang)


@pytest.fixture()
def expected(example_questionnaire: Any) -> dict[str, Any]:
    """``analysis.analyse`` on the example's files: the numbers every page must show."""
    from analysis import analyse, read_responses, read_units

    units = read_units(EXAMPLE / "units.csv")
    responses = read_responses(EXAMPLE / "responses.csv", example_questionnaire, set(units["unit_id"]))
    return analyse(units, responses, example_questionnaire, WAVE, "2023").to_dict()


class _Tables(HTMLParser):
    """Rows of every table as lists of cell texts (th and td)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "script":
            self._skip += 1
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._skip -= 1
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    p = _Tables()
    p.feed(html)
    return p.rows


def visible_text(html: str) -> str:
    """The page's text without script blocks and tags."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---------------------------------------------------------------------------------------------------
# access control
# ---------------------------------------------------------------------------------------------------

ROUTES: list[tuple[str, tuple[str, ...]]] = [
    (f"/rapporter/?{ARGS}", ("hr", "admin", "committee", "manager_fil")),
    (f"/rapporter/enhed/FIL?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/aendringer?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/kraenkelser?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/eksport/rapport.xlsx?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/eksport/rapport.json?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/eksport/enhed/FIL.xlsx?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/eksport/rapport.pdf?{ARGS}", ("hr", "admin", "manager_fil")),
    (f"/rapporter/eksport/enhed/FIL.pdf?{ARGS}", ("hr", "admin", "manager_fil")),
]
USERS = ("hr", "admin", "committee", "manager_fil")


@pytest.mark.parametrize(("path", "allowed"), ROUTES)
def test_access_table(rapp: Flask, example: dict[str, int], path: str, allowed: tuple[str, ...]) -> None:
    anon = rapp.test_client().get(path)
    assert anon.status_code == 302
    assert "/rapporter/" in anon.headers["Location"]  # the sign-in page gets ``next``
    for name in USERS:
        status = as_user(rapp, example, name).get(path).status_code
        assert status == (200 if name in allowed else 403), (path, name, status)


@pytest.mark.parametrize(
    "path",
    [
        f"/rapporter/enhed/HOVB?{ARGS}",
        f"/rapporter/enhed/KUF?{ARGS}",  # the parent of the manager's unit
        f"/rapporter/eksport/enhed/HOVB.xlsx?{ARGS}",
        f"/rapporter/eksport/enhed/HOVB.pdf?{ARGS}",
    ],
)
def test_manager_outside_subtree_gets_404(rapp: Flask, example: dict[str, int], path: str) -> None:
    assert as_user(rapp, example, "manager_kum").get(path).status_code == 404
    assert as_user(rapp, example, "hr").get(path).status_code == 200


def test_unknown_wave_or_unit_is_404(rapp: Flask, example: dict[str, int]) -> None:
    c = as_user(rapp, example, "hr")
    assert c.get("/rapporter/?wave=1999").status_code == 404
    # a wave is one report: an old questionnaire parameter is ignored, not an error
    assert c.get(f"/rapporter/?wave={WAVE}&q=nope").status_code == 200
    assert c.get(f"/rapporter/enhed/NOPE?{ARGS}").status_code == 404


# ---------------------------------------------------------------------------------------------------
# the numbers on the pages are the analysis result
# ---------------------------------------------------------------------------------------------------


def _fmt(value: float | None, lang: str, signed: bool = False) -> str:
    from analysis.texts import fmt_num

    return fmt_num(value, lang, signed=signed)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_unit_page_numbers_equal_analysis(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any], example_questionnaire: Any, lang: str
) -> None:
    q = example_questionnaire
    html = as_user(rapp, example, "hr", lang).get(f"/rapporter/enhed/HOVB?{ARGS}").get_data(as_text=True)
    rows = {r[0]: r for r in table_rows(html) if len(r) == 8}
    scores = [s for s in expected["scores"] if s["unit_id"] == "HOVB"]
    assert len(scores) == len(q.themes) + len(q.items)  # every row of HOVB is published
    for s in scores:
        label = q.theme(s["id"]).title.get(lang) if s["kind"] == "theme" else q.item(s["id"]).text.get(lang)
        if s["kind"] == "item" and q.item(s["id"]).reverse:
            label += " vendt" if lang == "da" else " reversed"  # reverse-coded items are marked
        row = rows[label]
        assert row[1] == _fmt(s["mean"], lang)
        assert row[2] == f"{_fmt(s['ci'][0], lang)}–{_fmt(s['ci'][1], lang)}"
        assert row[3] == str(s["n"])
        assert _fmt(s["change"]["delta"], lang, signed=True) in row[5]
        assert row[6] == _fmt(s["change"]["critical_difference"], lang)
    # decimal comma in Danish, point in English: HOVB's klarhed mean is 4.46 in expected_report.json
    assert ("4,46" in html) == (lang == "da")
    assert ("4.46" in visible_text(html)) == (lang == "en")


def test_unit_page_sentence_and_spread(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any], example_questionnaire: Any
) -> None:
    from analysis.texts import change_sentence, fmt_share

    html = as_user(rapp, example, "hr").get(f"/rapporter/enhed/HOVB?{ARGS}").get_data(as_text=True)
    theme = next(s for s in expected["scores"] if s["unit_id"] == "HOVB" and s["id"] == "klarhed")
    assert change_sentence(theme["change"], theme["n"], "da") in visible_text(html)
    title = example_questionnaire.theme("klarhed").title.get("da")
    spread = [r for r in table_rows(html) if r and r[0] == title and len(r) == 10]
    assert spread, "the spread table has a row for the theme"
    assert spread[0][1:8] == [fmt_share(x, "da") for x in theme["distribution"]]


def test_overview_table_equals_analysis(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any], example_questionnaire: Any
) -> None:
    html = as_user(rapp, example, "committee").get(f"/rapporter/?{ARGS}").get_data(as_text=True)
    rows = {r[0]: r for r in table_rows(html)}
    names = {u["unit_id"]: u["name"] for u in expected["units"]}
    themes = [t.id for t in example_questionnaire.themes]
    for s in expected["scores"]:
        if s["kind"] != "theme":
            continue
        # unit, response rate, then the themes in questionnaire order
        cell = rows[names[s["unit_id"]]][2 + themes.index(s["id"])]
        assert _fmt(s["mean"], "da") in cell
    hovb_unit = next(u for u in expected["units"] if u["unit_id"] == "HOVB")
    # response rate = respondents / subtree headcount, in whole per cent
    rate = 100 * hovb_unit["respondents"] / hovb_unit["headcount"]
    assert rows["Hovedbiblioteket"][1] == f"{round(rate)} %"
    # flags as words + symbols and the change class in words (never colour only); the arrow is no triangle
    hovb = rows["Hovedbiblioteket"][2]
    assert "◆ orange" in hovb and "↓" in hovb and "signifikant fald" in hovb
    # the overview is an HTML table (no chart to wait for); every script is a file of this site
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or re.search(r'src="/', tag), tag


def test_suppressed_units_show_reason_never_numbers(rapp: Flask, example: dict[str, int]) -> None:
    c = as_user(rapp, example, "hr")
    overview = c.get(f"/rapporter/?{ARGS}").get_data(as_text=True)
    assert "Filial Vest: færre end 5 besvarelser" in visible_text(overview)
    assert "Filial Syd: ville afsløre en mindre gruppe" in visible_text(overview)
    rows = {r[0]: r for r in table_rows(overview)}
    for name in ("Filial Vest", "Filial Syd"):
        # no digit apart from k_min = 5 in the reason
        assert not re.search(r"\d", " ".join(rows[name][1:]).replace("5", "")), rows[name]
    for uid, reason in (("FVE", "færre end 5 besvarelser"), ("FSY", "ville afsløre en mindre gruppe")):
        page = c.get(f"/rapporter/enhed/{uid}?{ARGS}").get_data(as_text=True)
        main = visible_text(page.split('<main id="main">', 1)[1])
        assert reason in main
        main = main.replace("færre end 5", "").replace(WAVE, "").replace("2023", "")
        assert not re.search(r"\d", main), main


# ---------------------------------------------------------------------------------------------------
# a manager of a small subtree cannot see any suppressed number
# ---------------------------------------------------------------------------------------------------


def _floats(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _floats(v)]
    if isinstance(value, list):
        return [x for v in value for x in _floats(v)]
    return []


@pytest.fixture()
def hidden_numbers(example_questionnaire: Any, expected: dict[str, Any]) -> dict[str, set[str]]:
    """Per manager: means of FSY and FVE (as the analysis computes them without suppression), formatted
    as on screen in both languages, minus any string that a number of the manager's published units
    (means, ci bounds, baseline means, deltas, ... of FIL and FNO) also gives."""
    from analysis import analyse, read_responses, read_units
    from analysis.settings import Settings

    units = read_units(EXAMPLE / "units.csv")
    responses = read_responses(EXAMPLE / "responses.csv", example_questionnaire, set(units["unit_id"]))
    unsuppressed = Settings(k_min=1, k_diff=1)
    open_ = analyse(units, responses, example_questionnaire, WAVE, "2023", unsuppressed).to_dict()
    secret = {
        _fmt(s["mean"], lang)
        for s in open_["scores"]
        if s["unit_id"] in ("FSY", "FVE")
        for lang in ("da", "en")
    }
    out = {}
    for manager, visible in (("manager_fil", {"FIL", "FNO"}), ("manager_fve", set())):
        rows = [r for key in ("scores", "exposures") for r in expected[key] if r["unit_id"] in visible]
        shown = {
            _fmt(x, lang, signed=sign).lstrip("+\u2212")
            for x in _floats(rows)
            for lang in ("da", "en")
            for sign in (False, True)
        }
        out[manager] = secret - shown
        assert len(out[manager]) >= 10, manager  # enough hidden means remain to make the scan meaningful
    return out


def test_manager_of_small_subtree_sees_no_suppressed_number(
    rapp: Flask, example: dict[str, int], hidden_numbers: dict[str, set[str]]
) -> None:
    from openpyxl import load_workbook

    for manager in ("manager_fil", "manager_fve"):
        c = as_user(rapp, example, manager)
        pages = [f"/rapporter/?{ARGS}", f"/rapporter/aendringer?{ARGS}", f"/rapporter/kraenkelser?{ARGS}"]
        pages += [f"/rapporter/enhed/{u}?{ARGS}" for u in ("FIL", "FNO", "FSY", "FVE")]
        reached = 0
        for path in pages:
            r = c.get(path)
            if r.status_code == 404:  # outside the subtree
                continue
            assert r.status_code == 200, path
            reached += 1
            text = visible_text(r.get_data(as_text=True)) + r.get_data(as_text=True)
            for number in hidden_numbers[manager]:
                assert number not in text, (manager, path, number)
        assert reached >= 4
        data = json.loads(c.get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
        units = {u["unit_id"]: u for u in data["units"]}
        hidden = {"FSY", "FVE"} & set(units)
        assert "FVE" in hidden
        for uid in hidden:
            assert units[uid]["published"] is False
            assert units[uid]["respondents"] is None and units[uid]["response_rate"] is None
        assert not [s for s in data["scores"] if s["unit_id"] in ("FSY", "FVE")]
        assert not [e for e in data["exposures"] if e["unit_id"] in ("FSY", "FVE")]
        assert set(units) <= {"FIL", "FNO", "FSY", "FVE"}
        for path in (f"/rapporter/eksport/rapport.xlsx?{ARGS}", f"/rapporter/eksport/enhed/FVE.xlsx?{ARGS}"):
            r = c.get(path)
            if r.status_code == 404:
                continue
            wb = load_workbook(io.BytesIO(r.data), read_only=True)
            for ws in wb.worksheets:
                rows = list(ws.iter_rows(values_only=True))
                for row in rows[1:]:
                    if row and row[0] in ("FSY", "FVE"):
                        numbers = [v for v in row if isinstance(v, (int, float)) and not isinstance(v, bool)]
                        # only the depth (3) and the headcount, never respondents or means
                        assert set(numbers) <= {3, 7, 4}, (ws.title, row)


def test_manager_report_is_the_full_report_filtered(rapp: Flask, example: dict[str, int]) -> None:
    """Scope filters the organisation's report; it never re-runs suppression on the subtree (which would
    publish FSY, with 6 >= 5 respondents, once FVE is the only other hidden unit)."""
    hr = json.loads(as_user(rapp, example, "hr").get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    mgr_client = as_user(rapp, example, "manager_fil")
    mgr = json.loads(mgr_client.get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    keep = {"FIL", "FNO", "FSY", "FVE"}
    assert mgr["units"] == [u for u in hr["units"] if u["unit_id"] in keep]
    assert mgr["scores"] == [s for s in hr["scores"] if s["unit_id"] in keep]
    assert mgr["exposures"] == [e for e in hr["exposures"] if e["unit_id"] in keep]


# ---------------------------------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------------------------------


def test_xlsx_export_matches_result(rapp: Flask, example: dict[str, int], expected: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    r = as_user(rapp, example, "hr").get(f"/rapporter/eksport/rapport.xlsx?{ARGS}")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    # a Danish reader gets a Danish workbook
    rows = list(wb["Temaer"].iter_rows(values_only=True))
    header = list(rows[0])
    names = {"unit_id": "enheds-id", "theme_id": "tema-id", "n": "n", "mean": "gennemsnit",
             "q (BH)": "q (korrigeret)"}
    col = {name: header.index(da) for name, da in names.items()}
    got = {(row[col["unit_id"]], row[col["theme_id"]]): row for row in rows[1:]}
    themes = [s for s in expected["scores"] if s["kind"] == "theme"]
    assert themes
    for s in themes:
        row = got[(s["unit_id"], s["id"])]
        assert row[col["n"]] == s["n"]
        assert row[col["mean"]] == pytest.approx(s["mean"], rel=1e-12)
        q = s["change"]["q"] if s["change"] else None
        assert row[col["q (BH)"]] == (None if q is None else pytest.approx(q, rel=1e-12))


def test_json_export_is_the_report(rapp: Flask, example: dict[str, int], expected: dict[str, Any]) -> None:
    data = json.loads(as_user(rapp, example, "admin").get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    assert data["schema"] == "trivsel-report/1" and data["wave"] == WAVE and data["baseline"] == "2023"
    key = {(s["unit_id"], s["kind"], s["id"]): s for s in expected["scores"]}
    assert len(data["scores"]) == len(key)
    for s in data["scores"]:
        e = key[(s["unit_id"], s["kind"], s["id"])]
        assert s["mean"] == pytest.approx(e["mean"], rel=1e-12) and s["n"] == e["n"]


def test_unit_xlsx_holds_only_that_unit(rapp: Flask, example: dict[str, int]) -> None:
    from openpyxl import load_workbook

    r = as_user(rapp, example, "hr", "en").get(f"/rapporter/eksport/enhed/HOVB.xlsx?{ARGS}")
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    ids = {row[0] for row in list(wb["Themes"].iter_rows(values_only=True))[1:]}  # English reader
    assert ids == {"HOVB"}


def test_no_response_rows_on_the_web(rapp: Flask, example: dict[str, int]) -> None:
    # the web CSV of answers (one row per respondent with unit and every answer) is gone for every role;
    # responses leave the database only through the server operator's CLI (trivsel responses export)
    for name in ("hr", "admin", "committee", "manager_fil"):
        c = as_user(rapp, example, name)
        assert c.get(f"/rapporter/eksport/svar.csv?{ARGS}").status_code == 404
        html = c.get(f"/rapporter/?{ARGS}").get_data(as_text=True)
        assert "svar.csv" not in html and "CSV" not in visible_text(html)


@pytest.fixture()
def open_wave(example: dict[str, int], make_wave: Any, db: Any) -> str:
    """An open wave "2026" with six answers in HOVB (a live preview)."""
    from survey.models import Response

    wave = make_wave("2026", "open")
    for k in range(6):
        db.session.add(
            Response(wave_id=wave.id, unit_id="HOVB", questionnaire_id=QID, language="da",
                     answers={"KLAR1": 1 + k, "KLAR2": 4, "KLAR3": 5})
        )
    db.session.commit()
    return "2026"


def test_open_wave_has_no_report_for_anyone(rapp: Flask, example: dict[str, int], open_wave: str) -> None:
    # a report of an open wave could be differenced over time (one new answer between two views), so no
    # role gets one: the wave is neither offered nor reachable
    for name in ("hr", "manager_kum", "committee"):
        other = as_user(rapp, example, name)
        assert other.get(f"/rapporter/?wave={open_wave}&q={QID}").status_code == 404
        assert f'value="{open_wave}"' not in other.get(f"/rapporter/?{ARGS}").get_data(as_text=True)
    # and their default wave is the newest closed one
    default = as_user(rapp, example, "committee").get("/rapporter/")
    assert default.status_code == 200 and '<option value="2025" selected' in default.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------
# significance report, offensive behaviour
# ---------------------------------------------------------------------------------------------------


def _change_items(html: str) -> list[tuple[str, str]]:
    """(unit group heading, item text) of every change on the changes page."""
    out = []
    for part in re.split(r'<section class="change-group">', html)[1:]:
        head = visible_text(re.search(r"<h2>(.*?)</h2>", part, re.S).group(1))
        for li in re.findall(r'<li class="change[^"]*">(.*?)</li>', part, re.S):
            out.append((head, visible_text(li)))
    return out


def test_changes_default_shows_only_real_and_large_changes(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any]
) -> None:
    c = as_user(rapp, example, "hr")
    html = c.get(f"/rapporter/aendringer?{ARGS}").get_data(as_text=True)
    names = {u["unit_id"]: u["name"] for u in expected["units"]}
    from analysis.texts import is_sign_of_change

    attention = ("significant_improvement", "significant_decline", "inconclusive_change")
    want = [s for s in expected["scores"]
            if s["change"] and (s["change"]["class"] in attention or is_sign_of_change(s["change"]))]
    quiet = [s for s in expected["scores"] if s["change"] and s["change"]["class"] == "no_significant_change"]
    assert want and quiet  # the example has 5 significant, 70 inconclusive, 80 small non-significant
    got = _change_items(html)
    assert len(got) == min(len(want), 40)
    assert not [t for _, t in got if "ingen signifikant ændring" in t or "uændret" in t]
    # below one page: a subtree shows exactly its real and large changes (FIL and the units under it)
    fil = {"FIL", "FNO", "FSY", "FVE"}
    small = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&unit=FIL").get_data(as_text=True))
    assert len(small) == len([s for s in want if s["unit_id"] in fil]) < 40
    # grouped per unit: every heading is a unit name, and a unit's changes are consecutive
    heads = [h for h, _ in got]
    assert all(h in names.values() for h in heads)
    assert len(heads) == len(set(heads)) or heads == sorted(heads, key=heads.index)
    # the intro counts every tested change (class with a q) and the real ones, from the analysis
    tested = [s for s in expected["scores"] if s["change"] and s["change"]["q"] is not None]
    sig = [s for s in want if s["change"]["class"].startswith("significant")]
    text = visible_text(html)
    assert f"Af {len(tested)} testede ændringer er {len(sig)} reelle" in text  # < 1,000: no separator
    # the page states how many significant changes chance alone would give (contract 5.6)
    assert "Tilfældigheder alene kan forventes at give omkring" in text
    # "every tested change" shows the stable ones too
    every = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&view=all&kind=theme").get_data(as_text=True))
    themes = [s for s in tested if s["kind"] == "theme"]
    assert len(every) == min(len(themes), 40)


def test_changes_filters_subtree_theme_and_pages(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any]
) -> None:
    c = as_user(rapp, example, "hr")
    names = {u["unit_id"]: u["name"] for u in expected["units"]}
    children: dict[str, list[str]] = {}
    for u in expected["units"]:
        children.setdefault(u["parent_id"], []).append(u["unit_id"])
    sub, stack = set(), ["FIL"]
    while stack:
        cur = stack.pop()
        sub.add(cur)
        stack.extend(children.get(cur, []))
    got = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&view=all&unit=FIL").get_data(as_text=True))
    want = [s for s in expected["scores"]
            if s["unit_id"] in sub and s["change"] and s["change"]["q"] is not None]
    assert len(got) == len(want) and {h for h, _ in got} <= {names[u] for u in sub}
    got = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&view=all&theme=tempo&kind=theme")
                        .get_data(as_text=True))
    assert got and all("Arbejdsmængde og tempo" in t for _, t in got)
    # paging: page 2 of every change continues where page 1 stopped, nothing twice
    tested = [s for s in expected["scores"] if s["change"] and s["change"]["q"] is not None]
    p1 = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&view=all").get_data(as_text=True))
    p2 = _change_items(c.get(f"/rapporter/aendringer?{ARGS}&view=all&page=2").get_data(as_text=True))
    assert len(p1) == 40 and len(p1) + len(p2) == min(len(tested), 80)
    assert not set(p1) & set(p2)


def test_changes_q_shown_plainly() -> None:
    from survey.reports.views import fmt_q

    assert fmt_q(0.00002, "da") == "q < 0,001"
    assert fmt_q(0.0042, "da") == "q = 0,004"
    assert fmt_q(0.412, "en") == "q = 0.41"
    assert fmt_q(0.0512, "da") == "q = 0,051"  # not "0,05": that would read as exactly alpha
    assert fmt_q(None, "da") == ""


def test_changes_bad_parameter(rapp: Flask, example: dict[str, int]) -> None:
    c = as_user(rapp, example, "hr", "en")
    for arg, words in (("view=huge", "Unknown choice of changes 'huge'"), ("kind=rows", "Unknown row kind"),
                       ("page=0", "Unknown page '0'"), ("page=x", "Unknown page 'x'"),
                       ("unit=NOPE", "Unknown unit 'NOPE'"), ("theme=nope", "Unknown theme 'nope'")):
        r = c.get(f"/rapporter/aendringer?{ARGS}&{arg}")
        assert r.status_code == 400, arg
        assert words in htmllib.unescape(r.get_data(as_text=True)), arg
    # in Danish on a Danish page
    r = as_user(rapp, example, "hr", "da").get(f"/rapporter/aendringer?{ARGS}&view=huge")
    assert r.status_code == 400 and "Ukendt valg af ændringer" in htmllib.unescape(r.get_data(as_text=True))


def test_exposures_show_less_than_three(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any]
) -> None:
    html = as_user(rapp, example, "hr").get(f"/rapporter/kraenkelser?{ARGS}").get_data(as_text=True)
    kuf = next(e for e in expected["exposures"] if e["unit_id"] == "KUF" and e["kind"] == "bullying")
    assert kuf["external"] == "<3"
    # one row per unit; per kind (questionnaire order) 5 cells: exposed, inside, outside, unresolved, told
    rows = {r[0]: r for r in table_rows(html)}
    kinds = ["bullying", "sexual_harassment", "threats", "violence"]
    row = rows["Kultur- og Fritidsforvaltningen"]
    cells = row[1 + 5 * kinds.index("bullying"): 6 + 5 * kinds.index("bullying")]
    assert cells[0] == f"{round(100 * kuf['exposed'] / kuf['n'])} % {kuf['exposed']}/{kuf['n']}"
    # KUF's internal bullying count: the contract report (CLI) has it, the web leaves it out ("–"), since
    # KUF minus its children would leave 1-2 (red team A1; settings.protect_exposure_cells)
    assert isinstance(kuf["internal"], int) and cells[1] == "–"
    assert cells[2] == "<3" and cells[4] == str(kuf["told_no_one"])
    text = visible_text(html)
    assert "skjult: færre end 5 besvarelser" in " ".join(rows["Filial Vest"][1:])
    # FNO is published with 9 respondents: below n_min_exposure = 10
    assert "skjult: færre end 10 besvarelser" in " ".join(rows["Filial Nord"][1:])
    assert "skjult" not in " ".join(row)  # the whole organisation is never hidden
    assert "Mobning" in text


# ---------------------------------------------------------------------------------------------------
# comments
# ---------------------------------------------------------------------------------------------------


def _add_comments(db: Any, unit_id: str, texts: list[str]) -> None:
    import sqlalchemy as sa

    from survey.models import Comment, Wave

    wave_id = db.session.scalar(sa.select(Wave.id).where(Wave.label == WAVE))
    for t in texts:
        db.session.add(
            Comment(wave_id=wave_id, unit_id=unit_id, questionnaire_id=QID, item_id="free", text=t)
        )
    db.session.commit()


def test_comments_rule(rapp: Flask, example: dict[str, int], db: Any) -> None:
    hovb = [f"hovb-comment-{k:02d}" for k in range(12)]
    _add_comments(db, "HOVB", hovb)
    _add_comments(db, "FVE", ["fve-comment"])
    _add_comments(db, "FNO", ["fno-comment"])
    c = as_user(rapp, example, "hr", "en")
    orders = set()
    for _ in range(6):
        html = c.get(f"/rapporter/enhed/HOVB?{ARGS}").get_data(as_text=True)
        found = re.findall(r"hovb-comment-\d\d", html)
        assert sorted(found) == hovb
        orders.add(tuple(found))
    # random order: six identical shuffles of 12 have probability (1/12!)^5
    assert len(orders) > 1
    # FNO (9 respondents < 10): no comments on its page
    fno = c.get(f"/rapporter/enhed/FNO?{ARGS}").get_data(as_text=True)
    assert "fno-comment" not in fno and "at least 10 respondents" in fno
    # FIL (18 = 9 + 6 + 3, no child with 10) shows the comments written in its subtree, incl. hidden FVE
    fil = c.get(f"/rapporter/enhed/FIL?{ARGS}").get_data(as_text=True)
    assert "fve-comment" in fil and "fno-comment" in fil
    # ... and they appear nowhere else (BIB's group excludes FIL's, which qualifies itself)
    bib = c.get(f"/rapporter/enhed/BIB?{ARGS}").get_data(as_text=True)
    assert "fve-comment" not in bib and "hovb-comment" not in bib


def test_comment_groups_need_ten_after_subtracting_shown_children() -> None:
    from survey.services.reporting import comment_groups

    def unit(uid: str, parent: str | None, n: int, published: bool = True) -> dict[str, Any]:
        return {"unit_id": uid, "parent_id": parent, "respondents": n, "published": published}

    # P has 20 respondents; child C (12) qualifies, D (8) does not: P's own group is 20 - 12 = 8 < 10
    report = {"units": [unit("P", None, 20), unit("C", "P", 12), unit("D", "P", 8)]}
    groups = comment_groups(report)
    assert set(groups) == {"C"} and groups["C"] == ({"C"}, 12)
    # with 23 in P: 23 - 12 = 11 >= 10, so P shows D's comments (and its own), never C's
    report = {"units": [unit("P", None, 23), unit("C", "P", 12), unit("D", "P", 11 - 0, published=False)]}
    groups = comment_groups(report)
    assert groups["P"] == ({"P", "D"}, 11)
    # an unpublished unit never shows comments, whatever its count
    assert "D" not in groups


# ---------------------------------------------------------------------------------------------------
# the chart library
# ---------------------------------------------------------------------------------------------------


def test_vega_bundle_served_locally(rapp: Flask, example: dict[str, int]) -> None:
    from analysis.charts import VL_VERSION

    assert rapp.test_client().get(f"/rapporter/vega-embed-{VL_VERSION}.js").status_code == 302  # anonymous

    c = as_user(rapp, example, "hr")
    html = c.get(f"/rapporter/enhed/HOVB?{ARGS}").get_data(as_text=True)  # the unit page has a chart
    src = re.search(r'<script src="(/rapporter/vega-embed-[^"]+\.js)"', html)
    assert src and VL_VERSION in src.group(1)
    r = c.get(src.group(1))
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert "window.vegaEmbed" in r.get_data(as_text=True)
    assert "immutable" in r.headers["Cache-Control"]
    assert "cdn" not in html.lower()


def test_views_and_exports_are_audited(rapp: Flask, example: dict[str, int], db: Any) -> None:
    import sqlalchemy as sa

    from survey.models_audit import AuditEvent

    c = as_user(rapp, example, "manager_fil")
    assert c.get(f"/rapporter/eksport/enhed/FNO.xlsx?{ARGS}").status_code == 200
    assert c.get(f"/rapporter/enhed/FIL?{ARGS}").status_code == 200
    db.session.remove()
    events = db.session.execute(sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target)).all()
    actor = str(example["manager_fil"])
    assert (actor, "export.unit_xlsx", f"{WAVE}/FNO") in events
    assert (actor, "report.unit", f"{WAVE}/FIL") in events
    # a refused request leaves no event
    refused = as_user(rapp, example, "committee").get(f"/rapporter/eksport/rapport.json?{ARGS}")
    assert refused.status_code == 403
    db.session.remove()
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.json")).all()


def test_pdf_exports(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any], example_questionnaire: Any, db: Any
) -> None:
    from survey.reports.pdf import overview_rows, unit_rows
    from survey.services import reporting

    c = as_user(rapp, example, "hr")
    for path in (f"/rapporter/eksport/rapport.pdf?{ARGS}", f"/rapporter/eksport/enhed/HOVB.pdf?{ARGS}"):
        r = c.get(path)
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert r.data.startswith(b"%PDF-") and r.data.rstrip().endswith(b"%%EOF")
    # the cells the PDFs are drawn from: the analysis numbers, hidden units with their reason only
    report = reporting.report_for(WAVE, QID).report
    q = example_questionnaire
    rows = {r[0].strip(): r for r in unit_rows(report, q, "HOVB", "da")}
    for s in (s for s in expected["scores"] if s["unit_id"] == "HOVB"):
        label = q.theme(s["id"]).title.get("da") if s["kind"] == "theme" else q.item(s["id"]).text.get("da")
        assert rows[label][1] == _fmt(s["mean"], "da") and rows[label][3] == str(s["n"])
    assert unit_rows(report, q, "FVE", "en")[1][0] == "hidden: fewer than 5 answers"
    overview = {r[0].strip(): r for r in overview_rows(report, q, "da")}
    assert all(cell == "skjult: ville afsløre en mindre gruppe" for cell in overview["Filial Syd (FSY)"][1:])
    klarhed = next(s for s in expected["scores"] if s["unit_id"] == "KUF" and s["id"] == "klarhed")
    assert _fmt(klarhed["mean"], "da") in overview["Kultur- og Fritidsforvaltningen (KUF)"][1]
    # the harassment figures the PDFs carry: the report's exposure rows, "<3" kept, hidden units with reason
    from survey.reports.pdf import exposure_rows

    expo = exposure_rows(report, q, "da")
    kuf = next(e for e in expected["exposures"] if e["unit_id"] == "KUF" and e["kind"] == "bullying")
    row = next(r for r in expo if r[0] == "Kultur- og Fritidsforvaltningen")
    assert row[1] == "Mobning" and row[2] == str(kuf["n"]) and row[5] == "<3"
    assert row[3] == f"{round(100 * kuf['exposed'] / kuf['n'])} % ({kuf['exposed']})"
    assert next(r for r in expo if r[0] == "Filial Vest")[2] == "skjult: færre end 5 besvarelser"
    assert len(exposure_rows(report, q, "da", ["HOVB"])) == 1 + 4  # header + four kinds of that unit
    # the PDF is in colour: the overview fills cells with the flag colours
    import zlib

    pdf = c.get(f"/rapporter/eksport/rapport.pdf?{ARGS}").data
    streams = b"".join(zlib.decompress(m) for m in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
                       if m[:2] in (b"x\x9c", b"x\xda"))
    assert b"0.9882 0.5529 0.349 rg" in streams  # orange #fc8d59 (252/255, 141/255, 89/255) as a fill


def test_funding_evidence_states_the_criterion_never_the_pooled_count(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any]
) -> None:
    # the evidence gives the smallest count that meets C2/C3 (exposure_count 2 and exposure_share 10 %),
    # never the pooled count (red team A5): KUM has 2 internally exposed of 16 -> "at least 2 of 16",
    # HOVB 4 of 26 -> "at least 3 of 26" (10 % of 26 = 2.6)
    kum = next(f for f in expected["funding"] if f["unit_id"] == "KUM")
    assert "internal exposure: at least 2 of 16 respondents" in kum["evidence"]
    data = json.loads(as_user(rapp, example, "hr").get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    funding = {f["unit_id"]: f for f in data["funding"]}
    assert "internal exposure: at least 2 of 16 respondents" in funding["KUM"]["evidence"]
    assert "internal exposure: at least 3 of 26 respondents" in funding["HOVB"]["evidence"]
    assert not any(e.startswith("internal exposure: 4 ") for e in funding["HOVB"]["evidence"])


# ---------------------------------------------------------------------------------------------------
# a wave is one report: every questionnaire of the wave on every page
# ---------------------------------------------------------------------------------------------------


def _split_example(tmp: Path) -> list[tuple[Path, Path]]:
    """The example split into two questionnaires run in the same waves: A = the themes klarhed and
    faellesskab, B = tempo and every exposure; each with the same respondents' columns."""
    import csv

    import yaml

    data = yaml.safe_load((EXAMPLE / "questionnaire.yaml").read_text(encoding="utf-8"))
    a = {**data, "id": "del-a", "themes": data["themes"][:2], "title": {"da": "Del A", "en": "Part A"}}
    a.pop("exposures")
    b = {**data, "id": "del-b", "themes": data["themes"][2:], "title": {"da": "Del B", "en": "Part B"}}
    with (EXAMPLE / "responses.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for q in (a, b):
        cols = ["wave", "unit_id"]
        for t in q["themes"]:
            cols += [i["id"] for i in t["items"]]
        for e in q.get("exposures") or []:
            cols += [e[p]["id"] for p in ("question", "source", "handled", "told") if p in e]
        qpath, rpath = tmp / f"{q['id']}.yaml", tmp / f"{q['id']}.csv"
        qpath.write_text(yaml.safe_dump(q, allow_unicode=True), encoding="utf-8")
        with rpath.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        out.append((qpath, rpath))
    return out


@pytest.fixture()
def split_wave(rapp: Flask, db: Any, tmp_path: Path) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Waves 2023 and 2025 running two questionnaires; returns user ids and each part's analysis."""
    import questionnaires
    from analysis import analyse, read_responses, read_units
    from survey.models import User
    from survey.services import dataset
    from survey.services.units import import_units

    import_units(EXAMPLE / "units.csv")
    units = read_units(EXAMPLE / "units.csv")
    expected = []
    for pos, (qpath, rpath) in enumerate(_split_example(tmp_path)):
        dataset.import_responses(rpath, qpath, baselines={"2025": "2023"} if pos == 0 else None)
        q = questionnaires.load_file(qpath)
        frame = read_responses(rpath, q, set(units["unit_id"]))
        expected.append(analyse(units, frame, q, WAVE, "2023").to_dict())
    u = User(email="hr@example.org", role="hr", manager_unit_id=None, password_hash="x")
    db.session.add(u)
    db.session.commit()
    return {"hr": u.id}, expected


def test_wave_report_holds_every_questionnaire(
    rapp: Flask, split_wave: tuple[dict[str, int], list[dict[str, Any]]]
) -> None:
    from survey.services import reporting

    _users, expected = split_wave
    with rapp.test_request_context():
        wr = reporting.wave_report(WAVE)
    assert wr.questionnaire_ids == ("del-a", "del-b")
    assert [t.id for t in wr.questionnaire.themes] == ["klarhed", "faellesskab", "tempo"]
    got = {(s["unit_id"], s["kind"], s["id"]): s for s in wr.report["scores"]}
    want = {(s["unit_id"], s["kind"], s["id"]): s for part in expected for s in part["scores"]}
    assert got.keys() == want.keys()
    for key, row in want.items():
        assert got[key]["mean"] == pytest.approx(row["mean"]), key
        assert got[key]["flag"] == row["flag"], key
    assert {(e["unit_id"], e["kind"]) for e in wr.report["exposures"]} == {
        (e["unit_id"], e["kind"]) for e in expected[1]["exposures"]
    }
    assert wr.report["baseline"] == "2023"


def test_every_page_shows_the_whole_wave(
    rapp: Flask, split_wave: tuple[dict[str, int], list[dict[str, Any]]]
) -> None:
    users, expected = split_wave
    c = login(rapp, rapp.test_client(), users["hr"])
    overview = c.get(f"/rapporter/?wave={WAVE}").get_data(as_text=True)
    for title in ("Klarhed i opgaverne", "Arbejdsmængde og tempo"):
        assert title in overview
    assert 'name="q"' not in overview  # no page asks for a questionnaire
    unit = c.get(f"/rapporter/enhed/HOVB?wave={WAVE}").get_data(as_text=True)
    assert "KLAR1" not in unit and "TEMP1" not in unit  # statements, not ids
    hovb_tempo = next(s for s in expected[1]["scores"] if s["unit_id"] == "HOVB" and s["id"] == "tempo")
    assert _fmt(hovb_tempo["mean"], "da") in unit
    harassment = c.get(f"/rapporter/kraenkelser?wave={WAVE}").get_data(as_text=True)
    root_bullying = next(
        e for e in expected[1]["exposures"] if e["unit_id"] == "KUF" and e["kind"] == "bullying"
    )
    assert str(root_bullying["n"]) in harassment
    changes = c.get(f"/rapporter/aendringer?wave={WAVE}")
    assert changes.status_code == 200


def test_reversed_item_spread_shows_what_people_answered(
    rapp: Flask, example: dict[str, int], expected: dict[str, Any]
) -> None:
    """TEMP2 ("Jeg har ofte for travlt til at holde pauser") is reverse-coded: the spread row must be the
    shares of the raw answers 1..7 counted straight from responses.csv, and the item is marked."""
    import csv

    with (EXAMPLE / "units.csv").open(encoding="utf-8") as fh:
        units = list(csv.DictReader(fh))
    sub, stack = set(), ["HOVB"]
    while stack:
        cur = stack.pop()
        sub.add(cur)
        stack.extend(u["unit_id"] for u in units if u["parent_id"] == cur)
    with (EXAMPLE / "responses.csv").open(encoding="utf-8") as fh:
        answers = [r["TEMP2"] for r in csv.DictReader(fh) if r["wave"] == WAVE and r["unit_id"] in sub]
    valid = [int(a) for a in answers if a.strip() not in ("", "NA", "9")]
    raw = [valid.count(k) / len(valid) for k in range(1, 8)]
    row = next(s for s in expected["scores"] if s["unit_id"] == "HOVB" and s["id"] == "TEMP2")
    assert row["n"] == len(valid)
    assert raw != row["distribution"]  # the report holds the recoded shares: the page must turn them round
    from analysis.texts import fmt_share

    html = as_user(rapp, example, "hr").get(f"/rapporter/enhed/HOVB?{ARGS}").get_data(as_text=True)
    label = "Jeg har ofte for travlt til at holde pauser vendt"
    spread = [r for r in table_rows(html) if r and r[0] == label and len(r) == 10]
    assert spread, "the spread table has a marked row for the reversed item"
    assert spread[0][1:8] == [fmt_share(x, "da") for x in raw]
    # a straight item's row is unchanged (TEMP1: not reversed)
    temp1 = next(s for s in expected["scores"] if s["unit_id"] == "HOVB" and s["id"] == "TEMP1")
    label1 = next(r for r in table_rows(html) if len(r) == 10 and r[1:8] ==
                  [fmt_share(x, "da") for x in temp1["distribution"]])
    assert "vendt" not in label1[0]


# frozen publications (contract 5.4, issue 10 attack 2)
# ---------------------------------------------------------------------------------------------------


def _move_unit(unit_id: str, new_parent: str) -> None:
    """Edit the unit tree as HR's units import does: ``unit_id`` gets another parent."""
    from survey.services import dataset
    from survey.services.units import UnitRow, replace_units

    rows = [
        UnitRow(r["unit_id"], (new_parent if r["unit_id"] == unit_id else r["parent_id"]) or None, r["name"],
                int(r["headcount"]) if r["headcount"] else None)
        for r in dataset.units_rows()
    ]
    replace_units(rows)


def _all_outputs(c: FlaskClient, args: str = ARGS) -> dict[str, Any]:
    """Every page and export of one report, in a form that compares by content (the PDF without its
    creation date and the file id derived from it, the workbooks as cell values)."""
    from openpyxl import load_workbook

    out: dict[str, Any] = {}
    pages = ["/rapporter/", "/rapporter/enhed/FIL", "/rapporter/enhed/BIB", "/rapporter/enhed/FVE",
             "/rapporter/aendringer", "/rapporter/kraenkelser"]
    for path in pages:
        r = c.get(f"{path}?{args}")
        assert r.status_code == 200, path
        out[path] = visible_text(r.get_data(as_text=True))
    r = c.get(f"/rapporter/eksport/rapport.json?{args}")
    out["json"] = json.loads(r.data)
    for path in ("/rapporter/eksport/rapport.xlsx", "/rapporter/eksport/enhed/FIL.xlsx"):
        wb = load_workbook(io.BytesIO(c.get(f"{path}?{args}").data), read_only=True)
        out[path] = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    for path in ("/rapporter/eksport/rapport.pdf", "/rapporter/eksport/enhed/FIL.pdf"):
        body = c.get(f"{path}?{args}").data
        out[path] = re.sub(rb"/CreationDate \(D:[^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", body)
    return out


def test_a_tree_edit_never_changes_a_published_report(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    """Attack (issue 10, 2): HR moves the hidden Filial Vest (3 respondents) from Filialerne to Museerne
    and downloads the closed wave's report again: Filialerne's n x mean before minus after would be
    Filial Vest's sums. The closed wave's report is stored with the tree it was published with, so
    every page and export (HR and manager) is identical after the edit."""
    from analysis import analyse
    from survey.models import Publication
    from survey.services import dataset, reporting

    hr, manager = as_user(rapp, example, "hr"), as_user(rapp, example, "manager_fil")
    before = _all_outputs(hr)
    before_manager = json.loads(manager.get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    fil = next(u for u in before["json"]["units"] if u["unit_id"] == "FIL")
    assert fil["respondents"] == 18  # FNO 9 + FSY 6 + FVE 3 (tests/data/example/README.md)
    _move_unit("FVE", "MUS")
    reporting.clear_cache()
    # the attack is real: on today's tree Filialerne has 15, so the difference would be FVE's 3 answers
    units_df, responses_df = dataset.analysis_frames(WAVE, QID, "2023")
    q = dataset.wave_questionnaire(WAVE, QID)
    fresh = analyse(units_df, responses_df, q, WAVE, "2023", reporting.analysis_settings()).to_dict()
    assert next(u for u in fresh["units"] if u["unit_id"] == "FIL")["respondents"] == 15
    after = _all_outputs(hr)
    for key in before:
        assert after[key] == before[key], key
    assert json.loads(manager.get(f"/rapporter/eksport/rapport.json?{ARGS}").data) == before_manager
    # the publication holds the tree it was made with: FVE under FIL
    pub = db.session.scalar(sa.select(Publication).where(Publication.questionnaire_id == QID,
                                                          Publication.report["wave"].as_string() == WAVE))
    assert pub is not None and {"unit_id": "FVE", "parent_id": "FIL", "name": "Filial Vest",
                                "headcount": "4"} in pub.units


def test_a_closed_wave_is_published_once_when_it_closes(
    rapp: Flask, example: dict[str, int], db: Any, make_wave: Any
) -> None:
    """Closing a wave publishes its report with today's tree (and audits it); a later tree edit is not
    seen by it; a wave without answers publishes nothing."""
    from survey.models import Publication, Response, Wave
    from survey.models_audit import AuditEvent
    from survey.services import reporting, waves

    make_wave("2026", "open")
    wave_id = db.session.scalar(sa.select(Wave.id).where(Wave.label == "2026"))
    for k in range(12):
        unit = "HOVB" if k < 6 else "FNO"
        db.session.add(Response(wave_id=wave_id, unit_id=unit, questionnaire_id=QID, language="da",
                                answers={"KLAR1": 1 + k % 7, "KLAR2": 4, "KLAR3": 5}))
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Publication))
    waves.close_wave("2026")
    pubs = db.session.scalars(sa.select(Publication).where(Publication.wave_id == wave_id)).all()
    assert len(pubs) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == before + 1
    assert ("report.publish", f"2026/{QID}") in db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.target)).all()
    stored = json.loads(json.dumps(pubs[0].report))
    _move_unit("FNO", "MUS")
    reporting.clear_cache()
    assert reporting.report_for("2026", QID).report == stored
    # an empty wave publishes nothing and its report says so
    make_wave("2027", "open")
    waves.close_wave("2027")
    wave27 = db.session.scalar(sa.select(Wave.id).where(Wave.label == "2027"))
    assert db.session.scalars(sa.select(Publication).where(Publication.wave_id == wave27)).all() == []
    r = as_user(rapp, example, "hr").get(f"/rapporter/?wave=2027&q={QID}")
    assert r.status_code == 200 and "Denne måling har endnu ingen besvarelser" in r.get_data(as_text=True)


def test_a_new_waves_changes_compare_against_the_baselines_published_tree(
    rapp: Flask, example: dict[str, int], db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contract 5.4: the baseline (2023) was published with FVE under FIL; after the tree edit, the
    report of 2025 is computed on today's tree with ``baseline_units`` = the tree 2023 was published
    with."""
    import analysis
    from survey.services import reporting

    reporting.report_for("2023", QID)  # 2023 published with today's tree
    _move_unit("FVE", "MUS")
    real = analysis.analyse
    seen: list[Any] = []

    def spy(*args: Any, baseline_units: Any = None, **kw: Any) -> Any:
        seen.append((args[3], args[4], baseline_units))
        return real(*args, baseline_units=baseline_units, **kw)

    monkeypatch.setattr(analysis, "analyse", spy)
    reporting.report_for(WAVE, QID)
    assert [(w, b) for w, b, _u in seen] == [(WAVE, "2023")]
    # the report passes the tree 2023 was published with (FVE under FIL)
    base_units = seen[0][2]
    assert base_units is not None
    parents = dict(zip(base_units["unit_id"], base_units["parent_id"], strict=True))
    assert parents["FVE"] == "FIL" and len(parents) == 14
    # whatever analyse takes, the stored tree the argument comes from is the baseline's
    rows = reporting.baseline_units_rows("2023", QID)
    assert rows is not None and next(r for r in rows if r["unit_id"] == "FVE")["parent_id"] == "FIL"


def _baseline_values_are_published(now: dict[str, Any], base: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Rows of ``now`` whose change carries a baseline value that ``base`` (the baseline's stored
    publication) did not publish with that n and mean."""
    published = {(s["unit_id"], s["kind"], s["id"]): s for s in base["scores"] if s.get("mean") is not None}
    bad = []
    for s in now["scores"]:
        ch = s.get("change") or {}
        if ch.get("baseline_mean") is None and ch.get("delta") is None:
            continue
        b = published.get((s["unit_id"], s["kind"], s["id"]))
        if b is None or b["n"] != ch.get("baseline_n") or abs(b["mean"] - ch["baseline_mean"]) > 1e-9:
            bad.append((s["unit_id"], s["kind"], s["id"]))
    return bad


@pytest.mark.parametrize("edit", [False, True])
def test_change_rows_show_only_baseline_values_the_baseline_published(
    rapp: Flask, example: dict[str, int], db: Any, edit: bool
) -> None:
    """Attack (issue 10, 2, across waves): 2023 is published with Filial Vest (3) and Filial Syd (6)
    hidden under Filialerne (18). After Filial Vest moves to Museerne, the 2025 report on today's tree
    could publish Filial Syd's 2023 mean as a change row's baseline (on the new tree Filialerne's 15
    minus Filial Nord's 9 is 6), and 2023's Filialerne minus Filial Nord minus Filial Syd gives Filial
    Vest. Every baseline value in a change row must be one the baseline's stored publication shows."""
    from survey.services import reporting

    hr = as_user(rapp, example, "hr")
    base = json.loads(hr.get(f"/rapporter/eksport/rapport.json?wave=2023&q={QID}").data)
    assert {u["unit_id"] for u in base["units"] if not u["published"]} >= {"FSY", "FVE"}
    if edit:
        _move_unit("FVE", "MUS")
        reporting.clear_cache()
    now = json.loads(hr.get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    assert any((s.get("change") or {}).get("delta") is not None for s in now["scores"])
    assert _baseline_values_are_published(now, base) == []


def test_every_managers_report_is_the_published_report_filtered_to_the_subtree(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    """Attack (issue 10, 4: a manager's subtree against the whole): a manager of any unit gets exactly
    the organisation's published rows of their subtree, in every section, also after the tree is edited
    (the subtree is taken in the tree the report was published with), so a manager's report and HR's
    never differ by a number, and two managers' reports never hold a row the whole does not."""
    from survey.models import User

    full = json.loads(as_user(rapp, example, "hr").get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
    children: dict[str | None, list[str]] = {}
    for u in full["units"]:
        children.setdefault(u["parent_id"], []).append(u["unit_id"])

    def subtree(root: str) -> set[str]:
        out, stack = set(), [root]
        while stack:
            cur = stack.pop()
            out.add(cur)
            stack += children.get(cur, [])
        return out

    _move_unit("FVE", "MUS")  # after publication: changes nothing for anybody
    for root in sorted(u["unit_id"] for u in full["units"]):
        email = f"m-{root.lower()}@example.org"
        user = User(email=email, role="manager", manager_unit_id=root, password_hash="x")
        db.session.add(user)
        db.session.commit()
        c = login(rapp, rapp.test_client(), user.id)
        mine = json.loads(c.get(f"/rapporter/eksport/rapport.json?{ARGS}").data)
        keep = subtree(root)
        for key in ("units", "scores", "exposures", "funding"):
            assert mine[key] == [r for r in full[key] or [] if r["unit_id"] in keep], (root, key)


def test_reading_guide_in_both_languages(rapp: Flask, example: dict[str, int]) -> None:
    # hand calculation: sd 1.2, n 14 and 12: se = 1.2 * sqrt(1/14 + 1/12) = 0.4721; Welch df = 23.39;
    # t(0.975, 23.39) = 2.0667; critical difference = 2.0667 * 0.4721 = 0.9757 -> "0,98" (the issue: 0.98)
    da = visible_text(as_user(rapp, example, "hr").get(f"/rapporter/laesevejledning?{ARGS}")
                      .get_data(as_text=True))
    assert "Sådan læser du rapporten" in da and "med 14 og 12 svar skal en ændring være større end 0,98" in da
    assert "skjult" in da.lower() or "Hvad er skjult" in da
    en = visible_text(as_user(rapp, example, "hr", "en").get(f"/rapporter/laesevejledning?{ARGS}")
                      .get_data(as_text=True))
    assert "with 14 and 12 answers a change must exceed 0.98" in en
    # every report page links to it
    page = as_user(rapp, example, "committee").get(f"/rapporter/?{ARGS}").get_data(as_text=True)
    assert "/rapporter/laesevejledning" in page


def test_settings_below_the_floor_publish_nothing(rapp: Flask, example: dict[str, int], db: Any) -> None:
    """A settings mapping that lowers k_min and k_diff below 5 (whatever its source) never reaches a page:
    the publication step refuses the report, the page says why in Danish, no export is made and nothing is
    stored."""
    from survey.models import Publication

    rapp.config["TRIVSEL_ANALYSIS_SETTINGS"] = {"k_min": 3, "k_diff": 3}
    c = as_user(rapp, example, "hr")
    html = c.get(f"/rapporter/?{ARGS}").get_data(as_text=True)
    assert "Rapporten kan ikke offentliggøres" in html and "Filial Vest" not in html
    assert c.get(f"/rapporter/eksport/rapport.json?{ARGS}").status_code == 404
    assert c.get(f"/rapporter/enhed/FVE?{ARGS}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_changes_page_rows_carry_the_sentence(rapp: Flask, example: dict[str, int]) -> None:
    """Every row of the changes page has its one sentence (survey.reports.change_words), never the old
    "larger than that, but not significant after the correction"."""
    for lang, old in (("da", "men ikke signifikant efter korrektionen"),
                      ("en", "but not significant after the correction")):
        html = as_user(rapp, example, "hr", lang).get(f"/rapporter/aendringer?{ARGS}&view=all").get_data(
            as_text=True)
        sentences = [visible_text(x) for x in re.findall(r'<span class="sentence">(.*?)</span>', html, re.S)]
        assert len(sentences) == 40, len(sentences)
        start = "Ændringen på" if lang == "da" else "The change of"
        assert all(s.startswith((start, "Uændret", "Stable")) for s in sentences), sentences[:3]
        assert old not in visible_text(html)
