"""survey/services/dataset.py: import/export of responses.csv and the analysis frames (SQLite; PostgreSQL when
TRIVSEL_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

import questionnaires
from analysis.csvio import InputError
from analysis.inputs import read_responses, read_units
from survey import demo
from survey.models import Response, Wave, WaveQuestionnaire
from survey.services import Conflict, NotFound, dataset
from survey.services.units import UnitRow, import_units, replace_units

EXAMPLE = Path(__file__).parents[1] / "data" / "example"
EXAMPLE_Q = EXAMPLE / "questionnaire.yaml"
EXAMPLE_UNITS = {
    "KUF",
    "BIB",
    "HOVB",
    "FIL",
    "FNO",
    "FSY",
    "FVE",
    "MUS",
    "KUM",
    "HIM",
    "IDR",
    "SVH",
    "HAL",
    "ANL",
}


def _state(db: Any) -> tuple[Any, ...]:
    """Everything an import may touch: waves (label, status, baseline), their questionnaires, responses."""
    s = db.session
    waves = sorted(s.execute(sa.select(Wave.label, Wave.status, Wave.baseline_id)).all())
    wqs = sorted(s.execute(sa.select(WaveQuestionnaire.wave_id, WaveQuestionnaire.questionnaire_id)).all())
    resp = sorted(
        (str(w), u, q, repr(sorted(a.items())))
        for w, u, q, a in s.execute(
            sa.select(Response.wave_id, Response.unit_id, Response.questionnaire_id, Response.answers)
        )
    )
    return tuple(waves), tuple(wqs), tuple(resp)


def _example_text() -> str:
    return (EXAMPLE / "responses.csv").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "responses.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _replace_cell(text: str, line: int, column: str, value: str) -> str:
    """Set one cell of a CSV text (line numbers count the header as 1)."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[line - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _frame_multiset(frame: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    """Rows of a validated responses frame, order-free (NaN -> None, frozenset -> sorted tuple)."""

    def norm(v: Any) -> Any:
        if isinstance(v, frozenset):
            return tuple(sorted(v))
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v

    return Counter(tuple(norm(v) for v in row) for row in frame.itertuples(index=False))


@pytest.fixture()
def example_units(db: Any) -> None:
    import_units(EXAMPLE / "units.csv")


# ------------------------------------------------------------------------------------------------ round trip


def _lift(frame: pd.DataFrame, into: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the unit ids of ``into`` replaced by their ancestors (what the export does)."""
    out = frame.copy()
    out["unit_id"] = out["unit_id"].map(lambda u: into.get(u, u))
    return out


def test_round_trip_of_the_worked_example(db: Any, example_units: None, tmp_path: Path) -> None:
    summary = dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    # README of the example: 127 respondents in 2023, 129 in 2025
    assert summary.rows_per_wave == {"2023": 127, "2025": 129}
    assert summary.created_waves == ("2023", "2025") and summary.total == 256
    assert summary.dropped_followups == 0
    assert {w.label: w.status for w in db.session.scalars(sa.select(Wave))} == {
        "2023": "closed",
        "2025": "closed",
    }
    q = questionnaires.load_file(EXAMPLE_Q)
    original = read_responses(EXAMPLE / "responses.csv", q, EXAMPLE_UNITS)
    for label in ("2023", "2025"):
        out = tmp_path / f"{label}.csv"
        assert dataset.export_csv(label, q.id, out) == len(original[original["wave"] == label])
        exported = read_responses(out, q, EXAMPLE_UNITS)
        # the file spells NA, 9 and "manager;citizen" in several ways; the validated frames must agree, with
        # Filial Vest (4 and 3 respondents) lifted past Filial Syd's parent FIL (no respondents) into BIB
        assert _frame_multiset(exported) == _frame_multiset(
            _lift(original[original["wave"] == label], {"FVE": "BIB"})
        )


