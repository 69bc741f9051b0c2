"""Privacy operations and the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from survey.models import Comment, Invitation, Response, Unit, User, Wave, WaveQuestionnaire
from survey.models_audit import AuditEvent, UsedMark
from survey.services import Conflict, NotFound, audit, privacy
from survey.services.answering import Submission, submit


def test_audit_record_is_written_with_the_callers_transaction(db: Any) -> None:
    audit.record("wave.delete", target="2024", detail="x" * 5000)
    db.session.rollback()  # the caller's transaction failed: no event either
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    audit.record("wave.delete", target="2024", detail="x" * 5000)
    db.session.commit()
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.actor, event.action, event.target) == ("cli", "wave.delete", "2024")
    assert len(event.detail) == audit.DETAIL_MAX  # truncated to 2000 characters
    assert event.at is not None


def test_audit_record_refuses_an_empty_action(db: Any) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        audit.record("  ")


# --- privacy operations ----------------------------------------------------------------------------


def _count(db: Any, model: Any, **where: Any) -> int:
    q = sa.select(sa.func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    return int(db.session.scalar(q))


def _answer(example_questionnaire: Any, token: str, comment: str | None = None) -> None:
    free = example_questionnaire.free_text[0].id if example_questionnaire.free_text else None
    comments = {free: comment} if comment and free else {}
    first = example_questionnaire.items[0].id
    submit(token, [Submission(example_questionnaire, {first: 5}, comments)], "da")


@pytest.fixture()
def two_waves(
    db: Any, make_units: Callable[..., None], make_wave: Callable[..., Any], example_questionnaire: Any
) -> tuple[Wave, Wave]:
    from survey.services import invitations, waves

    make_units()
    old = make_wave("2023")
    for t in invitations.create_links("2023", "A", 2, emails=["a@x.dk", "b@x.dk"]):
        _answer(example_questionnaire, t, "Old comment")
    waves.close_wave("2023")
    new = make_wave("2025")
    for t in invitations.create_links("2025", "B", 3):
        _answer(example_questionnaire, t, "New comment")
    return db.session.get(Wave, old.id), db.session.get(Wave, new.id)


def test_close_deletes_the_invitation_addresses(db: Any, two_waves: tuple[Wave, Wave]) -> None:
    old, _ = two_waves
    assert _count(db, Invitation, wave_id=old.id) == 2
    assert db.session.scalars(sa.select(Invitation.email).where(Invitation.wave_id == old.id)).all() == [
        None,
        None,
    ]


def test_delete_wave_deletes_everything_of_that_wave_only(
    db: Any, two_waves: tuple[Wave, Wave], example_questionnaire: Any
) -> None:
    old_id, new_id = two_waves[0].id, two_waves[1].id
    has_comments = bool(example_questionnaire.free_text)
    deleted = privacy.delete_wave("2023")
    assert deleted.counts["responses"] == 2 and deleted.counts["invitations"] == 2
    assert deleted.counts["waves"] == 1 and deleted.counts["wave_questionnaires"] == 1
    for model in (Response, Comment, Invitation, WaveQuestionnaire):
        assert _count(db, model, wave_id=old_id) == 0
    assert _count(db, Response, wave_id=new_id) == 3
    assert _count(db, Comment, wave_id=new_id) == (3 if has_comments else 0)
    assert db.session.scalar(sa.select(Wave.label)) == "2025"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "wave.delete")).one()
    assert event.target == "2023" and "2 responses" in (event.detail or "")


def test_delete_wave_refuses_a_baseline_and_an_unknown_wave(db: Any, two_waves: tuple[Wave, Wave]) -> None:
    old, new = two_waves
    new.baseline_id = old.id
    db.session.commit()
    with pytest.raises(Conflict, match="baseline of wave"):
        privacy.delete_wave("2023")
    assert _count(db, Response, wave_id=old.id) == 2  # nothing deleted
    with pytest.raises(NotFound):
        privacy.delete_wave("1999")


def test_delete_wave_also_deletes_used_marks(
    app: Any,
    db: Any,
    make_units: Callable[..., None],
    make_wave: Callable[..., Any],
    example_questionnaire: Any,
) -> None:
    from survey.services import invitations

    make_units()
    make_wave()
    _answer(example_questionnaire, invitations.create_links("2025", "A", 1)[0])
    assert _count(db, UsedMark) == 1
    assert privacy.delete_wave("2025").counts["used_marks"] == 1
    assert _count(db, UsedMark) == 0


def test_delete_all_data_keeps_users_units_and_the_audit_log(db: Any, two_waves: tuple[Wave, Wave]) -> None:
    from survey.models import Publication
    from survey.services.users import create_user

    create_user("hr@x.dk", "hr", "a-long-password-123")
    events = _count(db, AuditEvent)  # the closed wave's publication was audited ("report.publish")
    assert _count(db, Publication) >= 1
    privacy.delete_all_data()
    for model in (Response, Comment, Invitation, WaveQuestionnaire, Wave, Publication):
        assert _count(db, model) == 0
    assert _count(db, Unit) == 3 and _count(db, User) == 1
    assert _count(db, AuditEvent) == events + 1


def test_retention_deletes_only_closed_waves_older_than_the_period(
    db: Any, two_waves: tuple[Wave, Wave]
) -> None:
    old, new = two_waves
    old.closes_on = dt.date(2020, 3, 1)
    new.opens_on = dt.date(2020, 1, 1)  # open: never deleted by retention, however old
    db.session.commit()
    # 2025-03-01 minus 5 years = 2020-03-01: a wave closed that day is not yet older than 5 years
    assert privacy.expired_waves(5, today=dt.date(2025, 3, 1)) == []
    assert [w.label for w in privacy.expired_waves(5, today=dt.date(2025, 3, 2))] == ["2023"]
    done = privacy.apply_retention(5, today=dt.date(2025, 3, 2))
    assert [label for label, _ in done] == ["2023"]
    assert db.session.scalars(sa.select(Wave.label)).all() == ["2025"]


@pytest.mark.parametrize("value", ["0", "-1", "five", "", True, 2.5])
def test_retention_years_must_be_a_positive_whole_number(value: Any) -> None:
    from survey.services import ServiceError

    if value == 2.5:  # int("2.5") fails: not a whole number
        value = "2.5"
    with pytest.raises(ServiceError, match="TRIVSEL_RETENTION_YEARS"):
        privacy.parse_retention_years(value)
    assert privacy.parse_retention_years(" 5 ") == 5


def test_privacy_commands(runner: Any, db: Any, two_waves: tuple[Wave, Wave]) -> None:
    old, _ = two_waves
    old.closes_on = dt.date(2001, 1, 1)
    db.session.commit()
    r = runner.invoke(args=["privacy", "retention"])
    assert r.exit_code == 1 and "TRIVSEL_RETENTION_YEARS" in r.output
    r = runner.invoke(args=["privacy", "retention", "--years", "5", "--dry-run"])
    assert r.exit_code == 0 and "2023" in r.output
    assert _count(db, Wave) == 2
    r = runner.invoke(args=["privacy", "delete-wave", "2025"], input="n\n")
    assert r.exit_code == 1 and "nothing was deleted" in r.output
    r = runner.invoke(args=["privacy", "retention", "--years", "5"])
    assert r.exit_code == 0 and "1 wave(s) deleted" in r.output, r.output
    r = runner.invoke(args=["privacy", "delete-wave", "nope", "--yes"])
    assert r.exit_code == 1 and "nope" in r.output
    r = runner.invoke(args=["privacy", "delete-all", "--yes"])
    assert r.exit_code == 0 and _count(db, Wave) == 0
