"""Answering: look an invitation up, validate answers, and submit them once.

:func:`submit` is the only function that writes responses from the web. In one transaction it marks
the invitation used with a conditional ``UPDATE ... WHERE used = false AND <wave open>`` whose row
count must be 1, then inserts one ``Response`` per questionnaire and the free-text ``Comment`` rows.
Two concurrent submits with the same token therefore store exactly one set of answers: the second
UPDATE waits for the first transaction (row lock in PostgreSQL, write lock in SQLite) and then
matches no row.

Nothing links the response to the invitation: not a column, not a timestamp.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from questionnaires import HANDLED_CODES, SOURCE_CODES, TOLD_CODES, Questionnaire
from survey.extensions import db
from survey.models import Comment, Invitation, Response, Wave, WaveQuestionnaire
from survey.models_audit import UsedMark
from survey.services import ServiceError
from survey.services.invitations import hash_token

LANGUAGES = ("da", "en")

#: ``TRIVSEL_USED_MARKS``: ``invitation`` = set ``invitations.used`` (default for now);
#: ``separate`` = insert an anonymous ``UsedMark`` and leave the invitation row untouched, so no
#: PostgreSQL transaction id or row order pairs a response with an invitation (docs/anonymity.md)
USED_MARK_MODES = ("invitation", "separate")
_USED_MARK_PREFIX = b"trivsel used-mark\0"


def used_mark_mode() -> str:
    mode = current_app.config.get("TRIVSEL_USED_MARKS", "invitation") if has_app_context() else "invitation"
    if mode not in USED_MARK_MODES:
        raise ServiceError(f"TRIVSEL_USED_MARKS must be one of {', '.join(USED_MARK_MODES)}, got {mode!r}")
    return str(mode)


def used_mark(token: str) -> str:
    """Hex SHA-256 of the token under a prefix: unrelated to ``invitations.token_hash`` without the token."""
    return hashlib.sha256(_USED_MARK_PREFIX + token.encode("utf-8")).hexdigest()


class TokenState(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    DRAFT = "draft"
    CLOSED = "closed"


class AnswerError(ServiceError):
    """Answers that do not fit the questionnaire. ``errors`` maps item id -> message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class SubmitRefused(ServiceError):
    """The invitation cannot be used (unknown, used, wave not open); nothing was stored."""

    def __init__(self, state: TokenState) -> None:
        self.state = state
        super().__init__(f"the invitation cannot be used: {state.value}")


@dataclass(frozen=True)
class InvitationInfo:
    """What the answering pages may know about a token: its state and the wave/unit it is for."""

    state: TokenState
    wave_id: int | None = None
    unit_id: str | None = None


def lookup(token: str) -> InvitationInfo:
    """The state of the invitation for ``token`` (a link token or a normalised code). Reads only."""
    row = db.session.execute(
        sa.select(Invitation.used, Invitation.wave_id, Invitation.unit_id, Wave.status)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.token_hash == hash_token(token))
    ).first()
    if row is None:
        return InvitationInfo(TokenState.UNKNOWN)
    used, wave_id, unit_id, status = row
    if not used and used_mark_mode() == "separate":
        used = db.session.get(UsedMark, used_mark(token)) is not None
    if status == "draft":
        state = TokenState.DRAFT
    elif status == "closed":
        state = TokenState.CLOSED
    elif used:
        state = TokenState.USED
    else:
        state = TokenState.OK
    return InvitationInfo(state, wave_id, unit_id)


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def validate_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``answers`` against ``q`` and return them in storage form (models docstring).

    Accepts ints or digit strings for codes. Unknown keys and values outside their scale are
    errors; follow-up parts of an exposure not answered with 1-4 are dropped. Raises
    :class:`AnswerError` listing every problem.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    known: set[str] = set()
    for item in q.items:
        known.add(item.id)
        if item.id not in answers or answers[item.id] in (None, ""):
            continue
        scale = q.scale_of(item)
        code = _int(answers[item.id])
        if code is None or not scale.is_valid_code(code):
            allowed = f"{scale.min}-{scale.max}" + (
                f" or {scale.dont_know}" if scale.dont_know is not None else ""
            )
            errors[item.id] = f"'{answers[item.id]}' is not a valid answer; allowed: {allowed}"
        else:
            out[item.id] = code
    for exp in q.exposures:
        qid = exp.question.id
        known.update(p.id for _, p in exp.parts())
        freq: int | None = None
        if answers.get(qid) not in (None, ""):
            freq = _int(answers[qid])
            if freq is None or not 0 <= freq <= 4:
                errors[qid] = f"'{answers[qid]}' is not a valid answer; allowed: 0-4"
                freq = None
            else:
                out[qid] = freq
        for part, question in exp.parts():
            if part == "question":
                continue
            value = answers.get(question.id)
            if value in (None, "", [], ()):
                continue
            if part in ("source", "told"):
                allowed_codes = SOURCE_CODES if part == "source" else TOLD_CODES
                values = [value] if isinstance(value, str) else list(value)
                bad = [v for v in values if v not in allowed_codes]
                if bad:
                    errors[question.id] = f"unknown code {bad[0]!r}; allowed: {', '.join(allowed_codes)}"
                    continue
                if freq is not None and freq >= 1:
                    out[question.id] = [c for c in allowed_codes if c in values]
            else:
                if value not in HANDLED_CODES:
                    errors[question.id] = f"unknown code {value!r}; allowed: {', '.join(HANDLED_CODES)}"
                    continue
                if freq is not None and freq >= 1:
                    out[question.id] = value
    free_ids = {f.id for f in q.free_text}
    for key in answers:
        if key not in known and key not in free_ids:
            errors[key] = "not a question of this questionnaire"
    if errors:
        raise AnswerError(errors)
    return out