def test_round_trip_of_demo_rows_is_exact(db: Any, tmp_path: Path) -> None:
    replace_units([UnitRow(u.unit_id, u.parent_id, u.name, u.headcount) for u in demo.UNITS])
    q = questionnaires.load_file(EXAMPLE_Q)
    frame = demo.generate_responses(q, seed=11)
    path = _write(tmp_path, demo.responses_csv(frame))
    dataset.import_responses(path, q)
    columns = ["wave", "unit_id", *q.response_columns]
    for label in demo.WAVES:
        export = dataset.prepare_export(label, q.id)
        assert list(export.columns) == columns
        expected = _lift(frame[frame["wave"] == label], {u: a for u, (_n, a) in export.lifted.items()})
        assert dataset.row_multiset(export.columns, export.rows) == dataset.row_multiset(
            export.columns, expected.to_dict("records")
        )


def test_storage_and_export_order_do_not_follow_the_file(
    db: Any, example_units: None, tmp_path: Path
) -> None:
    """The export's order is random: neither the file's (answering) order nor a sort, and it differs
    between two exports (P(two of 129! orders agree) is negligible)."""
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    records = [r for r in csv.DictReader(io.StringIO(_example_text())) if r["wave"] == "2025"]
    file_units = [r["unit_id"] for r in records]
    _cols, rows = dataset.export_rows("2025", "trivsel-eksempel")
    _cols, again = dataset.export_rows("2025", "trivsel-eksempel")
    exported_units = [r["unit_id"] for r in rows]
    lifted_file_units = ["BIB" if u == "FVE" else u for u in file_units]
    assert sorted(exported_units) == sorted(lifted_file_units)
    assert exported_units != lifted_file_units  # not the file's order
    assert exported_units != sorted(exported_units)  # not sorted by unit
    assert [tuple(r.values()) for r in rows] != [tuple(r.values()) for r in again]  # shuffled anew


def test_shuffled_before_insert(db: Any, tmp_path: Path) -> None:
    """Rows of 40 units in file order U00..U39 are not sent to the database in that order.

    The INSERT parameters are captured as the driver receives them (the insertion order, which is what
    PostgreSQL's physical order follows). For a uniform shuffle P(file order) = 1/40! ≈ 1e-48.
    """
    replace_units(
        [UnitRow("R", None, "Root", 0)] + [UnitRow(f"U{i:02d}", "R", f"U{i}", 1) for i in range(40)]
    )
    q = questionnaires.load_file(EXAMPLE_Q)
    header = ["wave", "unit_id", *q.response_columns]
    rows = [{c: "" for c in header} | {"wave": "2024", "unit_id": f"U{i:02d}"} for i in range(40)]
    sent: list[str] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RESPONSES"):
            batches = parameters if isinstance(parameters, list) else [parameters]
            for params in batches:
                values = params.values() if isinstance(params, dict) else params
                sent.extend(v for v in values if isinstance(v, str) and re.fullmatch(r"U\d\d", v))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        dataset.import_responses(_write(tmp_path, dataset.rows_to_text(header, rows)), q)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert sorted(sent) == [f"U{i:02d}" for i in range(40)]
    assert sent != sorted(sent)
    stored = list(db.session.scalars(sa.select(Response.unit_id)))
    assert sorted(stored) == sorted(sent)


