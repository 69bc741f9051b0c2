"""Invitations: personal links and one-time codes. Only SHA-256 hashes are stored.

- A **link** token is ``secrets.token_urlsafe(24)``: 32 URL-safe characters, 192 random bits.
- A **code** is 12 characters from Crockford's base32 alphabet without I, L, O, U
  (``0-9 A-Z`` minus those = 32 symbols, 5 bits each, 60 bits in all), shown grouped
  ``XXXX-XXXX-XXXX`` and accepted in any case, with or without separators; ``O`` is read as ``0``
  and ``I``/``L`` as ``1`` (Crockford's decoding rules), so a mistyped look-alike still works.

The plain tokens are returned once, by the function that creates them, and never stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import smtplib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

from analysis import csvio
from survey.extensions import db
from survey.models import Invitation, Unit, Wave
from survey.services import Conflict, NotFound, ServiceError, audit
from survey.services.waves import get_wave

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
CODE_GROUP = 4
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_PER_CALL = 100_000


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token as stored in ``invitations.token_hash``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_link_token() -> str:
    return secrets.token_urlsafe(24)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCD2345WXYZ`` -> ``ABCD-2345-WXYZ``."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


#: invisible characters a copy from a PDF or a Word file can bring along: soft hyphen, zero-width
#: space / joiners, word joiner, byte-order mark
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def _separator(ch: str) -> bool:
    """Whether ``ch`` only separates groups of a code: any space, any dash (hyphen, en and em dash,
    non-breaking hyphen ... : Unicode category Pd), the minus sign, or an invisible character."""
    return ch.isspace() or ch in _INVISIBLE or ch == "\u2212" or unicodedata.category(ch) == "Pd"


def normalise_code(entered: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be a code.

    Case, spaces and dashes of every kind (as a PDF or Word copy gives them: en dash, em dash, minus
    sign, non-breaking space) are ignored, full-width letters count as letters (NFKC); O -> 0,
    I/L -> 1.
    """
    folded = unicodedata.normalize("NFKC", entered)
    text = "".join(ch for ch in folded.upper() if not _separator(ch)).translate(_CROCKFORD_ALIASES)
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def _check_target(wave_label: str, unit_id: str, count: int) -> int:
    if count < 1 or count > MAX_PER_CALL:
        raise ServiceError(
            "count must be between 1 and %(max)s, got %(count)s",
            max=MAX_PER_CALL,
            count=count,
        )
    wave = get_wave(wave_label)
    if wave.status == "closed":
        raise Conflict("wave '%(wave_label)s' is closed; no new invitations", wave_label=wave_label)
    if db.session.get(Unit, unit_id) is None:
        raise NotFound(
            "no unit '%(unit_id)s'; import units.csv first or check the unit_id",
            unit_id=unit_id,
        )
    return wave.id


def create_links(
    wave_label: str, unit_id: str, count: int = 1, *, emails: Sequence[str | None] | None = None
) -> list[str]:
    """Create ``count`` link invitations (or one per address in ``emails``) and return the plain tokens.

    The e-mail address is kept only while the wave is open (``close_wave`` deletes it). Audited
    (``invitations.create``: wave, unit, count).
    """
    if emails is not None:
        count = len(emails)
    session = db.session
    try:
        wave_id = _check_target(wave_label, unit_id, count)
        tokens = [new_link_token() for _ in range(count)]
        addresses = list(emails) if emails is not None else [None] * count
        session.add_all(
            Invitation(wave_id=wave_id, unit_id=unit_id, token_hash=hash_token(t), kind="link", email=a)
            for t, a in zip(tokens, addresses, strict=True)
        )
        audit.record("invitations.create", target=wave_label, detail=f"unit={unit_id} count={count}")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return tokens


def create_codes(wave_label: str, unit_id: str, count: int = 1) -> list[str]:
    """Create ``count`` one-time codes for a unit; returns them formatted ``XXXX-XXXX-XXXX``.

    Audited as ``codes.create`` (wave, ``unit=U count=N``), which :func:`slip_printers` reads back.
    """
    session = db.session
    try:
        wave_id = _check_target(wave_label, unit_id, count)
        codes: set[str] = set()
        while len(codes) < count:
            codes.add(new_code())
        session.add_all(
            Invitation(wave_id=wave_id, unit_id=unit_id, token_hash=hash_token(c), kind="code") for c in codes
        )
        # read back by slip_printers: who made how many codes for which unit
        audit.record("codes.create", target=wave_label, detail=f"unit={unit_id} count={count}")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return [format_code(c) for c in sorted(codes)]


