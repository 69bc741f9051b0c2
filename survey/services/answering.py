"""Answering: look an invitation up, validate answers, and submit them once.

:func:`submit` is the only function that writes responses from the web. In one transaction it
inserts the invitation's keyed used-mark (``survey.services.marks``; the invitation row itself is
only read, never written), then one ``Response`` per questionnaire and the free-text ``Comment``
rows. Two concurrent submits with the same token store exactly one set of answers: the second
insert of the same mark waits for the first transaction (unique key in PostgreSQL, write lock in
SQLite) and then fails, which is reported as "already used".

Nothing links the response to the invitation: not a column, not a timestamp, and on PostgreSQL not
the transaction id either (the mark that shares it cannot be traced to an invitation without the
key; docs/anonymity.md).
"""

from __future__ import annotations

import enum
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from questionnaires import HANDLED_CODES, SOURCE_CODES, TOLD_CODES, Questionnaire
from survey.extensions import db
from survey.models import Comment, Invitation, Response, Wave, WaveQuestionnaire
from survey.models_audit import UsedMark
from survey.services import ServiceError, marks
from survey.services.invitations import hash_token

LANGUAGES = ("da", "en")

#: answers of a multiple-choice follow-up that exclude every other answer ("no one" told cannot be
#: combined with "a colleague"); per part of an exposure
EXCLUSIVE_CODES: Mapping[str, frozenset[str]] = {"told": frozenset({"no_one"}), "source": frozenset()}


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
        joined = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        super().__init__(joined)


class SubmitRefused(ServiceError):
    """The invitation cannot be used (unknown, used, wave not open); nothing was stored."""

    def __init__(self, state: TokenState) -> None:
        self.state = state
        super().__init__("the invitation cannot be used: %(state)s", state=state.value)


@dataclass(frozen=True)
class InvitationInfo:
    """What the answering pages may know about a token: its state and the wave/unit it is for."""

    state: TokenState
    wave_id: int | None = None
    unit_id: str | None = None
    #: on PostgreSQL the wave's snapshot digests, read in the same query (see :func:`wave_snapshots`)
    snapshot_digests: tuple[tuple[str, str], ...] | None = None


_SEP = "\x1f"  # unit separator: in no questionnaire id


def _digest_column() -> Any:
    """PostgreSQL: the wave's snapshot digests as one text column of the lookup query (one round trip
    less per page); ``questionnaire id SEP digest SEP ...`` in answering order."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    wq = WaveQuestionnaire
    item = sa.func.concat(
        wq.questionnaire_id, _SEP, sa.cast(sa.func.jsonb_hash_extended(wq.definition, 0), sa.Text)
    )
    return (
        sa.select(sa.func.string_agg(item, aggregate_order_by(sa.literal(_SEP), wq.position)))
        .where(wq.wave_id == Invitation.wave_id)
        .scalar_subquery()
    )


def lookup(token: str) -> InvitationInfo:
    """The state of the invitation for ``token`` (a link token or a normalised code). Reads only."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    columns: list[Any] = [Invitation.id, Invitation.wave_id, Invitation.unit_id, Wave.status]
    if postgres:
        columns.append(_digest_column())
    row = db.session.execute(
        sa.select(*columns)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.token_hash == hash_token(token))
    ).first()
    if row is None:
        return InvitationInfo(TokenState.UNKNOWN)
    invitation_id, wave_id, unit_id, status = row[:4]
    digests = None
    if postgres:
        parts = (row[4] or "").split(_SEP) if row[4] else []
        digests = tuple(zip(parts[0::2], parts[1::2], strict=True))
    if status == "draft":
        state = TokenState.DRAFT
    elif status == "closed":
        state = TokenState.CLOSED
    elif marks.is_used(wave_id, invitation_id):  # the keyed used-mark (survey.services.marks)
        state = TokenState.USED
    else:
        state = TokenState.OK
    return InvitationInfo(state, wave_id, unit_id, digests)


# ---------------------------------------------------------------------------------------------
# the wave's questionnaires, parsed once per process
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveSnapshots:
    """A wave's questionnaires as run, in answering order. ``key`` is ``(wave id, ((questionnaire id,
    digest of the stored snapshot), ...))``: equal keys mean equal definitions."""

    key: tuple[Any, ...]
    questionnaires: tuple[Questionnaire, ...]


