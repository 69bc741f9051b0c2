"""units.csv, responses.csv and settings.toml: parsed frames and every kind of invalid input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import questionnaires
from analysis import csvio
from analysis.csvio import InputError
from analysis.inputs import read_responses, read_units, response_columns, responses_frame
from analysis.settings import Settings, read_settings, settings_from_mapping

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"
Q = questionnaires.load(str(EXAMPLE / "questionnaire.yaml"))
UNITS = {"KUF", "BIB", "HOVB"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def responses_csv(*rows: dict[str, str], delimiter: str = ",") -> str:
    cols = response_columns(Q)
    lines = [delimiter.join(cols)]
    for row in rows:
        cells = []
        for c in cols:
            value = row.get(c, "")
            cells.append(f'"{value}"' if delimiter in value else value)
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


def row(**cells: str) -> dict[str, str]:
    base = {"wave": "2025", "unit_id": "HOVB"}
    base.update(cells)
    return base


# ------------------------------------------------------------------------------------------ units


def test_read_units_example():
    u = read_units(EXAMPLE / "units.csv")
    assert u["unit_id"].tolist()[:3] == ["KUF", "BIB", "HOVB"]
    assert u["parent_id"].tolist()[:2] == [None, "KUF"]
    assert str(u["headcount"].dtype) == "Int64"
    assert u["headcount"].tolist()[:3] == [0, 13, 30]


def test_units_headcount_optional_and_empty_is_unknown(tmp_path):
    u = read_units(write(tmp_path, "units.csv", "unit_id;parent_id;name;headcount\nR;;Root;\nA;R;A;4\n"))
    assert u["headcount"].isna().tolist() == [True, False]
    u2 = read_units(write(tmp_path, "u2.csv", "\ufeffunit_id,parent_id,name\r\nR,,Root\r\n"))
    assert u2["headcount"].isna().all()


@pytest.mark.parametrize(
    ("text", "line", "column", "value", "words"),
    [
        ("unit_id,parent_id,name\nR,,Root\nR,R,Again\n", 3, "unit_id", "R", "duplicate unit_id"),
        ("unit_id,parent_id,name\nA,B,A\nB,A,B\n", 2, "parent_id", None, "no root"),
        ("unit_id,parent_id,name\nR,,Root\nS,,Other\n", 3, "parent_id", "", "more than one root"),
        ("unit_id,parent_id,name\nR,,Root\nA,X,A\n", 3, "parent_id", "X", "not a unit_id"),
        ("unit_id,parent_id,name\nR,,Root\nA,B,A\nB,A,B\n", 3, "parent_id", "B", "cycle"),
        ("unit_id,parent_id,name,headcount\nR,,Root,2.5\n", 2, "headcount", "2.5", "whole number"),
        ("unit_id,parent_id,name,headcount\nR,,Root,-1\n", 2, "headcount", "-1", "at least 0"),
        ("unit_id,parent_id,name,size\nR,,Root,1\n", 1, "size", None, "unknown column"),
        ("unit_id,name\nR,Root\n", 1, "parent_id", None, "missing required column"),
        ("unit_id,parent_id,name\n,,Root\n", 2, "unit_id", None, "empty"),
    ],
)
def test_units_errors(tmp_path, text, line, column, value, words):
    with pytest.raises(InputError) as err:
        read_units(write(tmp_path, "units.csv", text))
    e = err.value
    assert e.file == "units.csv" and e.line == line and e.column == column
    if value is not None:
        assert e.value == value
    assert words in str(e) and "units.csv" in str(e)


# ------------------------------------------------------------------------------------------ responses


def test_read_responses_example_frame():
    r = read_responses(EXAMPLE / "responses.csv", Q, {"KUF", "BIB", "HOVB", "FIL", "FNO", "FSY", "FVE", "MUS",
                                                     "KUM", "HIM", "IDR", "SVH", "HAL", "ANL"})
    assert len(r) == 256
    assert list(r.columns) == list(response_columns(Q))
    assert r["KLAR1"].dtype == np.float64 and r["BUL_Q"].dtype == np.float64
    assert r["wave"].dtype == object and r["BUL_SRC"].dtype == object
    first = r.iloc[0]  # 2023,HOVB,6,7,6,5,4,5,5,3,3,4,0,,,,0,,,,3,citizen,yes,manager;representative,...
    assert first["TEMP2"] == 3.0  # raw code, not yet reversed
    assert first["THR_SRC"] == frozenset({"citizen"}) and first["THR_HANDLED"] == "yes"
    assert first["THR_TOLD"] == frozenset({"manager", "representative"})
    assert first["BUL_SRC"] is None and math.isnan(first["VIO_Q"])
    # waves are kept as text in file order
    assert r["wave"].tolist()[:3] == ["2023", "2023", "2023"]


def test_responses_missing_values_and_codes(tmp_path):
    text = responses_csv(
        row(KLAR1="NA", KLAR2="9", KLAR3=" 7 ", BUL_Q="2", BUL_SRC="colleague; citizen;colleague",
            BUL_HANDLED="partly", BUL_TOLD="no_one"),
        row(),
        delimiter=";",
    )
    r = read_responses(write(tmp_path, "responses.csv", text), Q, UNITS)
    assert math.isnan(r.loc[0, "KLAR1"]) and math.isnan(r.loc[0, "KLAR2"])  # NA and don't know (9)
    assert r.loc[0, "KLAR3"] == 7.0
    assert r.loc[0, "BUL_SRC"] == frozenset({"colleague", "citizen"})  # repeated code counts once
    assert r.loc[0, "BUL_HANDLED"] == "partly" and r.loc[0, "BUL_TOLD"] == frozenset({"no_one"})
    assert len(r) == 2 and r.loc[1, ["KLAR1", "BUL_Q"]].isna().all()  # a row with no answers is kept


def test_responses_frame_from_table_of_strings():
    # the web app's path: a csvio.Table of strings
    cols = response_columns(Q)
    cells = tuple("2025" if c == "wave" else "KUF" if c == "unit_id" else "" for c in cols)
    table = csvio.Table("db", cols, ((2, cells),))
    r = responses_frame("db", table, Q, UNITS)
    assert r["unit_id"].tolist() == ["KUF"] and math.isnan(r.loc[0, "KLAR1"])


@pytest.mark.parametrize(
    ("cells", "column", "value", "words"),
    [
        ({"unit_id": "NOPE"}, "unit_id", "NOPE", "unknown unit"),
        ({"KLAR1": "8"}, "KLAR1", "8", "outside the scale"),
        ({"KLAR1": "0"}, "KLAR1", "0", "outside the scale"),
        ({"KLAR1": "5.0"}, "KLAR1", "5.0", "without decimals"),
        ({"KLAR1": "x"}, "KLAR1", "x", "whole number"),
        ({"BUL_Q": "5"}, "BUL_Q", "5", "unknown code"),
        ({"BUL_Q": "NA"}, "BUL_Q", "NA", "whole number"),  # NA only in scale-item columns
        ({"BUL_SRC": "boss"}, "BUL_SRC", "boss", "unknown code 'boss'"),
        ({"BUL_SRC": "colleague;;citizen"}, "BUL_SRC", "colleague;;citizen", "unknown code ''"),
        ({"BUL_HANDLED": "maybe"}, "BUL_HANDLED", "maybe", "unknown code"),
        ({"BUL_TOLD": "priest"}, "BUL_TOLD", "priest", "unknown code"),
        ({"wave": ""}, "wave", "", "wave is empty"),
    ],
)
def test_responses_errors(tmp_path, cells, column, value, words):
    text = responses_csv(row(), row(**cells))
    with pytest.raises(InputError) as err:
        read_responses(write(tmp_path, "responses.csv", text), Q, UNITS)
    e = err.value
    assert (e.file, e.line, e.column, e.value) == ("responses.csv", 3, column, value)
    assert words in str(e)


def test_responses_unknown_and_missing_columns(tmp_path):
    cols = response_columns(Q)
    text = ",".join(cols) + ",EXTRA\n" + ",".join(["2025", "KUF"] + [""] * (len(cols) - 2)) + ",\n"
    with pytest.raises(InputError) as err:
        read_responses(write(tmp_path, "responses.csv", text), Q, UNITS)
    assert (err.value.line, err.value.column) == (1, "EXTRA") and "unknown column" in str(err.value)
    short = [c for c in cols if c != "FAEL2"]
    text = ",".join(short) + "\n" + ",".join(["2025", "KUF"] + [""] * (len(short) - 2)) + "\n"
    with pytest.raises(InputError) as err:
        read_responses(write(tmp_path, "r2.csv", text), Q, UNITS)
    assert (err.value.file, err.value.line, err.value.column) == ("r2.csv", 1, "FAEL2")
    assert "missing" in str(err.value)


def test_responses_error_points_at_first_bad_line(tmp_path):
    text = responses_csv(row(), row(), row(KLAR2="12"), row(KLAR2="12"))
    with pytest.raises(InputError) as err:
        read_responses(write(tmp_path, "responses.csv", text), Q, UNITS)
    assert err.value.line == 4


def _both_paths(tmp_path: Path, text: str) -> tuple[Path, Path]:
    """The same responses twice: as written (plain: pandas' column reader) and with one cell quoted,
    which sends the file through the careful csv-module parser."""
    plain = write(tmp_path, "plain.csv", text)
    lines = text.split("\n")
    lines[1] = lines[1].replace("2025,", '"2025",', 1)
    quoted = write(tmp_path, "quoted.csv", "\n".join(lines))
    assert csvio.read_columns_fast("plain.csv", plain.read_bytes(), text, required=response_columns(Q))
    assert csvio.read_columns_fast("q.csv", quoted.read_bytes(), quoted.read_text(),
                                   required=response_columns(Q)) is None
    return plain, quoted


def test_plain_and_careful_readers_agree(tmp_path):
    text = responses_csv(
        row(KLAR1="NA", KLAR2="9", KLAR3="7", BUL_Q="2", BUL_SRC="colleague;citizen;colleague",
            BUL_HANDLED="partly", BUL_TOLD="no_one", TEMP1="01"),
        row(unit_id="KUF", KLAR1="3", BUL_Q="0"),
        row(wave="2024", unit_id="BIB"),
    )
    plain, quoted = _both_paths(tmp_path, text)
    a, b = read_responses(plain, Q, UNITS | {"BIB"}), read_responses(quoted, Q, UNITS | {"BIB"})
    assert a.equals(b)
    assert a["wave"].tolist() == ["2025", "2025", "2024"]  # numeric-looking labels stay text
    assert a.loc[0, "TEMP1"] == 1.0 and a.loc[0, "BUL_SRC"] == frozenset({"colleague", "citizen"})


@pytest.mark.parametrize(("delimiter", "newline"), [(";", "\n"), (",", "\r\n"), (";", "\r\n")])
def test_plain_reader_semicolons_and_crlf(tmp_path, delimiter, newline):
    text = responses_csv(row(KLAR1="2", BUL_Q="1", BUL_SRC="citizen", BUL_HANDLED="no"), row(KLAR2="NA"),
                         delimiter=delimiter)
    fast = text.replace("\n", newline)
    path = write(tmp_path, "responses.csv", fast)
    assert csvio.read_columns_fast("r.csv", path.read_bytes(), path.read_bytes().decode("utf-8"),
                                   required=response_columns(Q)) is not None
    careful = write(tmp_path, "careful.csv", text.replace("2025", '"2025"', 1))
    a, b = read_responses(path, Q, UNITS), read_responses(careful, Q, UNITS)
    assert a.equals(b) and a.loc[0, "KLAR1"] == 2.0 and a.loc[0, "BUL_SRC"] == frozenset({"citizen"})
    bad = write(tmp_path, "bad.csv", fast.replace(f"{delimiter}NA{delimiter}", f"{delimiter}8{delimiter}"))
    with pytest.raises(InputError) as err:
        read_responses(bad, Q, UNITS)
    assert (err.value.line, err.value.column, err.value.value) == (3, "KLAR2", "8")


def test_plain_reader_reports_the_first_bad_line_of_a_column(tmp_path):
    # "12" sorts before "8": the reader must still name line 3, where "8" appears first
    text = responses_csv(row(), row(KLAR2="8"), row(KLAR2="12"), row(KLAR2="x"))
    for path in _both_paths(tmp_path, text):
        with pytest.raises(InputError) as err:
            read_responses(path, Q, UNITS)
        assert (err.value.line, err.value.column, err.value.value) == (3, "KLAR2", "8"), path.name


def test_plain_reader_whole_numbers_only_even_when_every_cell_is_numeric(tmp_path):
    # a column whose cells are all numbers: pandas would infer numbers ("5.0" -> 5); it is read as text
    text = responses_csv(*[row(KLAR1="5.0") for _ in range(3)])
    with pytest.raises(InputError) as err:
        read_responses(write(tmp_path, "responses.csv", text), Q, UNITS)
    assert (err.value.line, err.value.column, err.value.value) == (2, "KLAR1", "5.0")


@pytest.mark.parametrize(
    ("change", "words", "line"),
    [
        (lambda lines: lines.__setitem__(2, lines[2] + ","), "fields but the header has", 3),
        (lambda lines: lines.__setitem__(2, lines[2][: lines[2].rindex(",")]), "fields but the header", 3),
        (lambda lines: lines.insert(2, ""), None, None),  # an empty line is skipped
        (lambda lines: lines.insert(2, "," * (len(response_columns(Q)) - 1)), None, None),  # all-empty row
    ],
)
def test_plain_reader_leaves_odd_files_to_the_careful_parser(tmp_path, change, words, line):
    lines = responses_csv(row(), row(), row(KLAR1="8")).split("\n")
    change(lines)
    path = write(tmp_path, "responses.csv", "\n".join(lines))
    with pytest.raises(InputError) as err:
        read_responses(path, Q, UNITS)
    if words is None:  # the odd line is skipped, and the bad value's line number counts it
        assert (err.value.column, err.value.value, err.value.line) == ("KLAR1", "8", 5)
    else:
        assert words in str(err.value) and err.value.line == line


# ------------------------------------------------------------------------------------------ settings


def test_settings_defaults_are_contract_2_1():
    d = Settings().to_dict()
    assert d == {
        "alpha": 0.05, "practical_delta": 0.2, "theme_min_item_share": 0.5, "k_min": 5, "k_diff": 5,
        "n_min_bands": 10, "n_min_distribution": 20, "n_min_exposure": 10,
        "flag_mean": {"red": 4.0, "orange": 4.6, "yellow": 5.0},
        "flag_unfavourable": {"red": 0.40, "orange": 0.30, "yellow": 0.20},
        "bp_polarised": 0.20, "bp_strong": 0.30, "exposure_share": 0.10, "exposure_count": 2,
        "points": {"red": 3, "orange": 2, "yellow": 1, "internal": 3, "external_unresolved": 2,
                   "polarised": 2},
        # contract 5.7: per-theme flag thresholds (none by default)
        "flag_mean_theme": {}, "flag_unfavourable_theme": {},
    }


def test_settings_partial_table_merges_key_by_key(tmp_path):
    s = read_settings(write(tmp_path, "settings.toml", "k_min = 3\n[points]\nred = 5\n"))
    assert s.k_min == 3 and s.k_diff == 5
    assert s.points == {"red": 5, "orange": 2, "yellow": 1, "internal": 3, "external_unresolved": 2,
                        "polarised": 2}
    assert Settings().points["red"] == 3  # defaults untouched


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"kmin": 3}, "unknown setting 'kmin'"),
        ({"points": {"blue": 1}}, "unknown setting 'points.blue'"),
        ({"k_min": 2.5}, "whole number"),
        ({"k_min": 0}, "must be ≥ 1"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": True}, "must be a number"),
        ({"flag_mean": 4}, "must be a table"),
    ],
)
def test_settings_errors(data, words):
    with pytest.raises(InputError) as err:
        settings_from_mapping(data, "settings.toml")
    assert words in str(err.value) and str(err.value).startswith("settings.toml")


def test_settings_toml_syntax_error(tmp_path):
    with pytest.raises(InputError) as err:
        read_settings(write(tmp_path, "settings.toml", "k_min = = 3\n"))
    assert "not valid TOML" in str(err.value) and "line 1" in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n",
        "\ufeffa;b;c\r\n 1 ;\"x;y\";3\r\n;;\r\n4;5;6\r\n",
        'a,b,c\n1,"two\nlines",3\n,,\n\n7,8,9\n',
        "a,b,c\n",
        'a,b,c\n1,2,3\n"unterminated,4,5\n',
        "a,b,c\n1,2\n",
        "a,b,x\n1,2,3\n",
        "a,b\n1,2\n",
        "a,b,c\r\n1,2,3\r\n,,\r\n4,5,6",
        'a,b,c\n1,"x\r",3\n',
        "a,b,c\n1,\u00a02,3\n",
        "a,b,c\n1,2\t,3\n",
    ],
)
def test_parse_table_fast_equals_parse_table(text):
    text = text.lstrip("\ufeff")
    kw = {"required": ("a", "b"), "optional": ("c",)}
    try:
        expected = csvio.parse_table("f.csv", text, **kw)
    except InputError as err:
        with pytest.raises(InputError) as fast_err:
            csvio.parse_table_fast("f.csv", text, **kw)
        assert str(fast_err.value) == str(err)
        return
    assert csvio.parse_table_fast("f.csv", text, **kw) == expected


def test_parse_table_fast_first_line_like_splitlines():
    # a form feed ends the header line for str.splitlines(), and so for both parsers
    text = "a,b\x0cjunk\n1,2\n"
    kw = {"required": ("a", "b")}
    with pytest.raises(InputError) as slow:
        csvio.parse_table("f.csv", text, **kw)
    with pytest.raises(InputError) as fast:
        csvio.parse_table_fast("f.csv", text, **kw)
    assert str(fast.value) == str(slow.value)
