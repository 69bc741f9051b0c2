"""Services: every write is one transaction that either happens completely or not at all."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import questionnaires
from analysis.csvio import InputError
from survey.models import Comment, Invitation, Response, Unit, User, Wave
from survey.models_audit import UsedMark
from survey.services import Conflict, NotFound, ServiceError, answering, invitations, units, users, waves

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


def _count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _tree(db: Any) -> dict[str, tuple[str | None, str, int | None]]:
    return {u.unit_id: (u.parent_id, u.name, u.headcount) for u in db.session.scalars(sa.select(Unit))}


# --- units -------------------------------------------------------------------------------------------


def test_import_example_units(db: Any) -> None:
    result = units.import_units(EXAMPLE / "units.csv")
    assert (result.added, result.updated, result.removed) == (14, 0, 0)  # units.csv: header + 14 units
    tree = _tree(db)
    assert tree["KUF"] == (None, "Kultur- og Fritidsforvaltningen", 0)
    assert tree["HOVB"] == ("BIB", "Hovedbiblioteket", 30)
    # units.csv: BIB -> HOVB, FIL; FIL -> FNO, FSY, FVE
    assert units.subtree_ids("BIB") == ["BIB", "FIL", "FNO", "FSY", "FVE", "HOVB"]
    # importing the same file again changes nothing
    assert str(units.import_units(EXAMPLE / "units.csv")) == "0 added, 0 updated, 0 removed"


def test_replace_moves_renames_adds_and_removes(db: Any, make_units: Any) -> None:
    make_units()  # U over A, B
    result = units.replace_units(
        [
            units.UnitRow("U", None, "Organisation", 2),
            units.UnitRow("C", "U", "Ny afdeling", None),
            units.UnitRow("A", "C", "Afdeling A (flyttet)", 11),
        ]
    )
    assert (result.added, result.updated, result.removed) == (1, 1, 1)
    assert _tree(db) == {
        "U": (None, "Organisation", 2),
        "C": ("U", "Ny afdeling", None),
        "A": ("C", "Afdeling A (flyttet)", 11),
    }


def test_import_refuses_to_orphan_units_with_data(db: Any, make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave("2025", "open")
    invitations.create_links("2025", "B", 1)
    before = _tree(db)
    with pytest.raises(Conflict, match="leaves out B, which still has invitations"):
        units.replace_units([units.UnitRow("U", None, "Org", 1), units.UnitRow("A", "U", "A", 1)])
    assert _tree(db) == before  # nothing changed


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "empty"),
        ([("U", None, "a", 1), ("V", None, "b", 1)], "exactly one unit must have an empty parent_id"),
        ([("U", None, "a", 1), ("A", "X", "b", 1)], "parent_id 'X' is not a unit_id"),
        ([("U", None, "a", 1), ("A", "B", "a", 1), ("B", "A", "b", 1)], "cycle"),
        ([("U", None, "a", 1), ("U", None, "b", 1)], "duplicate unit_id: U"),
        ([("U", None, "a", -1)], "headcount must be 0 or more"),
    ],
)
def test_invalid_trees_change_nothing(db: Any, make_units: Any, rows: list[Any], message: str) -> None:
    make_units()
    before = _tree(db)
    with pytest.raises(ServiceError, match=message):
        units.replace_units([units.UnitRow(*r) for r in rows])
    assert _tree(db) == before


def test_invalid_units_file_names_line_and_changes_nothing(db: Any, make_units: Any, tmp_path: Path) -> None:
    make_units()
    before = _tree(db)
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id,parent_id,name,headcount\nU,,Org,1\nA,U,A,minus\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        units.import_units(bad)
    assert err.value.line == 3 and err.value.column == "headcount"
    assert _tree(db) == before


# --- waves -------------------------------------------------------------------------------------------


def test_wave_stores_the_definition_it_runs_with(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    shutil.copy(EXAMPLE / "questionnaire.yaml", path)
    wave = waves.create_wave("2024", [path])
    assert wave.status == "draft"
    # the YAML changes afterwards (a theme title is reworded, the version bumped)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("Klarhed i opgaverne", "Klare opgaver").replace("version: 3", "version: 4"), "utf-8"
    )
    assert questionnaires.load_file(path).themes[0].title.get("da") == "Klare opgaver"
    db.session.expire_all()
    (q,) = waves.wave_questionnaires(waves.get_wave("2024"))
    assert (q.id, q.version, q.themes[0].title.get("da")) == ("trivsel-eksempel", 3, "Klarhed i opgaverne")
    assert q == questionnaires.load_file(EXAMPLE / "questionnaire.yaml")


def test_wave_lifecycle_and_refusals(db: Any, make_units: Any, example_questionnaire: Any) -> None:
    make_units()
    waves.create_wave("2024", [example_questionnaire])
    with pytest.raises(Conflict, match="already exists"):
        waves.create_wave("2024", [example_questionnaire])
    with pytest.raises(NotFound, match="no wave '1999'; known waves: 2024"):
        waves.open_wave("1999")
    with pytest.raises(Conflict, match="only an open wave can be closed"):
        waves.close_wave("2024")
    with pytest.raises(ServiceError, match="listed twice"):
        waves.create_wave("2025", [example_questionnaire, example_questionnaire])
    with pytest.raises(ServiceError, match="no shipped questionnaire"):
        waves.create_wave("2025", ["no-such-questionnaire"])
    waves.create_wave("2025", [example_questionnaire], baseline="2024")
    assert waves.get_wave("2025").baseline is not None and waves.get_wave("2025").baseline.label == "2024"
    waves.open_wave("2025")
    with pytest.raises(Conflict, match="only a draft wave can be opened"):
        waves.open_wave("2025")
    invitations.create_links("2025", "A", emails=["a@example.dk", "b@example.dk"])
    assert sorted(db.session.scalars(sa.select(Invitation.email))) == ["a@example.dk", "b@example.dk"]
    waves.close_wave("2025")
    assert list(db.session.scalars(sa.select(Invitation.email))) == [None, None]  # deleted on close
    with pytest.raises(Conflict, match="closed; no new invitations"):
        invitations.create_links("2025", "A", 1)
    with pytest.raises(Conflict, match="only a draft wave can be opened"):
        waves.open_wave("2025")  # never back


# --- invitations ----------------------------------------------------------------------------------------


def test_links_store_only_hashes(db: Any, make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave()
    tokens = invitations.create_links("2025", "A", 3)
    assert len(set(tokens)) == 3
    for token in tokens:
        assert len(token) == 32  # token_urlsafe(24): 24 random bytes = 192 bits, base64 = 32 characters
    stored = set(db.session.scalars(sa.select(Invitation.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}  # independent hashlib call
    assert not any(t in h for t in tokens for h in stored)
    with pytest.raises(NotFound, match="no unit 'Z'"):
        invitations.create_links("2025", "Z", 1)
    with pytest.raises(ServiceError, match="count must be between"):
        invitations.create_links("2025", "A", 0)


def test_codes_alphabet_format_and_entry(db: Any, make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave()
    codes = invitations.create_codes("2025", "B", 50)
    assert len(set(codes)) == 50
    alphabet = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")  # Crockford base32: no I, L, O, U
    assert len(alphabet) == 32  # 5 bits a character, 12 characters = 60 bits
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= alphabet
    code = codes[0]
    plain = code.replace("-", "")
    assert invitations.normalise_code(code.lower()) == plain
    assert invitations.normalise_code(f" {plain[:6]} {plain[6:]} ") == plain
    assert invitations.normalise_code("0O1IL-" + "2" * 7) == "00111" + "2" * 7  # look-alikes read as digits
    assert invitations.normalise_code("ABCD-EFGH-JKU0") is None  # U is not in the alphabet
    assert invitations.normalise_code("ABCD-EFGH") is None
    assert answering.lookup(plain).state is answering.TokenState.OK
    assert dict(invitations.counts("2025")) == {"B": (50, 0)}


# --- answering ------------------------------------------------------------------------------------------


def test_validate_answers(example_questionnaire: Any) -> None:
    q = example_questionnaire
    ok = answering.validate_answers(
        q,
        {
            "KLAR1": "7",
            "KLAR2": 9,
            "KLAR3": "",
            "BUL_Q": 3,
            "BUL_SRC": ["partner", "manager"],
            "BUL_HANDLED": "partly",
            "THR_Q": 0,
            "THR_SRC": ["citizen"],
            "THR_HANDLED": "no",
        },
    )
    assert ok == {
        "KLAR1": 7,
        "KLAR2": 9,
        "BUL_Q": 3,
        "BUL_SRC": ["manager", "partner"],
        "BUL_HANDLED": "partly",
        "THR_Q": 0,
    }
    with pytest.raises(answering.AnswerError) as err:
        answering.validate_answers(q, {"KLAR1": 8, "KLAR2": 0, "BUL_Q": 5, "BUL_SRC": ["boss"], "NOPE": 1})
    assert set(err.value.errors) == {"KLAR1", "KLAR2", "BUL_Q", "BUL_SRC", "NOPE"}
    assert "allowed: 1-7 or 9" in err.value.errors["KLAR1"]


def test_submit_refusals_store_nothing(
    db: Any, make_units: Any, make_wave: Any, example_questionnaire: Any
) -> None:
    make_units()
    make_wave("2025", "open")
    token = invitations.create_links("2025", "A", 1)[0]
    sub = answering.Submission(example_questionnaire, {"KLAR1": 4}, {})
    with pytest.raises(answering.SubmitRefused) as err:
        answering.submit("unknown", [sub], "da")
    assert err.value.state is answering.TokenState.UNKNOWN
    with pytest.raises(answering.AnswerError):
        answering.submit(token, [answering.Submission(example_questionnaire, {"KLAR1": 99}, {})], "da")
    with pytest.raises(ServiceError, match="language"):
        answering.submit(token, [sub], "de")
    other = questionnaires.load("trivsel")
    with pytest.raises(ServiceError, match="this wave runs trivsel-eksempel; answers were given for trivsel"):
        answering.submit(token, [answering.Submission(other, {}, {})], "da")
    with pytest.raises(ServiceError, match="each of the wave's questionnaires once"):
        answering.submit(token, [sub, sub], "da")
    assert _count(db, Response) == 0 and _count(db, UsedMark) == 0
    assert answering.submit(token, [sub], "da") == 1
    with pytest.raises(answering.SubmitRefused) as err:
        answering.submit(token, [sub], "da")
    assert err.value.state is answering.TokenState.USED
    assert _count(db, Response) == 1 and _count(db, Comment) == 0


def test_concurrent_submits_store_exactly_one(
    app: Any, db: Any, make_units: Any, make_wave: Any, example_questionnaire: Any
) -> None:
    """Eight threads submit the same token at once (each with its own app context and connection)."""
    make_units()
    make_wave("2025", "open")
    token = invitations.create_links("2025", "A", 1)[0]
    db.session.remove()
    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        with app.app_context():
            sub = answering.Submission(example_questionnaire, {"KLAR1": 1 + i % 7}, {})
            barrier.wait()
            try:
                answering.submit(token, [sub], "da")
                result = "stored"
            except answering.SubmitRefused as exc:
                result = exc.state.value
            except Exception as exc:  # noqa: BLE001 - a lock error would be a failure to report
                result = f"error: {exc!r}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["stored"] + ["used"] * (n - 1)
    assert _count(db, Response) == 1


def test_concurrent_web_submits_store_exactly_one(app: Any, db: Any, make_units: Any, make_wave: Any) -> None:
    """Two browsers with the same link press Send at the same moment: one thanks page, one refusal."""
    from respond_flow import Respondent

    make_units()
    make_wave("2025", "open")
    token = invitations.create_links("2025", "A", 1)[0]
    db.session.remove()
    browsers = []
    for _ in range(2):
        r = Respondent(app.test_client())
        r.open_link(token)
        r.post("start")
        r.post("next", {"q0-KLAR1": "6"})
        for _ in range(6):
            r.post("next")
        browsers.append(r)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def press_send(r: Respondent) -> None:
        with app.app_context():  # like a server thread: a context of its own
            barrier.wait()
            statuses.append(r.post("submit").status_code)

    threads = [threading.Thread(target=press_send, args=(r,)) for r in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409]
    assert _count(db, Response) == 1


# --- users ------------------------------------------------------------------------------------------------


def test_users(db: Any, make_units: Any) -> None:
    make_units()
    user = users.create_user(" HR@Example.dk ", "hr", "correct horse battery")
    assert user.email == "hr@example.dk" and user.password_hash != "correct horse battery"
    assert users.authenticate("hr@example.dk", "correct horse battery") is not None
    assert users.authenticate("hr@example.dk", "wrong password!") is None
    users.create_user("leder@example.dk", "manager", "another long password", unit_id="A")
    for kwargs, message in [
        ({"email": "hr@example.dk", "role": "hr"}, "already exists"),
        ({"email": "x@example.dk", "role": "boss"}, "role must be one of"),
        ({"email": "x@example.dk", "role": "manager"}, "a manager needs --unit"),
        ({"email": "x@example.dk", "role": "manager", "unit_id": "Z"}, "no unit 'Z'"),
        ({"email": "x@example.dk", "role": "hr", "unit_id": "A"}, "only managers have a unit"),
        ({"email": "not-an-address", "role": "hr"}, "not an e-mail address"),
    ]:
        with pytest.raises(ServiceError, match=message):
            users.create_user(password="long enough password", **kwargs)
    with pytest.raises(ServiceError, match="at least 12 characters"):
        users.create_user("y@example.dk", "hr", "short")
    users.set_active("hr@example.dk", False)
    assert users.authenticate("hr@example.dk", "correct horse battery") is None
    assert _count(db, User) == 2
    assert _count(db, Wave) == 0