def test_non_canonical_cells_are_stored_canonically(db: Any, example_units: None, tmp_path: Path) -> None:
    q = questionnaires.load_file(EXAMPLE_Q)
    header = ["wave", "unit_id", *q.response_columns]
    base = {c: "" for c in header} | {"wave": "2024", "unit_id": "HOVB"}
    rows = [
        base
        | {
            "KLAR1": "NA",
            "KLAR2": "9",
            "KLAR3": " 4 ",
            "BUL_Q": "2",
            "BUL_SRC": "citizen; colleague;citizen",
            "BUL_HANDLED": "partly",
            "BUL_TOLD": "other;manager",
        },
        # a follow-up without exposure is not kept (as the answering form does)
        base | {"THR_Q": "0", "THR_SRC": "citizen", "VIO_SRC": "partner"},
    ]
    summary = dataset.import_responses(_write(tmp_path, dataset.rows_to_text(header, rows)), q)
    assert summary.dropped_followups == 2
    answers = sorted((r.answers for r in db.session.scalars(sa.select(Response))), key=len)
    assert answers[0] == {"THR_Q": 0}
    assert answers[1] == {
        "KLAR2": 9,
        "KLAR3": 4,
        "BUL_Q": 2,
        "BUL_SRC": ["colleague", "citizen"],
        "BUL_HANDLED": "partly",
        "BUL_TOLD": ["manager", "other"],
    }
    row = dataset.answers_to_cells(q, answers[1])  # the export's cells (2 rows are too few to export)
    assert (row["KLAR1"], row["KLAR2"], row["BUL_SRC"], row["BUL_TOLD"]) == (
        "",
        "9",
        "colleague;citizen",
        "manager;other",
    )


def test_semicolon_file_and_bom_are_read(db: Any, example_units: None, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(_example_text())))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    assert dataset.import_responses(path, EXAMPLE_Q).total == 256


def test_import_into_an_existing_closed_wave_and_set_baseline(
    db: Any, example_units: None, make_wave: Any, tmp_path: Path
) -> None:
    make_wave("2025", "closed")  # runs the example questionnaire, no responses yet
    summary = dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q, baselines={})
    assert summary.created_waves == ("2023",) and summary.rows_per_wave["2025"] == 129
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaveQuestionnaire)) == 2


def test_baselines_link_new_waves(db: Any, example_units: None) -> None:
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q, baselines={"2025": "2023"})
    w = {w.label: w for w in db.session.scalars(sa.select(Wave))}
    assert w["2025"].baseline_id == w["2023"].id and w["2023"].baseline_id is None


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("line", "column", "value", "message"),
    [
        (5, "KLAR1", "8", "value outside the scale"),
        (40, "unit_id", "NOPE", "unknown unit"),
        (200, "BUL_SRC", "colleague;;citizen", "unknown code"),
        (3, "FAEL2", "4.0", "whole number"),
        (7, "THR_Q", "NA", "whole number"),
    ],
)
def test_bad_cell_changes_nothing(
    db: Any, example_units: None, tmp_path: Path, line: int, column: str, value: str, message: str
) -> None:
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)  # something already stored
    before = _state(db)
    text = (
        _replace_cell(_example_text(), line, column, value)
        .replace("2023,", "2019,")
        .replace("2025,", "2020,")
    )
    with pytest.raises(InputError) as err:
        dataset.import_responses(_write(tmp_path, text, "bad.csv"), EXAMPLE_Q)
    assert (err.value.file, err.value.line, err.value.column, err.value.value) == (
        "bad.csv",
        line,
        column,
        value,
    )
    assert message in str(err.value)
    assert _state(db) == before


def test_unknown_and_missing_column_change_nothing(db: Any, example_units: None, tmp_path: Path) -> None:
    before = _state(db)
    header, rest = _example_text().split("\n", 1)
    with pytest.raises(InputError) as err:
        dataset.import_responses(_write(tmp_path, header.replace("KLAR3", "KLAR9") + "\n" + rest), EXAMPLE_Q)
    assert err.value.column == "KLAR9" and err.value.line == 1 and "unknown column" in str(err.value)
    rows = list(csv.reader(io.StringIO(_example_text())))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:-1] for r in rows])  # drop VIO_TOLD
    with pytest.raises(InputError) as err:
        dataset.import_responses(_write(tmp_path, buf.getvalue()), EXAMPLE_Q)
    assert err.value.column == "VIO_TOLD" and "missing" in str(err.value)
    assert _state(db) == before == ((), (), ())


def test_header_only_file_is_an_error(db: Any, example_units: None, tmp_path: Path) -> None:
    header = _example_text().split("\n", 1)[0]
    with pytest.raises(InputError, match="empty.csv, line 2: the file has no response rows"):
        dataset.import_responses(_write(tmp_path, header + "\n\n", "empty.csv"), EXAMPLE_Q)
    assert _state(db) == ((), (), ())


