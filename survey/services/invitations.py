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
import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Invitation, Unit
from survey.services import Conflict, NotFound, ServiceError
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


def normalise_code(entered: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be a code.

    Case, spaces and hyphens are ignored; O -> 0, I/L -> 1.
    """
    text = "".join(ch for ch in entered.upper() if ch not in " -\t").translate(_CROCKFORD_ALIASES)
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def _check_target(wave_label: str, unit_id: str, count: int) -> int:
    if count < 1 or count > MAX_PER_CALL:
        raise ServiceError(f"count must be between 1 and {MAX_PER_CALL}, got {count}")
    wave = get_wave(wave_label)
    if wave.status == "closed":
        raise Conflict(f"wave '{wave_label}' is closed; no new invitations")
    if db.session.get(Unit, unit_id) is None:
        raise NotFound(f"no unit '{unit_id}'; import units.csv first or check the unit_id")
    return wave.id


def create_links(
    wave_label: str, unit_id: str, count: int = 1, *, emails: Sequence[str | None] | None = None
) -> list[str]:
    """Create ``count`` link invitations (or one per address in ``emails``) and return the plain tokens.

    The e-mail address is kept only while the wave is open (``close_wave`` deletes it).
    """
    if emails is not None:
        count = len(emails)
    session = db.session
    try:
        wave_id = _check_target(wave_label, unit_id, count)
        tokens = [new_link_token() for _ in range(count)]
        addresses = list(emails) if emails is not None else [None] * count
        session.add_all(
            Invitation(
                wave_id=wave_id, unit_id=unit_id, token_hash=hash_token(t), kind="link", used=False, email=a
            )
            for t, a in zip(tokens, addresses, strict=True)
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return tokens


def create_codes(wave_label: str, unit_id: str, count: int = 1) -> list[str]:
    """Create ``count`` one-time codes for a unit; returns them formatted ``XXXX-XXXX-XXXX``."""
    session = db.session
    try:
        wave_id = _check_target(wave_label, unit_id, count)
        codes: set[str] = set()
        while len(codes) < count:
            codes.add(new_code())
        session.add_all(
            Invitation(wave_id=wave_id, unit_id=unit_id, token_hash=hash_token(c), kind="code", used=False)
            for c in codes
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return [format_code(c) for c in sorted(codes)]


def counts(wave_label: str) -> dict[str, tuple[int, int]]:
    """Per unit: ``(invitations, used)`` for a wave (participation, never answers)."""
    wave = get_wave(wave_label)
    rows = db.session.execute(
        sa.select(Invitation.unit_id, sa.func.count(), sa.func.sum(sa.case((Invitation.used, 1), else_=0)))
        .where(Invitation.wave_id == wave.id)
        .group_by(Invitation.unit_id)
    )
    return {uid: (int(n), int(used or 0)) for uid, n, used in rows}
