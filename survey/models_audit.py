"""The audit log model: who did what to which object, and when. Never answers, tokens or codes.

Only staff and command-line actions are audited (respondents are anonymous and never appear here).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
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