@pytest.mark.parametrize("status", ["open", "draft"])
def test_open_or_draft_wave_is_refused(db: Any, example_units: None, make_wave: Any, status: str) -> None:
    make_wave("2025", status)
    before = _state(db)
    with pytest.raises(
        Conflict, match=f"wave '2025' is {status}; responses can only be imported into a closed"
    ):
        dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    assert _state(db) == before  # 2023 (earlier in the file, new) was not created either


def test_duplicate_import_is_refused(db: Any, example_units: None) -> None:
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    before = _state(db)
    with pytest.raises(
        Conflict, match="wave '2023' already has 127 responses for questionnaire 'trivsel-eksempel'"
    ):
        dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    assert _state(db) == before


def test_other_version_of_the_questionnaire_is_refused(
    db: Any, example_units: None, make_wave: Any, tmp_path: Path
) -> None:
    make_wave("2025", "closed")
    before = _state(db)
    v4 = tmp_path / "q.yaml"
    v4.write_text(EXAMPLE_Q.read_text(encoding="utf-8").replace("version: 3", "version: 4"), encoding="utf-8")
    with pytest.raises(
        Conflict, match="runs questionnaire 'trivsel-eksempel' version 3, the import uses version 4"
    ):
        dataset.import_responses(EXAMPLE / "responses.csv", v4)
    assert _state(db) == before


def test_unknown_questionnaire_and_bad_baseline(db: Any, example_units: None) -> None:
    with pytest.raises(questionnaires.QuestionnaireError, match="no shipped questionnaire"):
        dataset.import_responses(EXAMPLE / "responses.csv", "nope")
    with pytest.raises(NotFound, match="baseline wave '2019' of wave '2025' does not exist"):
        dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q, baselines={"2025": "2019"})
    assert _state(db) == ((), (), ())


def test_export_of_a_running_wave_is_refused(db: Any, example_units: None, make_wave: Any) -> None:
    make_wave("2026", "open")
    with pytest.raises(Conflict, match="wave '2026' is open; responses are exported once the wave is closed"):
        dataset.export_rows("2026", "trivsel-eksempel")


def test_export_errors(db: Any, example_units: None) -> None:
    with pytest.raises(NotFound, match="no wave '2025'; known waves: none yet"):
        dataset.export_rows("2025", "trivsel-eksempel")
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    with pytest.raises(
        NotFound, match="wave '2025' does not run questionnaire 'trivsel'; it runs: trivsel-eksempel"
    ):
        dataset.export_rows("2025", "trivsel")


# ------------------------------------------------------------------------------------------------ frames


def test_analysis_frames_equal_the_csv_path(db: Any, example_units: None) -> None:
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    units_df, responses_df = dataset.analysis_frames("2025", "trivsel-eksempel", baseline="2023")
    expected_units = read_units(EXAMPLE / "units.csv").sort_values("unit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(units_df.sort_values("unit_id").reset_index(drop=True), expected_units)
    q = questionnaires.load_file(EXAMPLE_Q)
    expected = read_responses(EXAMPLE / "responses.csv", q, EXAMPLE_UNITS)
    assert list(responses_df.columns) == list(expected.columns)
    assert (responses_df.dtypes == expected.dtypes).all()
    assert _frame_multiset(responses_df) == _frame_multiset(expected)
    only_2025 = dataset.analysis_frames("2025", "trivsel-eksempel")[1]
    assert set(only_2025["wave"]) == {"2025"} and len(only_2025) == 129


def test_imported_answers_are_in_the_answering_flows_storage_form(db: Any, example_units: None) -> None:
    """An imported row is stored exactly as the answering flow would store it (survey.models docstring)."""
    from survey.services.answering import validate_answers

    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE_Q)
    q = questionnaires.load_file(EXAMPLE_Q)
    stored = list(db.session.scalars(sa.select(Response.answers)))
    assert len(stored) == 256
    for answers in stored:
        assert validate_answers(q, answers) == answers
