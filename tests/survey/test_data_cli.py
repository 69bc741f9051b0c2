"""survey/data_cli.py: ``trivsel responses import|export`` and ``trivsel demo --no-serve``."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import questionnaires
from analysis import csvio
from analysis.inputs import read_responses, response_columns, responses_frame
from survey.models import Invitation, Response, User, Wave
from survey.models_audit import UsedMark
from survey.services.units import import_units

EXAMPLE = Path(__file__).parents[1] / "data" / "example"
EXAMPLE_Q = EXAMPLE / "questionnaire.yaml"


def _multiset(frame: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    def norm(v: Any) -> Any:
        if isinstance(v, frozenset):
            return tuple(sorted(v))
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v

    return Counter(tuple(norm(v) for v in row) for row in frame.itertuples(index=False))


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


@pytest.fixture()
def example_units(db: Any) -> None:
    import_units(EXAMPLE / "units.csv")


# ------------------------------------------------------------------------------------------ responses import


def test_import_command(runner: Any, db: Any, example_units: None) -> None:
    result = runner.invoke(
        args=["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", str(EXAMPLE_Q)]
    )
    assert result.exit_code == 0, result.output
    # README of the example: 127 respondents in 2023, 129 in 2025
    assert "wave 2023: 127 responses imported" in result.stdout
    assert "wave 2025: 129 responses imported" in result.stdout
    assert "256 rows in total" in result.stdout
    assert _count(db, Response) == 256


def test_import_bad_value_exits_2_and_stores_nothing(
    runner: Any, db: Any, example_units: None, tmp_path: Path
) -> None:
    lines = (EXAMPLE / "responses.csv").read_text(encoding="utf-8").splitlines()
    # line 2 of the file is "2023,HOVB,6,7,6,..." -> KLAR1 (third column) becomes 8, outside 1..7
    assert lines[1].startswith("2023,HOVB,6,")
    lines[1] = lines[1].replace("2023,HOVB,6,", "2023,HOVB,8,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(bad), "--questionnaire", str(EXAMPLE_Q)])
    assert result.exit_code == 2
    assert "bad.csv, line 2, column 'KLAR1', value '8': value outside the scale" in result.stderr
    assert result.stdout == ""
    assert _count(db, Response) == _count(db, Wave) == 0


def test_import_unknown_questionnaire_exits_2(runner: Any, db: Any, example_units: None) -> None:
    result = runner.invoke(
        args=["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", "nope"]
    )
    assert result.exit_code == 2 and "no shipped questionnaire" in result.stderr
    assert _count(db, Wave) == 0


def test_import_refused_twice_exits_1(runner: Any, db: Any, example_units: None) -> None:
    args = ["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", str(EXAMPLE_Q)]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "wave '2023' already has 127 responses" in result.stderr
    assert _count(db, Response) == 256


# ------------------------------------------------------------------------------------------ responses export


def test_export_is_the_contract_format(runner: Any, db: Any, example_units: None, tmp_path: Path) -> None:
    runner.invoke(
        args=["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", str(EXAMPLE_Q)]
    )
    result = runner.invoke(
        args=["responses", "export", "--wave", "2025", "--questionnaire", "trivsel-eksempel"]
    )
    assert result.exit_code == 0, result.output
    q = questionnaires.load_file(EXAMPLE_Q)
    text = result.stdout
    # the header is exactly the example file's (contract 1.3 order: wave, unit_id, items, exposures)
    assert text.splitlines()[0] == (EXAMPLE / "responses.csv").read_text(encoding="utf-8").splitlines()[0]
    assert text.splitlines()[0] == ",".join(response_columns(q))
    units = {
        line.split(",")[0] for line in (EXAMPLE / "units.csv").read_text(encoding="utf-8").splitlines()[1:]
    }
    table = csvio.parse_table("export.csv", text, required=response_columns(q))
    exported = responses_frame("export.csv", table, q, units)  # passes the contract's validation
    original = read_responses(EXAMPLE / "responses.csv", q, units)
    assert _multiset(exported) == _multiset(original[original["wave"] == "2025"])
    # --output writes the same text to a file
    out = tmp_path / "2025.csv"
    result = runner.invoke(
        args=[
            "responses",
            "export",
            "--wave",
            "2025",
            "--questionnaire",
            "trivsel-eksempel",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8") == text


def test_export_to_a_missing_folder_exits_2(
    runner: Any, db: Any, example_units: None, tmp_path: Path
) -> None:
    runner.invoke(
        args=["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", str(EXAMPLE_Q)]
    )
    target = tmp_path / "no" / "such" / "out.csv"
    result = runner.invoke(
        args=[
            "responses",
            "export",
            "--wave",
            "2025",
            "--questionnaire",
            "trivsel-eksempel",
            "--output",
            str(target),
        ]
    )
    assert result.exit_code == 2 and f"cannot write {target}" in result.stderr
    assert not target.parent.exists()


def test_import_missing_file_exits_2(runner: Any, db: Any, tmp_path: Path) -> None:
    result = runner.invoke(
        args=["responses", "import", str(tmp_path / "nope.csv"), "--questionnaire", str(EXAMPLE_Q)]
    )
    assert result.exit_code == 2 and "nope.csv: cannot read the file" in result.stderr


def test_export_unknown_wave_exits_1(runner: Any, db: Any) -> None:
    result = runner.invoke(args=["responses", "export", "--wave", "2030", "--questionnaire", "trivsel"])
    assert result.exit_code == 1 and "no wave '2030'" in result.stderr


# ------------------------------------------------------------------------------------------ demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from survey.cli import cli

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--no-serve", "--port", "5999"])
    assert result.exit_code == 0, result.output
    return path, result.stdout


def test_demo_prints_logins_links_and_codes(demo_db: tuple[Path, str]) -> None:
    _path, out = demo_db
    assert "DEMO ONLY" in out and "KUN DEMO" in out
    assert "http://127.0.0.1:5999/" in out
    for role in ("admin", "hr", "committee", "manager"):
        assert f"{role}@demo.trivsel.example" in out
    assert out.count("link:  http://127.0.0.1:5999/r/") == 2
    assert out.count("code / kode: ") == 2


def test_demo_database_works(demo_db: tuple[Path, str]) -> None:
    from analysis.report import analyse
    from survey import create_app
    from survey import demo as demo_mod
    from survey.extensions import db
    from survey.services import dataset, users

    path, out = demo_db
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x" * 32})
    with app.app_context():
        statuses = {w.label: w.status for w in db.session.scalars(sa.select(Wave))}
        assert statuses == {"2024": "closed", "2025": "closed", "2026": "open"}
        counts = demo_mod.respondent_counts()
        per_wave = sum(counts.values())  # both waves, each questionnaire
        assert _count(db, Response) == per_wave * len(demo_mod.DEMO_QUESTIONNAIRES)
        invitations = list(db.session.scalars(sa.select(Invitation)))
        assert len(invitations) == 16 and _count(db, UsedMark) == 0  # 3+3, 3+3, 2+2
        assert {u.role for u in db.session.scalars(sa.select(User))} == {
            "admin",
            "hr",
            "committee",
            "manager",
        }
        # the printed password of the manager logs in
        line = next(ln for ln in out.splitlines() if "manager@demo.trivsel.example" in ln)
        password = line.split()[2]
        user = users.authenticate("manager@demo.trivsel.example", password)
        assert user is not None and user.manager_unit_id == demo_mod.STORY.declining
        # each imported questionnaire analyses, 2025 against its baseline 2024
        w2025 = db.session.scalar(sa.select(Wave).where(Wave.label == "2025"))
        assert w2025 is not None and w2025.baseline is not None and w2025.baseline.label == "2024"
        for qid in demo_mod.DEMO_QUESTIONNAIRES:
            units_df, responses_df = dataset.analysis_frames("2025", qid, baseline="2024")
            report = analyse(units_df, responses_df, dataset.wave_questionnaire("2025", qid), "2025", "2024")
            assert report.to_dict()["schema"] == "trivsel-report/1"
        trivsel = analyse(
            *dataset.analysis_frames("2025", "trivsel", baseline="2024"),
            dataset.wave_questionnaire("2025", "trivsel"),
            "2025",
            "2024",
        ).to_dict()
        row = next(
            s
            for s in trivsel["scores"]
            if (s["unit_id"], s["kind"], s["id"]) == (demo_mod.STORY.declining, "theme", "ledelse")
        )
        assert row["change"]["class"] == "significant_decline"


def test_demo_recreates_its_database(demo_db: tuple[Path, str], tmp_path: Path) -> None:
    from survey.cli import cli

    path = tmp_path / "again.sqlite"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--no-serve"])
        assert result.exit_code == 0, result.output
    # recreated, not added to: as many responses as the first demo database
    import sqlite3

    def responses(p: Path) -> int:
        with sqlite3.connect(p) as conn:
            return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])

    assert responses(path) == responses(demo_db[0])


def test_demo_refuses_to_replace_another_file(tmp_path: Path) -> None:
    from survey.cli import cli

    precious = tmp_path / "notes.txt"
    precious.write_text("not a database", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", "--db", str(precious), "--no-serve"])
    assert result.exit_code == 2
    assert "is not a SQLite database" in result.stderr
    assert precious.read_text(encoding="utf-8") == "not a database"


def test_demo_link_opens_the_open_wave(demo_db: tuple[Path, str]) -> None:
    from survey import create_app

    path, out = demo_db
    link = next(ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("link:"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x" * 32})
    client = app.test_client()
    response = client.get(link.removeprefix("http://127.0.0.1:5999"), follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # the start page of wave 2026 introduces its questionnaires, e.g. emotional_demands' intro text
    assert "følelsesmæssige krav" in page


def test_demo_exports_analyse_with_trivsel_analyse(demo_db: tuple[Path, str], tmp_path: Path) -> None:
    """Both demo waves exported with `responses export`, then `trivsel analyse` on the files (contract 2)."""
    import json

    from analysis.report import analyse
    from survey import create_app
    from survey import demo as demo_mod
    from survey.cli import cli
    from survey.services import dataset

    path, _out = demo_db
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x" * 32})
    runner = app.test_cli_runner()
    texts = []
    for wave in ("2024", "2025"):
        result = runner.invoke(args=["responses", "export", "--wave", wave, "--questionnaire", "trivsel"])
        assert result.exit_code == 0, result.output
        texts.append(result.stdout)
    header, rows_2024 = texts[0].split("\n", 1)
    assert texts[1].split("\n", 1)[0] == header
    responses_csv = tmp_path / "responses.csv"
    responses_csv.write_text(header + "\n" + rows_2024 + texts[1].split("\n", 1)[1], encoding="utf-8")
    with app.app_context():
        units_csv = tmp_path / "units.csv"
        units_csv.write_text(
            dataset.rows_to_text(("unit_id", "parent_id", "name", "headcount"), dataset.units_rows()),
            encoding="utf-8",
        )
        direct = analyse(
            *dataset.analysis_frames("2025", "trivsel", baseline="2024"),
            dataset.wave_questionnaire("2025", "trivsel"),
            "2025",
            "2024",
        ).to_dict()
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "analyse",
            "--units",
            str(units_csv),
            "--responses",
            str(responses_csv),
            "--questionnaire",
            "trivsel",
            "--wave",
            "2025",
            "--baseline",
            "2024",
            "--json",
            str(report_path),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert len(report["units"]) == len(demo_mod.UNITS)

    def key(r: dict[str, Any]) -> tuple[str, str, str]:
        return (r["unit_id"], r["kind"], r["id"])

    # the file path and the database path give the same report
    via_files = {key(r): r for r in report["scores"]}
    via_db = {key(r): r for r in direct["scores"]}
    assert via_files.keys() == via_db.keys()
    for k, row in via_db.items():
        assert via_files[k]["n"] == row["n"] and via_files[k]["mean"] == pytest.approx(row["mean"], rel=1e-12)
        assert (via_files[k]["change"] or {}).get("class") == (row["change"] or {}).get("class")
    assert via_files[(demo_mod.STORY.declining, "theme", "tempo")]["change"]["class"] == "significant_decline"


def test_demo_files_are_what_was_imported(demo_db: tuple[Path, str]) -> None:
    from survey import create_app
    from survey import demo as demo_mod
    from survey.services import dataset

    path, out = demo_db
    files = path.parent / "demo-files"
    assert f"The imported files are in {files}" in out
    assert (files / "units.csv").read_text(encoding="utf-8") == demo_mod.units_csv()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x" * 32})
    with app.app_context():
        for qid in demo_mod.DEMO_QUESTIONNAIRES:
            q = questionnaires.load(qid)
            table = csvio.read_table(files / f"responses_{qid}.csv", required=response_columns(q))
            on_disk = Counter(cells for _line, cells in table.rows)
            exported: Counter[tuple[str, ...]] = Counter()
            for wave in demo_mod.WAVES:
                columns, rows = dataset.export_rows(wave, qid)
                assert columns == table.columns
                exported += dataset.row_multiset(columns, rows)
            assert exported == on_disk and sum(on_disk.values()) == sum(demo_mod.respondent_counts().values())