def counts(wave_label: str) -> dict[str, tuple[int, int]]:
    """Per unit: ``(invitations, used)`` for a wave (participation, never answers).

    Used = the wave's used-marks of that unit: right while the wave is open and after it closed
    (closing scrambles the marks but keeps one row per used invitation).
    """
    wave = get_wave(wave_label)
    rows = db.session.execute(
        sa.select(Invitation.unit_id, sa.func.count())
        .where(Invitation.wave_id == wave.id)
        .group_by(Invitation.unit_id)
    )
    marks = _used_marks(wave.id)
    return {uid: (int(n), marks.get((wave.id, uid), 0)) for uid, n in rows}


_SLIP_DETAIL = re.compile(r"^unit=(?P<unit>\S+) count=(?P<count>\d+)$")


@dataclass(frozen=True)
class SlipPrinter:
    """A unit whose invitations are mostly code slips printed by one user (see :func:`slip_printers`)."""

    unit_id: str
    #: the user's e-mail address (the audit event's actor id when the user no longer exists; ``cli``)
    actor: str
    slips: int
    invitations: int


def slip_printers(wave_label: str) -> dict[str, SlipPrinter]:
    """Units of a wave whose invitations are mostly (more than half) code slips printed by one user.

    The engine cannot tell a real respondent from a code slip its printer answered: whoever prints a
    unit's slips can keep some and answer them, and then subtract their own known answers from the unit's
    published means. What Trivsel can do is make it visible: every printing is an audit event
    ``codes.create`` (who, unit, how many), and this function reads those events back. unit id -> the user
    who printed the most slips for it, how many, and the unit's invitations in the wave.
    """
    wave = get_wave(wave_label)
    from survey.models_audit import AuditEvent

    printed: dict[tuple[str, str], int] = {}
    events = db.session.execute(
        sa.select(AuditEvent.actor, AuditEvent.detail).where(
            AuditEvent.action == "codes.create", AuditEvent.target == wave.label
        )
    )
    for actor, detail in events:
        m = _SLIP_DETAIL.match(detail or "")
        if m:
            key = (m["unit"], actor)
            printed[key] = printed.get(key, 0) + int(m["count"])
    total = {uid: n for uid, (n, _used) in counts(wave_label).items()}
    out: dict[str, SlipPrinter] = {}
    for (uid, actor), slips in sorted(printed.items()):
        invited = total.get(uid, 0)
        if invited and 2 * min(slips, invited) > invited and slips > (out[uid].slips if uid in out else 0):
            out[uid] = SlipPrinter(uid, _actor_name(actor), min(slips, invited), invited)
    return out


def _actor_name(actor: str) -> str:
    from survey.models import User

    user = db.session.get(User, int(actor)) if actor.isdigit() else None
    return user.email if user is not None else actor


# --- invitation lists and sending (HR pages) ------------------------------------------------------

INVITATION_LIST_COLUMNS = ("email", "unit_id")
_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def read_invitation_list(path: str | Path) -> list[tuple[str, str]]:
    """Read and validate an invitation list (CSV ``email, unit_id``); returns ``(email, unit_id)`` rows.

    Raises ``analysis.csvio.InputError`` naming file, line, column and value: a bad address, an unknown
    unit, an address listed twice. Addresses are compared in lower case.
    """
    table = csvio.read_table(path, required=INVITATION_LIST_COLUMNS)
    if not table.rows:
        raise csvio.InputError(
            table.name, "the file has no rows; add one row per employee below the header", line=2
        )
    units = set(db.session.scalars(sa.select(Unit.unit_id)))
    seen: dict[str, int] = {}
    out: list[tuple[str, str]] = []
    for line, rec in table.records():
        email = rec["email"].strip().lower()
        unit_id = rec["unit_id"].strip()
        if not _EMAIL_RE.match(email):
            raise csvio.InputError(
                table.name,
                "not an e-mail address; write it as name@example.dk",
                line=line,
                column="email",
                value=rec["email"],
            )
        if email in seen:
            raise csvio.InputError(
                table.name,
                f"this address is also on line {seen[email]}; list each employee once",
                line=line,
                column="email",
                value=rec["email"],
            )
        if unit_id not in units:
            raise csvio.InputError(
                table.name,
                "no such unit; use a unit_id from units.csv (import the units first)",
                line=line,
                column="unit_id",
                value=unit_id,
            )
        seen[email] = line
        out.append((email, unit_id))
    return out


