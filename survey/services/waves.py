"""Waves: create (draft), open, close. Status moves draft -> open -> closed and never back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import questionnaires
from questionnaires import Questionnaire, QuestionnaireError
from survey.extensions import db
from survey.models import Invitation, Wave, WaveQuestionnaire
from survey.services import Conflict, NotFound, ServiceError, audit


def get_wave(label: str) -> Wave:
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == label))
    if wave is None:
        known = ", ".join(db.session.scalars(sa.select(Wave.label).order_by(Wave.label))) or "none yet"
        raise NotFound("no wave '%(label)s'; known waves: %(known)s", label=label, known=known)
    return wave


def _resolve(q: Questionnaire | str | Path) -> Questionnaire:
    if isinstance(q, Questionnaire):
        return q
    try:
        return questionnaires.load(q)
    except QuestionnaireError as exc:
        raise ServiceError(str(exc)) from None


def snapshot(q: Questionnaire) -> dict[str, Any]:
    """The definition data a wave stores (plain JSON types), checked to rebuild the same questionnaire."""
    data = json.loads(json.dumps(q.data, default=str))
    questionnaires.from_dict(data, f"{q.id} snapshot")
    return data


def create_wave(
    label: str,
    questionnaire_list: Sequence[Questionnaire | str | Path],
    *,
    opens_on: dt.date | None = None,
    closes_on: dt.date | None = None,
    baseline: str | None = None,
) -> Wave:
    """Create a draft wave running ``questionnaire_list`` (ids, paths or loaded), in that order.

    Each questionnaire's validated definition is stored as the wave's snapshot. Audited (``wave.create``).
    """
    label = label.strip()
    if not label:
        raise ServiceError("a wave needs a label, e.g. 2025")
    if not questionnaire_list:
        raise ServiceError("a wave needs at least one questionnaire")
    if opens_on and closes_on and closes_on < opens_on:
        raise ServiceError(
            "closes_on (%(closes_on)s) is before opens_on (%(opens_on)s)",
            closes_on=closes_on,
            opens_on=opens_on,
        )
    loaded = [_resolve(q) for q in questionnaire_list]
    ids = [q.id for q in loaded]
    if len(set(ids)) != len(ids):
        raise ServiceError("a questionnaire is listed twice: %(ids)s", ids=', '.join(ids))
    session = db.session
    try:
        if session.scalar(sa.select(Wave.id).where(Wave.label == label)) is not None:
            raise Conflict("a wave '%(label)s' already exists; choose another label", label=label)
        base = get_wave(baseline) if baseline else None
        wave = Wave(label=label, status="draft", opens_on=opens_on, closes_on=closes_on, baseline=base)
        for pos, q in enumerate(loaded):
            wave.questionnaires.append(
                WaveQuestionnaire(
                    position=pos, questionnaire_id=q.id, version=q.version, definition=snapshot(q)
                )
            )
        session.add(wave)
        audit.record("wave.create", target=label)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return wave


def open_wave(label: str) -> Wave:
    """Open a draft wave for answering (audited: ``wave.open``)."""
    session = db.session
    try:
        wave = get_wave(label)
        if wave.status != "draft":
            raise Conflict(
                "wave '%(label)s' is %(status)s; only a draft wave can be opened",
                label=label,
                status=wave.status,
            )
        from survey.services import marks

        wave.status = "open"
        wave.mark_key_check = marks.key_check()  # submits and reminders need this used-mark key
        audit.record("wave.open", target=wave.label)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return wave


def close_wave(label: str) -> Wave:
    """Close an open wave: no more answers, and every invitation's e-mail address is deleted (audited:
    ``wave.close``).

    In the same transaction the wave's used-marks are scrambled and its rows rewritten in random
    order (``survey.services.marks.seal_wave``); afterwards old row versions are vacuumed, and the
    wave's report is published and stored with today's unit tree (``reporting.publish_wave``): pages
    and exports of the closed wave read that publication ever after.
    """
    from survey.services import marks

    session = db.session
    try:
        wave = get_wave(label)
        if wave.status != "open":
            raise Conflict(
                "wave '%(label)s' is %(status)s; only an open wave can be closed",
                label=label,
                status=wave.status,
            )
        wave.status = "closed"
        session.execute(sa.update(Invitation).where(Invitation.wave_id == wave.id).values(email=None))
        marks.seal_wave(wave.id)
        audit.record("wave.close", target=wave.label)
        session.commit()
    except Exception:
        session.rollback()
        raise
    marks.vacuum(full=True)  # no old row version left in the table files (docs/anonymity.md, 2)
    from survey.services import reporting

    reporting.publish_wave(label)  # frozen with today's tree (contract 5.4)
    return wave


def wave_questionnaires(wave: Wave) -> list[Questionnaire]:
    """The wave's questionnaires as run (rebuilt from the stored snapshots), in answering order."""
    return [wq.load() for wq in wave.questionnaires]
