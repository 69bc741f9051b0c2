"""HR runs a wave through the web pages: create, import units and invitations, open, send, code slips,
live participation, close; and imports an earlier vendor's wave. Error paths show a message and change
nothing."""

from __future__ import annotations

import email
import io
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import EXAMPLE
from tests.survey.respond_flow import Respondent
from tests.survey.staff_helpers import post, signed_in

QID = "offensive_behaviour"  # a shipped questionnaire


def upload(text: str, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(text.encode("utf-8")), name


@pytest.fixture()
def hr(client: Any, db: Any) -> Any:
    return signed_in(client, "hr")


def outbox(app: Any) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def link_of(msg: Any) -> str:
    body = msg.get_body(("plain",)).get_content()
    links = set(re.findall(r"http://localhost/r/([A-Za-z0-9_-]+)", body))
    assert len(links) == 1, body
    return links.pop()


def create_wave(hr: Any, label: str = "2025", **extra: Any) -> Any:
    from survey.models import Wave

    r = post(hr, "/hr/waves", {"label": label, "questionnaires": [QID], **extra}, page="/hr/waves")
    assert r.status_code == 303, r.get_data(as_text=True)
    from survey.extensions import db

    return db.session.scalar(sa.select(Wave).where(Wave.label == label))


def import_units(hr: Any) -> None:
    units = (EXAMPLE / "units.csv").read_text(encoding="utf-8")
    r = post(
        hr,
        "/hr/units",
        {"file": upload(units, "units.csv")},
        page="/hr/units",
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, r.get_data(as_text=True)


INVITES = "email,unit_id\nana@example.dk,BIB\nbo@example.dk,BIB\ncarl@example.dk,MUS\n"


def test_wave_lifecycle_through_the_web(app: Any, hr: Any, db: Any) -> None:
    from survey.models import Invitation, Response, Unit

    # 1. units and a draft wave
    import_units(hr)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 14  # rows of units.csv
    wave = create_wave(hr, opens_on="2025-03-01", closes_on="2025-03-31")
    assert wave.status == "draft" and [wq.questionnaire_id for wq in wave.questionnaires] == [QID]
    page = f"/hr/waves/{wave.id}"

    # 2. an invitation list with an error on line 3 changes nothing
    bad = "email,unit_id\nana@example.dk,BIB\nbo@example.dk,NOPE\n"
    r = post(
        hr,
        f"{page}/invitations",
        {"file": upload(bad, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "invitations.csv, line 3, column &#39;unit_id&#39;, value &#39;NOPE&#39;" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0

    # 3. the valid list
    r = post(
        hr,
        f"{page}/invitations",
        {"confirm_small": "yes", "file": upload(INVITES, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 3

    # sending before the wave is open is refused
    r = post(hr, f"{page}/send", {"kind": "invitation"}, page=page)
    assert r.status_code == 422 and "open it before sending" in r.get_data(as_text=True)
    assert outbox(app) == []

    # 4. open and send: one .eml per address, each with a working personal link
    assert post(hr, f"{page}/open", page=page).status_code == 303
    db.session.refresh(wave)
    assert wave.status == "open"
    assert post(hr, f"{page}/send", {"kind": "invitation"}, page=page).status_code == 303
    sent = outbox(app)
    assert sorted(m["To"] for m in sent) == ["ana@example.dk", "bo@example.dk", "carl@example.dk"]
    links = {m["To"]: link_of(m) for m in sent}
    assert len(set(links.values())) == 3

    # 5. Ana answers through the respondent pages with her link
    respondent = Respondent(app.test_client())
    respondent.open_link(links["ana@example.dk"])
    respondent.post("start")
    for _ in range(30):
        if 'name="action" value="submit"' in respondent.html:
            break
        respondent.post("next")
    respondent.post("submit")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1

    # 6. live participation: BIB 1 of 2 (50 %), MUS 0 of 1 (0 %), all 1 of 3 (33 %)
    live = hr.get(f"{page}/participation")
    assert live.headers["Refresh"] == "60"
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+) %</td></tr>",
        live.get_data(as_text=True),
    )
    # units by name (never the internal id)
    assert rows == [("Bibliotekerne", "2", "1", "50"), ("Museerne", "1", "0", "0")]
    assert "<td>3</td><td>1</td><td>33 %</td>" in live.get_data(as_text=True)  # 100 * 1/3 = 33.3
    assert "ana@example.dk" not in live.get_data(as_text=True)

    # 7. reminders skip Ana's used invitation; the reminder links work, the first ones are replaced
    before = {p.name for p in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")}
    assert post(hr, f"{page}/send", {"kind": "reminder"}, page=page).status_code == 303
    reminders = [m for m in outbox(app) if m["Subject"].startswith("Påmindelse")]
    assert sorted(m["To"] for m in reminders) == ["bo@example.dk", "carl@example.dk"]
    assert len(list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))) == len(before) + 2
    fresh = link_of(next(m for m in reminders if m["To"] == "bo@example.dk"))
    bo = app.test_client()
    assert bo.get(f"/r/{fresh}").status_code == 303  # the reminder's link opens the survey
    assert app.test_client().get(f"/r/{links['bo@example.dk']}").status_code != 303  # replaced

    # 8. close: the e-mail addresses are gone
    r = post(hr, f"{page}/close", page=page)
    assert r.status_code == 422 and db.session.get(type(wave), wave.id).status == "open"  # not confirmed
    assert post(hr, f"{page}/close", {"confirm": "yes"}, page=page).status_code == 303
    db.session.expire_all()
    assert db.session.get(type(wave), wave.id).status == "closed"
    assert db.session.scalars(sa.select(Invitation.email).where(Invitation.email.is_not(None))).all() == []

    # the waves list shows the status and the rate
    listing = hr.get("/hr/waves").get_data(as_text=True)
    assert re.search(
        r">2025</a></td>\s*<td>\s*(?:lukket|closed)\s*</td>\s*<td>3</td>\s*<td>1</td>\s*<td>33 %</td>",
        listing,
    )


def test_no_link_or_token_in_the_log(app: Any, hr: Any, db: Any, caplog: pytest.LogCaptureFixture) -> None:
    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    post(
        hr,
        f"{page}/invitations",
        {"confirm_small": "yes", "file": upload(INVITES, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    post(hr, f"{page}/open", page=page)
    with caplog.at_level("DEBUG"):
        post(hr, f"{page}/send", {"kind": "invitation"}, page=page)
    tokens = [link_of(m) for m in outbox(app)]
    assert len(tokens) == 3
    assert "mail: 3 message(s) written to the outbox" in caplog.text
    assert not any(t in caplog.text for t in tokens)


@pytest.mark.parametrize(
    "text,message",
    [
        ("email,unit\nana@example.dk,BIB\n", "unit_id"),
        ("email,unit_id\nnot-an-address,BIB\n", "line 2, column &#39;email&#39;"),
        ("email,unit_id\nana@example.dk,BIB\nANA@example.dk,MUS\n", "also on line 2"),
        ("email,unit_id\n", "the file has no rows"),
    ],
)
def test_invalid_invitation_lists_change_nothing(hr: Any, db: Any, text: str, message: str) -> None:
    from survey.models import Invitation

    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    r = post(
        hr,
        f"{page}/invitations",
        {"file": upload(text, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_an_address_invited_twice_to_a_wave_is_refused(hr: Any, db: Any) -> None:
    from survey.models import Invitation

    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    post(
        hr,
        f"{page}/invitations",
        {"confirm_small": "yes", "file": upload(INVITES, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    again = "email,unit_id\nnew@example.dk,BIB\nbo@example.dk,BIB\n"
    r = post(
        hr,
        f"{page}/invitations",
        {"confirm_small": "yes", "file": upload(again, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "already have an invitation" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 3


def test_missing_upload_is_reported(hr: Any, db: Any) -> None:
    r = post(hr, "/hr/units", {}, page="/hr/units", content_type="multipart/form-data")
    assert r.status_code == 422 and "choose a file" in r.get_data(as_text=True)


def test_invalid_units_file_changes_nothing(hr: Any, db: Any) -> None:
    from survey.models import Unit

    bad = "unit_id,parent_id,name,headcount\nU,,Org,1\nA,U,A,many\n"
    r = post(
        hr,
        "/hr/units",
        {"file": upload(bad, "units.csv")},
        page="/hr/units",
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "units.csv, line 3" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0


@pytest.mark.parametrize(
    "form,message",
    [
        ({"label": "", "questionnaires": [QID]}, "Write a label for the wave"),
        ({"label": "2025"}, "Choose at least one questionnaire"),
        ({"label": "2025", "questionnaires": ["nope"]}, "choose questionnaires from the list"),
        ({"label": "2025", "questionnaires": [QID], "opens_on": "1 March"}, "is not a date"),
        (
            {"label": "2025", "questionnaires": [QID], "opens_on": "2025-03-02", "closes_on": "2025-03-01"},
            "is before",
        ),
        ({"label": "2025", "questionnaires": [QID], "baseline": "1999"}, "no wave &#39;1999&#39;"),
    ],
)
def test_create_wave_errors_change_nothing(hr: Any, db: Any, form: dict[str, Any], message: str) -> None:
    from survey.models import Wave

    r = post(hr, "/hr/waves", form, page="/hr/waves")
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wave)) == 0


def test_wave_with_a_baseline(hr: Any, db: Any) -> None:
    first = create_wave(hr, "2024")
    second = create_wave(hr, "2025", baseline="2024")
    assert second.baseline_id == first.id


def test_open_twice_and_close_a_draft_are_refused(hr: Any, db: Any) -> None:
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    r = post(hr, f"{page}/close", {"confirm": "yes"}, page=page)
    assert r.status_code == 422 and "only an open wave can be closed" in r.get_data(as_text=True)
    post(hr, f"{page}/open", page=page)
    r = post(hr, f"{page}/open", page=page)
    assert r.status_code == 422 and "only a draft wave can be opened" in r.get_data(as_text=True)


def test_unknown_wave_is_404(hr: Any, db: Any) -> None:
    assert hr.get("/hr/waves/999").status_code == 404


# --- code slips ---------------------------------------------------------------------------------------


def pdf_texts(pdf: bytes) -> bytes:
    out = b""
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(m.group(1))
        except zlib.error:
            continue
    return out


def test_code_slips_pdf_has_one_page_per_code_and_the_codes_work(app: Any, hr: Any, db: Any) -> None:
    from survey.models import Invitation

    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    post(hr, f"{page}/open", page=page)
    r = post(hr, f"{page}/codes", {"unit_id": "MUS", "count": "4", "confirm_small": "yes"}, page=page)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Cache-Control"] == "no-store"
    pdf = r.data
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 4
    assert len(re.findall(rb"/Subtype /Image", pdf)) == 4  # one QR code per slip
    text = pdf_texts(pdf)
    codes = re.findall(rb"\(([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\) Tj", text)
    assert len(set(codes)) == 4
    assert b"anonym" in text and b"anonymous" in text  # Danish and English
    rows = db.session.execute(sa.select(Invitation.unit_id, Invitation.kind)).all()
    assert sorted(rows) == [("MUS", "code")] * 4
    # a printed code opens the survey
    respondent = Respondent(app.test_client())
    respondent.enter_code(codes[0].decode().lower())
    assert 'name="action" value="start"' in respondent.html
    # the QR code's link (/r/ + the code without hyphens) opens the survey too
    assert app.test_client().get("/r/" + codes[1].decode().replace("-", "")).status_code == 303


@pytest.mark.parametrize(
    "form,message",
    [
        ({"unit_id": "MUS", "count": "0"}, "from 1 to 1000"),
        ({"unit_id": "MUS", "count": "ten"}, "from 1 to 1000"),
        ({"unit_id": "NOPE", "count": "3"}, "choose a unit"),
    ],
)
def test_code_slip_errors_make_no_codes(hr: Any, db: Any, form: dict[str, str], message: str) -> None:
    from survey.models import Invitation

    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    r = post(hr, f"{page}/codes", form, page=page)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


# --- an earlier vendor's wave ---------------------------------------------------------------------------


def vendor_csv(rows: list[tuple[str, str]]) -> str:
    import questionnaires
    from analysis.inputs import response_columns

    q = questionnaires.load(QID)
    cols = response_columns(q)
    item = q.themes[0].items[0]
    scale = q.scales[item.scale]
    lines = [",".join(cols)]
    for wave, unit in rows:
        cells = {c: "" for c in cols}
        cells.update({"wave": wave, "unit_id": unit, item.id: str(scale.min)})
        lines.append(",".join(cells[c] for c in cols))
    return "\n".join(lines) + "\n"


def test_vendor_import_through_the_web(hr: Any, db: Any) -> None:
    from survey.models import Response, Wave

    import_units(hr)
    text = vendor_csv([("2022", "BIB"), ("2022", "MUS"), ("2022", "BIB")])
    r = post(
        hr,
        "/hr/import",
        {"questionnaire": QID, "file": upload(text, "responses.csv")},
        page="/hr/import",
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == "2022"))
    assert wave.status == "closed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 3


def _waves_row(hr: Any, label: str) -> list[str]:
    """The cells of a wave's row in the waves list, tags removed."""
    html = hr.get("/hr/waves").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<td><a [^>]*>{label}</a></td>(.*?)</tr>", html, re.S)
    assert row is not None, html
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_waves_list_counts_an_imported_waves_responses(hr: Any, db: Any) -> None:
    """An imported wave has responses but no invitations: the list shows its responses and the rate
    against today's headcount (148 in the example tree), at wave level only."""
    from survey.models import Unit

    import_units(hr)
    text = vendor_csv([("2022", "BIB"), ("2022", "MUS"), ("2022", "BIB")])
    r = post(hr, "/hr/import", {"questionnaire": QID, "file": upload(text, "responses.csv")},
             page="/hr/import", content_type="multipart/form-data")
    assert r.status_code == 303
    cells = _waves_row(hr, "2022")
    assert cells[1:] == ["imported: no invitations", "3", "2 % of today's headcount"]  # 3 / 148
    html = hr.get("/hr/waves").get_data(as_text=True)
    assert "BIB" not in html and "MUS" not in html  # nothing per unit
    # an unknown headcount anywhere in the tree: no rate, the count stays
    db.session.execute(sa.update(Unit).where(Unit.unit_id == "FVE").values(headcount=None))
    db.session.commit()
    assert _waves_row(hr, "2022")[1:] == ["imported: no invitations", "3", "–"]


def test_waves_list_in_danish_for_an_imported_wave(app: Any, db: Any, client: Any) -> None:
    hr_da = signed_in(client, "hr", lang="da")
    import_units(hr_da)
    text = vendor_csv([("2022", "BIB")] * 4)
    r = post(hr_da, "/hr/import", {"questionnaire": QID, "file": upload(text, "responses.csv")},
             page="/hr/import", content_type="multipart/form-data")
    assert r.status_code == 303
    assert _waves_row(hr_da, "2022")[1:] == ["importeret: ingen invitationer", "4",
                                             "3 % af det nuværende antal ansatte"]  # 4 / 148


def test_vendor_import_error_changes_nothing(hr: Any, db: Any) -> None:
    from survey.models import Response, Wave

    import_units(hr)
    text = vendor_csv([("2022", "BIB"), ("2022", "NOPE")])
    r = post(
        hr,
        "/hr/import",
        {"questionnaire": QID, "file": upload(text, "responses.csv")},
        page="/hr/import",
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "responses.csv, line 3" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wave)) == 0
    r = post(
        hr,
        "/hr/import",
        {"questionnaire": "nope", "file": upload(text, "responses.csv")},
        page="/hr/import",
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "choose a questionnaire" in r.get_data(as_text=True)


def test_keyed_used_marks_count_and_reminders_go_only_to_unused_invitations(
    app: Any, hr: Any, db: Any
) -> None:
    """A submit leaves the invitation row untouched and writes a keyed used-mark; participation
    counts the marks; a reminder gives a new link to the unused invitations only, and the used
    invitation's link stays refused."""
    from survey.models import Invitation

    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    post(
        hr,
        f"{page}/invitations",
        {"confirm_small": "yes", "file": upload(INVITES, "invitations.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    post(hr, f"{page}/open", page=page)
    assert post(hr, f"{page}/send", {"kind": "invitation"}, page=page).status_code == 303
    links = {m["To"]: link_of(m) for m in outbox(app)}
    rows_before = db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.email)).all()
    respondent = Respondent(app.test_client())
    respondent.open_link(links["carl@example.dk"])
    respondent.post("start")
    for _ in range(30):
        if 'name="action" value="submit"' in respondent.html:
            break
        respondent.post("next")
    respondent.post("submit")
    db.session.expire_all()
    rows_after = db.session.execute(sa.select(Invitation.id, Invitation.token_hash, Invitation.email)).all()
    assert sorted(rows_after) == sorted(rows_before)  # the submit wrote no invitation row
    live = hr.get(f"{page}/participation").get_data(as_text=True)
    assert re.search(r"<td>Museerne</td><td>1</td><td>1</td><td>100 %</td>", live)
    assert re.search(r"<td>Bibliotekerne</td><td>2</td><td>0</td><td>0 %</td>", live)
    hashes = dict(db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all())
    assert post(hr, f"{page}/send", {"kind": "reminder"}, page=page).status_code == 303
    mails = outbox(app)
    reminders = [m for m in mails if link_of(m) not in set(links.values())]
    assert len(mails) == 5
    assert sorted(m["To"] for m in reminders) == sorted(set(links) - {"carl@example.dk"})
    db.session.expire_all()
    now = dict(db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all())
    assert now["carl@example.dk"] == hashes["carl@example.dk"]  # the used invitation kept its link
    assert all(now[a] != hashes[a] for a in set(links) - {"carl@example.dk"})  # new links for the rest
    again = Respondent(app.test_client())
    again.open_link(links["carl@example.dk"])
    assert again.status == 404  # refused as an unknown link (threat 17: no "already answered" oracle)


def test_wave_pages_are_audited_by_the_services(hr: Any, db: Any) -> None:
    """Each write of the wave pages leaves the service's audit event with the signed-in user as actor, and a
    refused one (a bad invitation list, opening twice) leaves none."""
    from survey.models import User
    from survey.models_audit import AuditEvent

    hr_id = str(db.session.scalar(sa.select(User.id).where(User.email == "hr@example.dk")))
    import_units(hr)
    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    bad = "email,unit_id\nana@example.dk,NOPE\n"
    for text in (bad, INVITES):
        post(hr, f"{page}/invitations", {"confirm_small": "yes", "file": upload(text, "invitations.csv")},
             page=page, content_type="multipart/form-data")
    for _ in range(2):
        post(hr, f"{page}/open", {}, page=page)
    post(hr, f"{page}/close", {"confirm": "yes"}, page=page)
    db.session.remove()
    events = db.session.execute(
        sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target)
        .where(AuditEvent.actor == hr_id, AuditEvent.action.not_like("auth.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        (hr_id, "units.import", "units.csv"),
        (hr_id, "wave.create", "2025"),
        (hr_id, "invitations.import", "2025"),
        (hr_id, "wave.open", "2025"),
        (hr_id, "wave.close", "2025"),
    ]
