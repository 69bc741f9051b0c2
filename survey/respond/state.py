"""The answers so far, kept in the respondent's own browser between pages: an encrypted cookie.

Nothing is stored on the server before the final Send. Since the pages follow post/redirect/get
(``POST /svar`` -> 303 -> ``GET /svar/<n>``), the answers cannot travel in the page's own form any
more: the ``GET`` that Back, reload or a restored tab makes must find them. They are kept in a cookie
that only this site can read:

- **encrypted and authenticated** with AES-256-GCM (``cryptography``), under a key derived with HKDF
  from ``SECRET_KEY`` (never stored); anyone reading the cookie from the browser's profile or a
  proxy sees random bytes, and a changed byte makes it unreadable;
- **bound to the invitation**: the SHA-256 of the token in the (signed) session is the cipher's
  associated data, so a cookie made for one invitation cannot be read under another (a second person
  opening their own link in the same browser starts empty);
- **short-lived**: it is a browser-session cookie (no expiry date, gone when the browser is closed
  unless it restores tabs), its payload carries the time it was written and is refused after
  :data:`MAX_AGE_SECONDS`, and it is deleted on Send;
- ``HttpOnly``, ``SameSite=Lax``, ``Secure`` like the session cookie, ``Path=/svar``.

The payload is compact JSON, compressed, then encrypted; it is split over at most
:data:`MAX_CHUNKS` cookies of at most :data:`CHUNK_SIZE` characters, so that the whole ``Cookie``
header stays below the 8 KB a default nginx or gunicorn accepts. Only unusually long comments in
non-Latin scripts or emoji come near the limit; :func:`fits` lets the page refuse them at the field.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, request

COOKIE = "trivsel_svar"
COOKIE_PATH = "/svar"
#: characters of one cookie's value (browsers take 4,096 bytes for name and value together)
CHUNK_SIZE = 3600
#: at most this many cookies: 2 x 3,600 + the session cookie stays below an 8,190-byte header line
MAX_CHUNKS = 2
#: answers not touched for this long are refused as expired (a week: a survey left open over a weekend)
MAX_AGE_SECONDS = 7 * 24 * 3600
_VERSION = 1
_INFO = b"trivsel answers-so-far cookie v1"


class StateUnreadable(Exception):
    """A state cookie is there but cannot be used: expired, from another key or invitation, or changed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "expired" | "unreadable"
        super().__init__(reason)


@dataclass
class AnswerState:
    """What the respondent has answered so far and the page they reached.

    ``parts``: ``{questionnaire id: {"a": answers, "c": comments}}`` in storage form; ``page``: the
    index of the page last shown (0-based; ``len(pages)`` is the send page).
    """

    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    page: int = 0


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return _derive(secret.encode("utf-8") if isinstance(secret, str) else bytes(secret))


@functools.lru_cache(maxsize=8)
def _derive(material: bytes) -> bytes:
    """The AES-256 key for ``SECRET_KEY`` (HKDF-SHA256; derived once per key and process)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)


def _aad(token: str) -> bytes:
    return hashlib.sha256(("trivsel-state\x1f" + token).encode("utf-8")).digest()


def encode(state: AnswerState, token: str, *, now: float | None = None) -> str:
    """The cookie value (all chunks joined) for ``state`` under ``token``."""
    payload = json.dumps(
        {"v": _VERSION, "t": int(now if now is not None else time.time()), "p": state.page, "s": state.parts},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, zlib.compress(payload, 9), _aad(token))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def decode(value: str, token: str, *, now: float | None = None) -> AnswerState:
    """The state in a cookie value; raises :class:`StateUnreadable`. The parts are not yet checked
    against the questionnaires (the view does that)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        if len(raw) < 12 + 16:
            raise ValueError("too short")
        plain = AESGCM(_key()).decrypt(raw[:12], raw[12:], _aad(token))
        data = json.loads(zlib.decompress(plain, bufsize=16 * 1024).decode("utf-8"))
    except (ValueError, InvalidTag, zlib.error, UnicodeDecodeError):
        raise StateUnreadable("unreadable") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise StateUnreadable("unreadable")
    written, page, parts = data.get("t"), data.get("p"), data.get("s")
    if not isinstance(written, int) or not isinstance(page, int) or not isinstance(parts, dict):
        raise StateUnreadable("unreadable")
    if (now if now is not None else time.time()) - written > MAX_AGE_SECONDS:
        raise StateUnreadable("expired")
    return AnswerState(parts, page)


def fits(value: str) -> bool:
    """Whether an encoded state fits in the cookies this site may set."""
    return len(value) <= CHUNK_SIZE * MAX_CHUNKS


def _names() -> list[str]:
    return [COOKIE] + [f"{COOKIE}{i}" for i in range(1, MAX_CHUNKS)]


def has_cookie() -> bool:
    """Whether the request carries a state cookie at all."""
    return bool(request.cookies.get(COOKIE))


def read(token: str) -> AnswerState | None:
    """The request's state for ``token``: ``None`` when there is no state cookie; raises
    :class:`StateUnreadable` when there is one that cannot be used."""
    chunks = [request.cookies.get(name) for name in _names()]
    if not chunks[0]:
        return None
    value = "".join(c for c in chunks if c)
    if not fits(value):
        raise StateUnreadable("unreadable")
    return decode(value, token)


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def write(response: Any, value: str) -> None:
    """Set the state cookies on ``response`` (``value`` from :func:`encode`, checked by :func:`fits`)."""
    pieces = [value[i : i + CHUNK_SIZE] for i in range(0, len(value), CHUNK_SIZE)]
    for i, name in enumerate(_names()):
        if i < len(pieces):
            response.set_cookie(
                name, pieces[i], path=COOKIE_PATH, httponly=True, samesite="Lax", secure=_secure()
            )
        elif request.cookies.get(name):
            response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="Lax", secure=_secure())


def clear(response: Any) -> None:
    """Delete the state cookies (after Send, or when they can no longer be used)."""
    for name in _names():
        response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="Lax", secure=_secure())
