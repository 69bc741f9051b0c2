"""The audit log model: who did what to which object, and when. Never answers, tokens or codes.

Only staff and command-line actions are audited (respondents are anonymous and never appear here).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """One audited staff or CLI action (``survey.services.audit.record``)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: UTC time of the action
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: the signed-in user's id, or ``cli`` for command-line actions
    actor: Mapped[str] = mapped_column(String(64))
    #: what was done, e.g. ``wave.delete`` or ``user.sign_in_failed``
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: the object acted on, e.g. a wave label or a user e-mail
    target: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} by {self.actor}>"


class UsedMark(db.Model):  # type: ignore[name-defined]
    """That *some* invitation of a wave and unit was used, without saying which (docs/anonymity.md).

    A submit does not touch the invitation row at all: it inserts this row (in the same transaction
    as the response). While the wave is open ``mark`` is ``survey.services.marks.mark_for(wave id,
    invitation id)``, an HMAC-SHA256 under a key that is not in the database: the application can
    tell used from unused invitations (reminders go to unused ones only), but nobody holding only
    the database can tell which invitation a mark belongs to. So the PostgreSQL transaction id
    (``xmin``) shared by a response and its used-mark pairs the response with an anonymous mark,
    never with an invitation or an address. When the wave closes every mark of the wave is replaced
    by random bytes (``marks.seal_wave``); the rows per unit stay, so participation counts stay right.
    """

    __tablename__ = "used_marks"

    mark: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), index=True)

    # WITHOUT ROWID: SQLite stores the marks in the order of their random keys
    __table_args__ = ({"sqlite_with_rowid": False},)