class SmallUnits(Conflict):
    """Invitations that would leave a unit with fewer than ``k_min`` invitations (not confirmed)."""

    def __init__(self, units: list[tuple[str, int]], k_min: int) -> None:
        self.units = units
        self.k_min = k_min
        shown = ", ".join(f"{u} ({n})" for u, n in units[:10]) + (" ..." if len(units) > 10 else "")
        super().__init__(
            "%(count)s unit(s) would have fewer than %(k_min)s invitations: %(units)s. Such a unit is "
            "hidden in every report and never shown apart (its answers count only inside a larger unit "
            "above it); move the people to a larger unit, or confirm that you know the unit will be hidden",
            count=len(units),
            k_min=k_min,
            units=shown,
        )


def small_units(wave_id: int, added: Mapping[str, int]) -> tuple[list[tuple[str, int]], int]:
    """Units of ``added`` whose invitations in the wave (existing + added) stay below ``k_min``.

    Returns ``([(unit id, invitations)], k_min)``; ``k_min`` is the report setting
    (``survey.services.reporting.analysis_settings``), so a unit listed here can never be published.
    """
    from survey.services.reporting import analysis_settings

    k_min = int(analysis_settings().k_min)
    existing = dict(
        db.session.execute(
            sa.select(Invitation.unit_id, sa.func.count())
            .where(Invitation.wave_id == wave_id, Invitation.unit_id.in_(sorted(added)))
            .group_by(Invitation.unit_id)
        ).all()
    )
    out = [
        (u, int(existing.get(u, 0)) + int(n))
        for u, n in sorted(added.items())
        if int(existing.get(u, 0)) + int(n) < k_min
    ]
    return out, k_min


def check_unit_sizes(wave_id: int, added: Mapping[str, int], *, confirmed: bool) -> None:
    """Raise :class:`SmallUnits` when ``added`` leaves a unit below ``k_min`` invitations, unless
    HR ``confirmed`` that it knows such a unit is hidden (docs/anonymity.md, threat 12)."""
    units, k_min = small_units(wave_id, added)
    if units and not confirmed:
        raise SmallUnits(units, k_min)


def import_invitation_list(wave_label: str, path: str | Path, *, confirm_small: bool = False) -> int:
    """Create one link invitation per row of an invitation list, all or nothing; returns the count.

    The wave must be a draft or open. An address that already has an invitation in this wave is refused.
    A unit that would have fewer than ``k_min`` invitations in the wave is refused (:class:`SmallUnits`)
    unless ``confirm_small``: HR decides each person's unit, and could otherwise put one named person
    alone in a unit. Such a unit is hidden in every report whatever is confirmed.
    No link is sent here and no token is kept: :func:`send_links` gives each invitation a fresh link.
    """
    wave = get_wave(wave_label)
    if wave.status == "closed":
        raise Conflict("wave '%(wave_label)s' is closed; no new invitations", wave_label=wave_label)
    rows = read_invitation_list(path)
    session = db.session
    try:
        existing = set(
            session.scalars(
                sa.select(Invitation.email).where(
                    Invitation.wave_id == wave.id, Invitation.email.is_not(None)
                )
            )
        )
        twice = sorted({e for e, _u in rows} & {str(e).lower() for e in existing})
        if twice:
            raise Conflict(
                "%(count)s address(es) already have an invitation to wave '%(wave_label)s', e.g. "
                "%(example)s; remove them from the file",
                count=len(twice),
                wave_label=wave_label,
                example=twice[0],
            )
        added: dict[str, int] = {}
        for _e, u in rows:
            added[u] = added.get(u, 0) + 1
        check_unit_sizes(wave.id, added, confirmed=confirm_small)
        session.add_all(
            Invitation(
                wave_id=wave.id,
                unit_id=u,
                token_hash=hash_token(new_link_token()),
                kind="link",
                email=e,
            )
            for e, u in rows
        )
        audit.record("invitations.import", target=wave_label)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(rows)