def validate_comments(q: Questionnaire, comments: Mapping[str, Any]) -> dict[str, str]:
    """Free-text answers: known ids, within ``max_length``; empty ones are dropped."""
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    limits = {f.id: f.max_length for f in q.free_text}
    for key, value in comments.items():
        if key not in limits:
            errors[key] = "not a free-text question of this questionnaire"
            continue
        text = (value or "").strip() if isinstance(value, str) else None
        if text is None:
            errors[key] = "expected text"
        elif len(text) > limits[key]:
            errors[key] = f"at most {limits[key]} characters, got {len(text)}"
        elif text:
            out[key] = text
    if errors:
        raise AnswerError(errors)
    return out


# ---------------------------------------------------------------------------------------------
# the write
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """The answers to one questionnaire of the wave."""

    questionnaire: Questionnaire
    answers: Mapping[str, Any]
    comments: Mapping[str, str]


def submit(token: str, submissions: list[Submission], language: str) -> int:
    """Store one respondent's answers for every questionnaire of the wave, once.

    One transaction: ``UPDATE invitations SET used = true WHERE token_hash = :h AND used = false AND
    wave is open`` must touch exactly one row (with ``TRIVSEL_USED_MARKS = "separate"``: the
    invitation is only read and an anonymous ``UsedMark`` is inserted instead); then the answers are
    validated against the wave's stored questionnaire snapshots and one ``Response`` per
    questionnaire (and the comments) is inserted. ``submissions`` must cover each of the wave's
    questionnaires once. Returns the number of responses stored. Raises :class:`SubmitRefused`
    (unknown or used token, wave not open), :class:`AnswerError` or :class:`ServiceError`; nothing
    is stored then and the invitation stays unused.
    """
    if language not in LANGUAGES:
        raise ServiceError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    ids = [s.questionnaire.id for s in submissions]
    if not ids or len(set(ids)) != len(ids):
        raise ServiceError("submit needs each of the wave's questionnaires once")
    session = db.session
    try:
        if used_mark_mode() == "separate":
            wave_id, unit_id = _mark_used_separately(token)
        else:
            wave_id, unit_id = _mark_invitation_used(token)
        cleaned = _clean(wave_id, submissions)
        _store(wave_id, unit_id, language, cleaned)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(cleaned)


def _mark_invitation_used(token: str) -> tuple[int, str]:
    """``UPDATE invitations SET used = true ...`` on exactly one row; the invitation's wave and unit."""
    session = db.session
    token_hash = hash_token(token)
    open_waves = sa.select(Wave.id).where(Wave.status == "open").scalar_subquery()
    result = session.execute(
        sa.update(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.used.is_(False),
            Invitation.wave_id.in_(open_waves),
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        info = lookup(token)
        raise SubmitRefused(info.state if info.state is not TokenState.OK else TokenState.USED)
    wave_id, unit_id = session.execute(
        sa.select(Invitation.wave_id, Invitation.unit_id).where(Invitation.token_hash == token_hash)
    ).one()
    return int(wave_id), str(unit_id)


def _mark_used_separately(token: str) -> tuple[int, str]:
    """Insert the anonymous used-mark; the invitation row is only read (no lock, no new version).

    A second submit with the same token meets the mark's primary key: the insert waits for the
    first transaction and then fails, which is reported as "used".
    """
    session = db.session
    info = lookup(token)
    if info.state is not TokenState.OK:
        session.rollback()
        raise SubmitRefused(info.state)
    assert info.wave_id is not None and info.unit_id is not None
    try:
        session.add(UsedMark(mark=used_mark(token), wave_id=info.wave_id, unit_id=info.unit_id))
        session.flush()
    except sa.exc.IntegrityError:
        session.rollback()
        raise SubmitRefused(TokenState.USED) from None
    return info.wave_id, info.unit_id


def _clean(
    wave_id: int, submissions: list[Submission]
) -> list[tuple[Questionnaire, dict[str, Any], dict[str, str]]]:
    session = db.session
    ids = [s.questionnaire.id for s in submissions]
    # validate against the definitions the wave runs with (its snapshots), not the caller's copy
    snapshots = {
        wq.questionnaire_id: wq
        for wq in session.scalars(sa.select(WaveQuestionnaire).where(WaveQuestionnaire.wave_id == wave_id))
    }
    if set(ids) != set(snapshots):
        runs, given = ", ".join(sorted(snapshots)), ", ".join(sorted(ids))
        raise ServiceError(f"this wave runs {runs}; answers were given for {given}")
    cleaned: list[tuple[Questionnaire, dict[str, Any], dict[str, str]]] = []
    for sub in submissions:
        q = snapshots[sub.questionnaire.id].load()
        cleaned.append((q, validate_answers(q, sub.answers), validate_comments(q, sub.comments)))
    return cleaned


def _store(
    wave_id: int,
    unit_id: str,
    language: str,
    cleaned: list[tuple[Questionnaire, dict[str, Any], dict[str, str]]],
) -> None:
    session = db.session
    for q, answers, comments in cleaned:
        session.add(
            Response(
                wave_id=wave_id,
                unit_id=unit_id,
                questionnaire_id=q.id,
                language=language,
                answers=answers,
            )
        )
        for item_id, text in comments.items():
            session.add(
                Comment(wave_id=wave_id, unit_id=unit_id, questionnaire_id=q.id, item_id=item_id, text=text)
            )
