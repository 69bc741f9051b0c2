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
    original = original[original["wave"] == "2025"].copy()
    original["unit_id"] = original["unit_id"].replace({"FVE": "BIB"})  # 3 respondents, lifted (k_min 5)
    assert _multiset(exported) == _multiset(original)
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
    written = csvio.read_table(out, required=response_columns(q))
    # the same rows (each export is shuffled anew)
    assert Counter(c for _l, c in written.rows) == Counter(c for _l, c in table.rows)


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


def _import_example(runner: Any) -> None:
    result = runner.invoke(
        args=["responses", "import", str(EXAMPLE / "responses.csv"), "--questionnaire", str(EXAMPLE_Q)]
    )
    assert result.exit_code == 0, result.output


def _export(runner: Any, wave: str = "2025", *extra: str) -> Any:
    return runner.invoke(
        args=["responses", "export", "--wave", wave, "--questionnaire", "trivsel-eksempel", *extra]
    )


def _export_events(db: Any) -> list[Any]:
    from survey.models_audit import AuditEvent

    db.session.remove()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "responses.export")))


def test_export_lifts_small_units_and_says_so(runner: Any, db: Any, example_units: None) -> None:
    """Filial Vest (3 respondents in 2025) goes past its parent FIL (no respondents of its own) into BIB:
    its rows carry BIB's id only, no unit id in the file has fewer than k_min rows, and stderr says so."""
    _import_example(runner)
    result = _export(runner)
    assert result.exit_code == 0, result.output
    units = Counter(line.split(",")[1] for line in result.stdout.splitlines()[1:])
    assert "FVE" not in units and "FIL" not in units
    assert units["BIB"] == 11 + 3  # Bibliotekerne's own 11 and Filial Vest's 3
    assert min(units.values()) >= 5
    assert sum(units.values()) == 129
    assert "1 unit(s) with fewer than k_min=5 respondents were lifted" in result.stderr
    assert "  into BIB: FVE (3)" in result.stderr
    assert "wave 2025" in result.stderr and "129 responses exported in random order" in result.stderr
    assert "trivsel-eksempel" not in result.stdout and "lifted" not in result.stdout  # stdout: the CSV only


def test_export_k_min_never_goes_below_the_floor(runner: Any, db: Any, example_units: None, app: Any) -> None:
    """A settings mapping with k_min 2 does not lower the export's threshold; TRIVSEL_K_MIN 7 raises it
    (Filial Syd's 6 are then lifted too)."""
    _import_example(runner)
    app.config["TRIVSEL_ANALYSIS_SETTINGS"] = {"k_min": 2}
    result = _export(runner)
    assert result.exit_code == 0, result.output
    assert "k_min=5" in result.stderr and "into BIB: FVE (3)" in result.stderr
    app.config["TRIVSEL_ANALYSIS_SETTINGS"] = {}
    app.config["TRIVSEL_K_MIN"] = 7
    result = _export(runner)
    assert result.exit_code == 0, result.output
    assert "k_min=7" in result.stderr and "FSY (6)" in result.stderr
    assert "FSY" not in {line.split(",")[1] for line in result.stdout.splitlines()[1:]}


def test_export_with_a_bad_setting_exits_2_and_writes_nothing(
    runner: Any, db: Any, example_units: None, app: Any, tmp_path: Path
) -> None:
    _import_example(runner)
    app.config["TRIVSEL_ANALYSIS_SETTINGS"] = {"k_min": "abc"}
    out = tmp_path / "2025.csv"
    result = _export(runner, "2025", "--output", str(out))
    assert result.exit_code == 2, result.output
    assert "TRIVSEL_ANALYSIS_SETTINGS, value 'abc': setting 'k_min' must be a whole number" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert _export_events(db) == []


def test_lifting_repeats_up_the_tree_and_refuses_a_root_below_k_min() -> None:
    from survey.services import Conflict, dataset

    parents = {"R": None, "A": "R", "A1": "A", "A2": "A", "B": "R"}
    # A1 (2) and A2 (2) pool in A (1 + 4 = 5, enough); B (6) stays
    assert dataset.lift_small_units({"A1": 2, "A2": 2, "A": 1, "B": 6}, parents, 5) == {
        "A1": "A", "A2": "A", "A": "A", "B": "B"}
    # A's pool (2 + 2) is still below 5: the three go on up into R
    assert dataset.lift_small_units({"A1": 2, "A2": 2, "B": 6, "R": 1}, parents, 5) == {
        "A1": "R", "A2": "R", "B": "B", "R": "R"}
    with pytest.raises(Conflict, match="only 4 responses in all under 'R', fewer than k_min=5"):
        dataset.lift_small_units({"A1": 2, "B": 2}, parents, 5)
    with pytest.raises(dataset.NotFound, match="responses name unit 'X', which is not in the unit tree"):
        dataset.lift_small_units({"X": 6}, parents, 5)
    with pytest.raises(dataset.ServiceError, match="the unit tree has a cycle through 'A'"):
        dataset.lift_small_units({"A": 1}, {"A": "B", "B": "A"}, 5)