def _unused_links(wave_id: int) -> list[tuple[int, str]]:
    """``(invitation id, address)`` of the wave's link invitations with an address and no used-mark."""
    from survey.services import marks

    rows = [
        (int(i), str(e))
        for i, e in db.session.execute(
            sa.select(Invitation.id, Invitation.email)
            .where(Invitation.wave_id == wave_id, Invitation.kind == "link", Invitation.email.is_not(None))
            .order_by(Invitation.id)
        )
    ]
    used = marks.used_invitation_ids(wave_id, [i for i, _ in rows])
    return [(i, e) for i, e in rows if i not in used]


def pending_link_count(wave_label: str) -> int:
    """Link invitations of the wave that have an address and are not used (who :func:`send_links` mails)."""
    return len(_unused_links(get_wave(wave_label).id))


def _touch_every_invitation(wave_id: int, hashes: Mapping[int, str]) -> bool:
    """Write every invitation row of the wave in the current transaction: ``hashes`` maps an
    invitation id to its new token hash, every other row is written with its own values.

    A database reader then sees every row of the wave with this transaction's id (``xmin``), not just
    the rows of the people who had not answered yet (docs/anonymity.md, threat 2). Only while the wave
    is open (checked under the wave's shared lock, as a submit does: a close waits for it, or has
    already happened and nothing is written); returns whether the rows were written.
    """
    from survey.services import marks

    session = db.session
    marks.lock_wave(wave_id, shared=True)
    status = session.scalar(sa.select(Wave.status).where(Wave.id == wave_id))
    if status != "open":
        return False
    rows = [
        {"id": int(i), "token_hash": hashes.get(int(i), str(h))}
        for i, h in session.execute(
            sa.select(Invitation.id, Invitation.token_hash).where(Invitation.wave_id == wave_id)
        )
    ]
    if rows:
        session.execute(sa.update(Invitation), rows)
    return True


def send_links(wave_label: str, compose: Callable[[str, str], EmailMessage]) -> int:
    """Mail a fresh personal link to every unused link invitation of an open wave that has an address.

    ``compose(address, token)`` builds the message. Each invitation gets a new token (only its hash
    is stored; the earlier link stops working), so an invitation and any later reminder carry the
    newest link; used invitations are skipped: they are told apart by their keyed used-mark
    (``survey.services.marks``), which does not depend on the token, so a new link for an invitation
    that is used after all is refused too.

    The new hashes are written in one transaction that writes **every** invitation row of the wave
    (used and code invitations with their own values): a database reader cannot tell from the rows'
    transaction ids who had answered before a reminder. Then the messages go out; before each one the
    wave is checked to be still open, so no link goes out after a close. Returns the number sent. When
    delivery fails part-way, the invitations not mailed get their earlier hash back (again by writing
    every row) and :class:`ServiceError` says how many went out.
    """
    from survey.services import mail, marks

    wave = get_wave(wave_label)
    if wave.status != "open":
        raise Conflict(
            "wave '%(wave_label)s' is %(status)s; open it before sending links",
            wave_label=wave_label,
            status=wave.status,
        )
    marks.require_same_key(wave_label, wave.mark_key_check)
    session = db.session
    wave_id = wave.id
    targets = _unused_links(wave_id)
    tokens = {inv_id: new_link_token() for inv_id, _a in targets}
    old = dict(
        session.execute(
            sa.select(Invitation.id, Invitation.token_hash).where(Invitation.wave_id == wave_id)
        ).all()
    )
    try:
        written = _touch_every_invitation(wave_id, {i: hash_token(t) for i, t in tokens.items()})
        session.commit()
    except Exception:
        session.rollback()
        raise
    sent = 0
    mailed: set[int] = set()
    try:
        with mail.connection() as deliver:
            for inv_id, address in targets if written else []:
                if marks.is_used(wave_id, inv_id):
                    continue  # answered meanwhile (its new link is refused: the mark is its id's)
                session.commit()  # a fresh snapshot: a close may have committed meanwhile
                still_open = session.scalar(
                    sa.select(Wave.id).join(Invitation, Invitation.wave_id == Wave.id).where(
                        Wave.id == wave_id, Wave.status == "open", Invitation.id == inv_id,
                        Invitation.email.is_not(None),
                    )
                )
                if still_open is None:
                    continue  # the wave was closed or deleted meanwhile: no link goes out after it
                deliver(compose(str(address), tokens[inv_id]))
                mailed.add(inv_id)
                sent += 1
        audit.record("invitations.send", target=wave_label, detail=f"sent={sent}")
        session.commit()
    except (OSError, smtplib.SMTPException) as exc:
        session.rollback()
        restore = {i: str(old[i]) for i in tokens if i not in mailed and i in old}
        try:
            _touch_every_invitation(
                wave_id, {**{i: hash_token(tokens[i]) for i in mailed}, **restore}
            )
            session.commit()
        except Exception:
            session.rollback()
            raise
        raise ServiceError(
            "sending failed after %(sent)s of %(total)s message(s) (%(error)s); check the "
            "MAIL_* settings and send again (only unused invitations get a new link)",
            sent=sent,
            total=len(targets),
            error=type(exc).__name__,
        ) from None
    except Exception:
        session.rollback()
        raise
    return sent