_SNAPSHOT_CACHE: OrderedDict[tuple[Any, ...], WaveSnapshots] = OrderedDict()
_SNAPSHOT_CACHE_SIZE = 64
_snapshot_lock = threading.Lock()


def _snapshot_rows(wave_id: int, *, definitions: bool) -> tuple[tuple[tuple[str, str], ...], list[Any]]:
    """``(((questionnaire id, digest), ...), rows)`` of the wave's snapshots in answering order.

    The digest is PostgreSQL's 64-bit ``jsonb_hash_extended`` of the stored JSONB (no text
    conversion: ~4x cheaper than ``md5(definition::text)``), elsewhere SHA-256 of the stored JSON text.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    digest = (
        sa.func.jsonb_hash_extended(WaveQuestionnaire.definition, 0)
        if postgres
        else sa.cast(WaveQuestionnaire.definition, sa.Text)
    )
    columns: list[Any] = [WaveQuestionnaire.questionnaire_id, digest]
    if definitions:
        columns += [WaveQuestionnaire.version, WaveQuestionnaire.definition]
    rows = db.session.execute(
        sa.select(*columns).where(WaveQuestionnaire.wave_id == wave_id).order_by(WaveQuestionnaire.position)
    ).all()
    digests = tuple(
        (str(r[0]), str(r[1]) if postgres else hashlib.sha256(str(r[1]).encode("utf-8")).hexdigest())
        for r in rows
    )
    return digests, list(rows)


def wave_snapshots(wave_id: int, digests: tuple[tuple[str, str], ...] | None = None) -> WaveSnapshots:
    """The wave's questionnaires, rebuilt from its stored snapshots at most once per process and
    snapshot content.

    Every call uses the snapshots' current digests (from :func:`lookup`'s query on PostgreSQL, else
    one small query, see ``_snapshot_rows``), so a cached parse is used only for exactly the stored
    definitions, whatever database or wave id they came from. Parsing and validating a definition
    (``from_dict``, up to ~1 ms per questionnaire) happens on a cache miss only, from the same rows
    as its digest. Within one request the result is kept, so the submit does not read them again.
    """
    from flask import has_request_context, request

    from questionnaires import from_dict

    memo: dict[int, WaveSnapshots] | None = None
    if has_request_context():
        memo = request.environ.setdefault("trivsel.wave_snapshots", {})
        if wave_id in memo:
            return memo[wave_id]
    if digests is None:
        digests, _ = _snapshot_rows(wave_id, definitions=False)
    with _snapshot_lock:
        hit = _SNAPSHOT_CACHE.get((wave_id, digests))
        if hit is not None:
            _SNAPSHOT_CACHE.move_to_end((wave_id, digests))
    if hit is not None:
        if memo is not None:
            memo[wave_id] = hit
        return hit
    digests, rows = _snapshot_rows(wave_id, definitions=True)
    loaded = WaveSnapshots(
        (wave_id, digests),
        tuple(from_dict(r[3], f"wave questionnaire {r[0]} v{r[2]}") for r in rows),
    )
    with _snapshot_lock:
        _SNAPSHOT_CACHE[loaded.key] = loaded
        while len(_SNAPSHOT_CACHE) > _SNAPSHOT_CACHE_SIZE:
            _SNAPSHOT_CACHE.popitem(last=False)
    if memo is not None:
        memo[wave_id] = loaded
    return loaded


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


_CODE = re.compile(r"-?[0-9]{1,4}")


def _int(value: Any) -> int | None:
    """An answer code from an int or a short ASCII digit string; anything else (bools, floats, "²",
    a 5,000-digit string) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _CODE.fullmatch(value.strip()):
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
                values = (
                    [value]
                    if isinstance(value, str)
                    else value
                    if isinstance(value, list | tuple)
                    else [value]
                )
                bad = [v for v in values if not isinstance(v, str) or v not in allowed_codes]
                if bad:
                    errors[question.id] = f"unknown code {bad[0]!r}; allowed: {', '.join(allowed_codes)}"
                    continue
                exclusive = EXCLUSIVE_CODES[part] & set(values)
                if exclusive and len(set(values)) > 1:
                    errors[question.id] = f"{sorted(exclusive)[0]!r} cannot be combined with other answers"
                    continue
                if freq is not None and freq >= 1:
                    out[question.id] = [c for c in allowed_codes if c in values]
            else:
                if not isinstance(value, str) or value not in HANDLED_CODES:
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
        elif "\x00" in text:
            errors[key] = "a null character (cannot be stored)"
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

    One transaction: the invitation is only read and its keyed ``UsedMark`` is inserted (a second
    insert of the same mark fails: "used"); then the answers are
    validated against the wave's stored questionnaire snapshots and one ``Response`` per
    questionnaire (and the comments) is inserted. ``submissions`` must cover each of the wave's
    questionnaires once. Returns the number of responses stored. Raises :class:`SubmitRefused`
    (unknown or used token, wave not open), :class:`AnswerError` or :class:`ServiceError`; nothing
    is stored then and the invitation stays unused.
    """
    if language not in LANGUAGES:
        raise ServiceError(
            "language must be one of %(choices)s, got %(language)s",
            choices=", ".join(LANGUAGES),
            language=repr(language),
        )
    ids = [s.questionnaire.id for s in submissions]
    if not ids or len(set(ids)) != len(ids):
        raise ServiceError("submit needs each of the wave's questionnaires once")
    session = db.session
    try:
        wave_id, unit_id = _mark_used(token)
        cleaned = _clean(wave_id, submissions)
        _store(wave_id, unit_id, language, cleaned)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(cleaned)


def _mark_used(token: str) -> tuple[int, str]:
    """Insert the invitation's keyed used-mark; the invitation row is only read (no lock, no new version).

    Two statements: the lookup (on PostgreSQL it also takes the shared advisory lock on the wave that
    orders the submit against closing it, ``marks.seal_wave``) and one ``INSERT ... SELECT ... WHERE
    EXISTS (the wave is open) RETURNING``, whose status check runs after the lock is held (PostgreSQL:
    a new snapshot per statement) and under the write lock (SQLite: the statement begins the write
    transaction), so a close that committed before it is always seen and nothing is inserted. A second
    submit with the same invitation (any of its tokens) meets the mark's primary key: the insert
    waits for the first transaction and then fails, which is reported as "used".
    """
    session = db.session
    columns: list[Any] = [
        Invitation.id, Invitation.wave_id, Invitation.unit_id, Wave.label, Wave.mark_key_check, Wave.status,
    ]  # fmt: skip
    lock = marks.shared_lock_column(Invitation.wave_id)
    if lock is not None:
        columns.append(lock)
    row = session.execute(
        sa.select(*columns)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.token_hash == hash_token(token))
    ).first()
    if row is None:
        session.rollback()
        raise SubmitRefused(TokenState.UNKNOWN)
    invitation_id, wave_id, unit_id, label, check, status = row[:6]
    if status != "open":  # may be stale on PostgreSQL, but a wave never re-opens: refusing is right
        session.rollback()
        raise SubmitRefused(TokenState.DRAFT if status == "draft" else TokenState.CLOSED)
    marks.require_same_key(label, check)
    mark = marks.mark_for(wave_id, invitation_id)
    still_open = sa.exists().where(Wave.id == wave_id, Wave.status == "open")
    insert = (
        sa.insert(UsedMark)
        .from_select(
            ["mark", "wave_id", "unit_id"],
            sa.select(
                sa.literal(mark, UsedMark.mark.type),
                sa.literal(int(wave_id), UsedMark.wave_id.type),
                sa.literal(str(unit_id), UsedMark.unit_id.type),
            ).where(still_open),
        )
        .returning(UsedMark.mark)
    )
    try:
        inserted = session.execute(insert).first()
    except sa.exc.IntegrityError:
        session.rollback()
        raise SubmitRefused(TokenState.USED) from None
    if inserted is None:  # the wave was closed after the lookup
        session.rollback()
        raise SubmitRefused(TokenState.CLOSED)
    return int(wave_id), str(unit_id)


def _clean(
    wave_id: int, submissions: list[Submission]
) -> list[tuple[Questionnaire, dict[str, Any], dict[str, str]]]:
    ids = [s.questionnaire.id for s in submissions]
    # validate against the definitions the wave runs with (its snapshots), not the caller's copy
    snapshots = {q.id: q for q in wave_snapshots(wave_id).questionnaires}  # parsed once per process
    if set(ids) != set(snapshots):
        runs, given = ", ".join(sorted(snapshots)), ", ".join(sorted(ids))
        raise ServiceError(
            "this wave runs %(runs)s; answers were given for %(given)s",
            runs=runs,
            given=given,
        )
    cleaned: list[tuple[Questionnaire, dict[str, Any], dict[str, str]]] = []
    for sub in submissions:
        q = snapshots[sub.questionnaire.id]
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
