"""``trivsel analyse`` (contract.md 2): the worked example end to end, and every invalid input
(exit 2, a message naming file, line, column and value, and no output file written)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.cli import analyse

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = DATA / "example"


def _check_main():  # noqa: ANN202 - tests/data/check.py is a script, not a package
    spec = importlib.util.spec_from_file_location("trivsel_check_analyse", DATA / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("units.csv", "responses.csv", "questionnaire.yaml", "expected_report.json"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    return tmp_path


def run(work: Path, *extra: str, wave: str = "2025", baseline: str | None = "2023", out: str = "out.json"):
    args = ["--units", str(work / "units.csv"), "--responses", str(work / "responses.csv"),
            "--questionnaire", str(work / "questionnaire.yaml"), "--wave", wave, "--json", str(work / out)]
    if baseline is not None:
        args += ["--baseline", baseline]
    return CliRunner().invoke(analyse, [*args, *extra])


def leftovers(work: Path) -> list[str]:
    inputs = {"units.csv", "responses.csv", "questionnaire.yaml", "expected_report.json", "settings.toml",
              "other.yaml"}
    return sorted(p.name for p in work.iterdir() if p.name not in inputs)


def test_worked_example_matches_expected_report(work, capsys):
    result = run(work)
    assert result.exit_code == 0, result.output
    assert "129 respondents" in result.stdout
    code = _check_main()([str(work / "expected_report.json"), str(work / "out.json"), "--label", "example"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert code == 0, last
    assert last.startswith("report example: 0 mismatches of")
    data = json.loads((work / "out.json").read_text(encoding="utf-8"))
    assert data["schema"] == "trivsel-report/1" and data["baseline"] == "2023"
    assert leftovers(work) == ["out.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert (work / "out.json").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_without_baseline_changes_are_null(work):
    result = run(work, baseline=None)
    assert result.exit_code == 0, result.output
    data = json.loads((work / "out.json").read_text(encoding="utf-8"))
    assert data["baseline"] is None and all(s["change"] is None for s in data["scores"])


def test_settings_file_is_applied_and_echoed(work):
    (work / "settings.toml").write_text("k_min = 7\n[points]\nred = 10\n", encoding="utf-8")
    result = run(work, "--settings", str(work / "settings.toml"))
    assert result.exit_code == 0, result.output
    data = json.loads((work / "out.json").read_text(encoding="utf-8"))
    assert data["settings"]["k_min"] == 7 and data["settings"]["points"]["red"] == 10
    assert data["settings"]["points"]["orange"] == 2
    # FSY (6 respondents) is primary-suppressed with k_min 7 (secondary with the default 5)
    assert {u["unit_id"]: u["suppressed"] for u in data["units"]}["FSY"] == "primary"
    assert data["publication"] == {"audience": "operator", "k_floor": 5, "scope": None, "comment_min": 5}


@pytest.mark.parametrize("line", ["k_min = 3", "k_diff = 4", "n_min_exposure = 5"])
def test_settings_below_the_publication_floor_exit_2(work, line):
    (work / "settings.toml").write_text(line + "\n", encoding="utf-8")
    result = run(work, "--settings", str(work / "settings.toml"))
    assert result.exit_code == 2
    key = line.split()[0]
    assert "settings.toml" in result.output and f"{key} = " in result.output
    assert "below the publication floor" in result.output and "can only raise" in result.output
    assert leftovers(work) == []


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


# (file to edit, old text, new text, words expected in the message)
CASES = {
    "unknown unit": ("responses.csv", "2023,HOVB,6,7,6", "2023,NOPE,6,7,6",
                     ["responses.csv", "line 2", "column 'unit_id'", "value 'NOPE'", "unknown unit"]),
    "value off scale": ("responses.csv", "2023,HOVB,6,7,6", "2023,HOVB,8,7,6",
                        ["responses.csv", "line 2", "column 'KLAR1'", "value '8'", "outside the scale"]),
    "decimal code": ("responses.csv", "2023,HOVB,6,7,6", "2023,HOVB,6.0,7,6",
                     ["line 2", "column 'KLAR1'", "value '6.0'", "without decimals"]),
    "unknown source code": ("responses.csv", "3,citizen,yes", "3,stranger,yes",
                            ["line 2", "column 'THR_SRC'", "unknown code 'stranger'"]),
    "empty part in multi-code cell": ("responses.csv", "manager;representative", '"manager;;representative"',
                                      ["line 2", "column 'THR_TOLD'", "unknown code ''"]),
    "unknown handled code": ("responses.csv", "3,citizen,yes", "3,citizen,maybe",
                             ["line 2", "column 'THR_HANDLED'", "value 'maybe'"]),
    "unknown column": ("responses.csv", "VIO_TOLD\n", "VIO_TOLD,EXTRA\n",
                       ["responses.csv", "line 1", "column 'EXTRA'", "unknown column"]),
    "missing column": ("responses.csv", ",FAEL4,", ",FAEL4X,", ["line 1", "column 'FAEL4X'"]),
    "duplicate unit id": ("units.csv", "HIM,MUS,", "KUM,MUS,",
                          ["units.csv", "line 11", "column 'unit_id'", "value 'KUM'", "duplicate"]),
    "no root": ("units.csv", "KUF,,", "KUF,IDR,", ["units.csv", "no root"]),
    "two roots": ("units.csv", "MUS,KUF,", "MUS,,", ["units.csv", "line 9", "more than one root"]),
    "cyclic tree": ("units.csv", "FIL,BIB,", "FIL,FNO,", ["units.csv", "column 'parent_id'", "cycle"]),
    "unknown parent": ("units.csv", "HAL,IDR,", "HAL,XXX,", ["units.csv", "line 14", "value 'XXX'"]),
    "bad headcount": ("units.csv", "HOVB,BIB,Hovedbiblioteket,30", "HOVB,BIB,Hovedbiblioteket,3.5",
                      ["units.csv", "line 4", "column 'headcount'", "value '3.5'"]),
    "bad questionnaire": ("questionnaire.yaml", "reverse: true", "revers: true",
                          ["questionnaire.yaml", "unknown key 'revers'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_input_exit_2_and_nothing_written(work, case):
    name, old, new, words = CASES[case]
    _edit(work / name, old, new)
    result = run(work)
    assert result.exit_code == 2, result.output
    for w in words:
        assert w in result.stderr, (w, result.stderr)
    assert leftovers(work) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [("kmin = 3\n", "unknown setting 'kmin'"), ("[points]\nblue = 1\n", "points.blue"),
     ("k_min = 2.5\n", "whole number"), ("k_min = \n", "not valid TOML")],
)
def test_bad_settings_exit_2(work, content, words):
    (work / "settings.toml").write_text(content, encoding="utf-8")
    result = run(work, "--settings", str(work / "settings.toml"))
    assert result.exit_code == 2 and "settings.toml" in result.stderr and words in result.stderr
    assert leftovers(work) == []


def test_unknown_wave_and_baseline(work):
    result = run(work, wave="2024")
    assert result.exit_code == 2
    assert "column 'wave'" in result.stderr and "value '2024'" in result.stderr
    assert "2023, 2025" in result.stderr
    result = run(work, baseline="1999")
    assert result.exit_code == 2 and "--baseline 1999" in result.stderr
    result = run(work, baseline="2025")
    assert result.exit_code == 2 and "--baseline" in result.stderr
    assert leftovers(work) == []


def test_unknown_questionnaire_id(work):
    result = CliRunner().invoke(analyse, [
        "--units", str(work / "units.csv"), "--responses", str(work / "responses.csv"),
        "--questionnaire", "no-such-questionnaire", "--wave", "2025", "--json", str(work / "out.json")])
    assert result.exit_code == 2 and "no-such-questionnaire" in result.stderr
    assert leftovers(work) == []


def test_responses_of_another_questionnaire(work):
    # the shipped 'trivsel' questionnaire has other item ids: every column is wrong
    result = CliRunner().invoke(analyse, [
        "--units", str(work / "units.csv"), "--responses", str(work / "responses.csv"),
        "--questionnaire", "trivsel", "--wave", "2025", "--json", str(work / "out.json")])
    assert result.exit_code == 2 and "responses.csv, line 1, column" in result.stderr
    assert leftovers(work) == []


def test_missing_output_folder(work):
    result = run(work, out="nowhere/out.json")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (work / "nowhere").exists()


def test_same_path_twice(work):
    result = run(work, "--xlsx", str(work / "out.json"))
    assert result.exit_code == 2 and "same path" in result.stderr
    assert leftovers(work) == []


def test_html_output_missing_module_is_an_error(work, monkeypatch):
    monkeypatch.setitem(sys.modules, "analysis.html", None)  # makes "import analysis.html" fail
    result = run(work, "--html", str(work / "out.html"))
    assert result.exit_code == 2 and "HTML output is not available in this version" in result.stderr
    assert leftovers(work) == []


def test_all_outputs_or_none(work, monkeypatch):
    calls = []

    def good(report, questionnaire, path, **options):
        calls.append((report["schema"], questionnaire.id, options))
        Path(path).write_text("<html></html>", encoding="utf-8")

    def bad(report, questionnaire, path):
        Path(path).write_bytes(b"half a workbook")
        raise ValueError("disk trouble")

    monkeypatch.setitem(sys.modules, "analysis.html", types.SimpleNamespace(write_html=good))
    monkeypatch.setitem(sys.modules, "analysis.xlsx", types.SimpleNamespace(write_xlsx=bad))
    result = run(work, "--html", str(work / "out.html"), "--xlsx", str(work / "out.xlsx"))
    assert result.exit_code == 2 and "disk trouble" in result.stderr
    assert leftovers(work) == []  # neither out.json, out.html nor any temporary file

    monkeypatch.setitem(sys.modules, "analysis.xlsx", types.SimpleNamespace(write_xlsx=good))
    result = run(work, "--html", str(work / "out.html"), "--xlsx", str(work / "out.xlsx"))
    assert result.exit_code == 0, result.output
    assert leftovers(work) == ["out.html", "out.json", "out.xlsx"]
    umask = os.umask(0)
    os.umask(umask)
    assert (work / "out.xlsx").stat().st_mode & 0o777 == 0o666 & ~umask
    assert calls[-1] == ("trivsel-report/1", "trivsel-eksempel", {"lang": "da"})  # the HTML writer


def test_html_language_option(work):
    result = run(work, "--html", str(work / "da.html"))
    assert result.exit_code == 0, result.output
    result = run(work, "--html", str(work / "en.html"), "--lang", "en", out="en.json")
    assert result.exit_code == 0, result.output
    da, en = (work / "da.html").read_text(encoding="utf-8"), (work / "en.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in da and '<html lang="en">' in en
    # the worked example's questionnaire title in each language
    assert "Trivselsmåling, eksempel" in da and "Well-being survey, example" in en
    assert "Well-being survey, example" not in da
    result = run(work, "--html", str(work / "x.html"), "--lang", "de", out="x.json")
    assert result.exit_code == 2 and "--lang" in result.output
    assert not (work / "x.html").exists() and not (work / "x.json").exists()


# ---------------------------------------------------------------- --baseline-units (contract 5.4)


def test_baseline_units_marks_units_whose_leaf_set_changed(work):
    # the baseline tree had FNO under BIB directly instead of under FIL: FIL and BIB's leaf sets are the
    # same (FNO stays inside BIB) except FIL, which lost FNO
    text = (work / "units.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header, rows = lines[0], lines[1:]
    cols = header.split(",")
    moved = []
    for line in rows:
        cells = line.split(",")
        if cells[cols.index("unit_id")] == "FNO":
            cells[cols.index("parent_id")] = "BIB"
        moved.append(",".join(cells))
    (work / "old_units.csv").write_text("\n".join([header, *moved]) + "\n", encoding="utf-8")
    result = run(work, "--baseline-units", str(work / "old_units.csv"))
    assert result.exit_code == 0, result.output
    data = json.loads((work / "out.json").read_text(encoding="utf-8"))
    units = {u["unit_id"]: u for u in data["units"]}
    assert units["FIL"]["baseline"]["comparable"] is False
    assert units["BIB"]["baseline"]["comparable"] is True and units["FNO"]["baseline"]["comparable"] is True
    fil = [s for s in data["scores"] if s["unit_id"] == "FIL"]
    assert fil and all(s["change"]["class"] == "not_comparable" and s["change"]["baseline_mean"] is None
                       for s in fil)
    assert any(s["change"] and s["change"]["class"] != "not_comparable"
               for s in data["scores"] if s["unit_id"] == "BIB")


def test_baseline_units_without_baseline_is_an_error(work):
    result = run(work, "--baseline-units", str(work / "units.csv"), baseline=None)
    assert result.exit_code == 2
    assert "--baseline-units" in result.output and "only used with --baseline" in result.output
    assert leftovers(work) == []


def test_baseline_units_invalid_file_exit_2(work):
    (work / "old_units.csv").write_text("unit_id,parent_id,name\nA,,A\nB,,B\n", encoding="utf-8")
    result = run(work, "--baseline-units", str(work / "old_units.csv"))
    assert result.exit_code == 2
    assert "old_units.csv" in result.output
    assert leftovers(work) == ["old_units.csv"]  # the input itself; no output written


def test_html_of_one_subtree(work):
    """--unit FIL: the HTML holds Filialerne and its branches only (the hidden ones still hidden); the
    JSON stays the whole report, as the contract has it."""
    import re

    result = run(work, "--html", str(work / "fil.html"), "--unit", "FIL")
    assert result.exit_code == 0, result.output
    html = (work / "fil.html").read_text(encoding="utf-8")
    assert set(re.findall(r'data-unit="([^"]+)"', html)) == {"FIL", "FNO", "FSY", "FVE"}
    assert "Hovedbiblioteket" not in html and "Kunstmuseet" not in html
    assert "Denne rapport dækker Filialerne og enhederne under den (4 enheder)." in html
    rows = re.findall(r"<tr[^>]*>(?:(?!</tr>).)*Filial Vest(?:(?!</tr>).)*</tr>", html, flags=re.S)
    assert rows and all("skjult" in r and not re.search(r"\d[.,]\d\d", r) for r in rows)
    data = json.loads((work / "out.json").read_text(encoding="utf-8"))
    assert len(data["units"]) == 14 and "scope" not in data


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--html", "x.html", "--unit", "NOPE"],
         "--unit, value 'NOPE': no unit 'NOPE' in units.csv; give one of its unit ids "
         "(the top of the tree is KUF)"),
        (["--unit", "FIL"], "--unit, value 'FIL': only used with --html"),
        (["--html", "x.html", "--unit", " "], "--unit: the unit id is empty"),
    ],
)
def test_unit_option_errors_write_nothing(work, extra, message):
    extra = [str(work / e) if e.endswith(".html") else e for e in extra]
    result = run(work, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert leftovers(work) == []