@dataclass(frozen=True)
class Participation:
    """How many invitations a unit (or wave) has and how many were used; never which ones."""

    unit_id: str
    invited: int
    used: int

    @property
    def percent(self) -> int | None:
        """Used as a whole percentage of invited (rounded half up), None without invitations."""
        if self.invited == 0:
            return None
        return (200 * self.used + self.invited) // (2 * self.invited)


def _used_marks(wave_id: int | None = None) -> dict[tuple[int, str], int]:
    """Used-marks (one per used invitation, keyed or scrambled) per ``(wave id, unit id)``."""
    from survey.models_audit import UsedMark

    query = sa.select(UsedMark.wave_id, UsedMark.unit_id, sa.func.count()).group_by(
        UsedMark.wave_id, UsedMark.unit_id
    )
    if wave_id is not None:
        query = query.where(UsedMark.wave_id == wave_id)
    return {(w, u): int(n) for w, u, n in db.session.execute(query)}


def participation(wave_label: str) -> list[Participation]:
    """Per unit with invitations, by unit id: invited and used (participation, never answers).

    Used = the unit's used-marks (:func:`counts`).
    """
    return [Participation(uid, n, used) for uid, (n, used) in sorted(counts(wave_label).items())]


def wave_participation() -> dict[int, Participation]:
    """Per wave id: all its invitations and how many were used (``unit_id`` is ``""``)."""
    rows = db.session.execute(sa.select(Invitation.wave_id, sa.func.count()).group_by(Invitation.wave_id))
    marks: dict[int, int] = {}
    for (wid, _uid), n in _used_marks().items():
        marks[wid] = marks.get(wid, 0) + n
    return {wid: Participation("", int(n), marks.get(wid, 0)) for wid, n in rows}


@dataclass(frozen=True)
class WaveResponses:
    """A closed wave's responses at wave level, for a wave without invitations (imported from another
    vendor): ``respondents`` is the most responses of any one of its questionnaires (each person has one
    response per questionnaire), ``headcount`` today's total headcount of the tree (None when a unit's
    headcount is unknown). Never per unit."""

    respondents: int
    headcount: int | None

    @property
    def percent(self) -> int | None:
        """Respondents as a whole percentage of the headcount (rounded half up); None without a usable
        headcount (unknown, 0, or fewer people than responses: the tree has changed since)."""
        if not self.headcount or self.respondents > self.headcount:
            return None
        return (200 * self.respondents + self.headcount) // (2 * self.headcount)


def imported_wave_responses() -> dict[int, WaveResponses]:
    """Per closed wave id that has responses but no invitations (an imported wave): its
    :class:`WaveResponses`. Waves run here are counted by :func:`wave_participation` instead."""
    from survey.models import Response

    invited = set(db.session.scalars(sa.select(Invitation.wave_id).distinct()))
    closed = set(db.session.scalars(sa.select(Wave.id).where(Wave.status == "closed")))
    per_wave: dict[int, int] = {}
    rows = db.session.execute(
        sa.select(Response.wave_id, Response.questionnaire_id, sa.func.count())
        .group_by(Response.wave_id, Response.questionnaire_id)
    )
    for wid, _qid, n in rows:
        if wid in closed and wid not in invited:
            per_wave[int(wid)] = max(per_wave.get(int(wid), 0), int(n))
    if not per_wave:
        return {}
    unknown, total = db.session.execute(
        sa.select(sa.func.count().filter(Unit.headcount.is_(None)), sa.func.sum(Unit.headcount))
    ).one()
    headcount = int(total) if not unknown and total is not None else None
    return {wid: WaveResponses(n, headcount) for wid, n in per_wave.items()}