def test_export_refuses_a_root_below_k_min_and_writes_nothing(
    runner: Any, db: Any, tmp_path: Path
) -> None:
    from survey.services.units import UnitRow, replace_units

    replace_units([UnitRow("R", None, "Root"), UnitRow("A", "R", "A")])
    q = questionnaires.load_file(EXAMPLE_Q)
    header = ["wave", "unit_id", *q.response_columns]
    lines = [",".join(header)] + [",".join(["2024", "A", "3"] + [""] * (len(header) - 3))] * 4
    src = tmp_path / "four.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = runner.invoke(args=["responses", "import", str(src), "--questionnaire", str(EXAMPLE_Q)])
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "out.csv"
    out.write_text("old contents\n", encoding="utf-8")
    result = _export(runner, "2024", "--output", str(out))
    assert result.exit_code == 1
    assert "only 4 responses in all under 'R', fewer than k_min=5" in result.stderr
    assert "nothing was written" in result.stderr
    assert out.read_text(encoding="utf-8") == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["four.csv", "out.csv"]
    assert _export_events(db) == []


def test_export_refuses_a_draft_or_open_wave(runner: Any, db: Any, make_wave: Any, tmp_path: Path) -> None:
    for label, status in (("2026", "draft"), ("2027", "open")):
        make_wave(label, status)
        out = tmp_path / f"{label}.csv"
        result = _export(runner, label, "--output", str(out))
        assert result.exit_code == 1
        assert f"wave '{label}' is {status}; responses are exported once the wave is closed" in result.stderr
        assert not out.exists()
    assert _export_events(db) == []


def test_export_drops_free_text_and_says_so(runner: Any, db: Any, example_units: None) -> None:
    from survey.models import Comment

    _import_example(runner)
    wave_id = db.session.scalar(sa.select(Wave.id).where(Wave.label == "2025"))
    secret = "Min chef, Jens, råber ad mig"
    db.session.add_all(
        Comment(wave_id=wave_id, unit_id=u, questionnaire_id="trivsel-eksempel", item_id="KLAR1", text=secret)
        for u in ("HOVB", "FVE")
    )
    db.session.commit()
    result = _export(runner)
    assert result.exit_code == 0, result.output
    assert secret not in result.stdout and "Jens" not in result.stdout
    assert "free text dropped: 2 comment(s) of this wave and questionnaire are not in the file" \
        in result.stderr


def test_export_is_audited_with_counts_and_no_answers(
    runner: Any, db: Any, example_units: None, tmp_path: Path
) -> None:
    _import_example(runner)
    assert _export(runner, "2025", "--output", str(tmp_path / "a.csv")).exit_code == 0
    events = _export_events(db)
    assert [(e.actor, e.target) for e in events] == [("cli", "2025")]
    assert events[0].detail == (
        "questionnaire=trivsel-eksempel rows=129 lifted_units=1 lifted_rows=3 dropped_comments=0 k_min=5"
    )


def test_export_leaves_no_half_written_file_when_the_audit_fails(
    runner: Any, db: Any, example_units: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written beside the target and renamed only once the audit event is committed: a failure
    in between leaves the old file as it was and no temporary file."""
    from survey.services import audit

    _import_example(runner)
    out = tmp_path / "2025.csv"
    out.write_text("old contents\n", encoding="utf-8")

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    result = _export(runner, "2025", "--output", str(out))
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["2025.csv"]


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
            lifted: Counter[tuple[str, ...]] = Counter()
            for wave in demo_mod.WAVES:
                export = dataset.prepare_export(wave, qid)
                assert export.columns == table.columns
                exported += dataset.row_multiset(export.columns, export.rows)
                into = {u: a for u, (_n, a) in export.lifted.items()}
                for cells, n in on_disk.items():  # the file's rows as the export lifts them
                    if cells[0] == wave:
                        lifted[(cells[0], into.get(cells[1], cells[1]), *cells[2:])] += n
            assert exported == lifted and sum(on_disk.values()) == sum(demo_mod.respondent_counts().values())


def test_export_lifts_along_the_published_tree_not_todays(runner: Any, db: Any, example_units: None) -> None:
    """After a tree edit, the export lifts as the wave was published: Filial Vest (3) still goes into BIB,
    not into Museerne where it now sits, so two exports before and after an edit cannot differ by a unit
    the publication never showed apart."""
    from survey.models import Unit
    from survey.services import reporting

    _import_example(runner)
    reporting.publish_wave("2025")
    db.session.get(Unit, "FVE").parent_id = "MUS"
    db.session.commit()
    result = _export(runner)
    assert result.exit_code == 0, result.output
    assert "  into BIB: FVE (3)" in result.stderr
    units = Counter(line.split(",")[1] for line in result.stdout.splitlines()[1:])
    assert units["BIB"] == 11 + 3
