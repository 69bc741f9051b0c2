"""The audit log: :func:`record` writes who did what, when, in the caller's transaction.

Call it from a service *before* the service commits: the event is added to the current session and is
committed (or rolled back) together with the change it describes. Views and CLI commands never call it
(``tests/survey/test_layers.py``): they call the service, which owns the transaction and its event;
:func:`log` is the service for an audited action that changes nothing else. Never pass
answers, free text, tokens or codes - only ids and labels of staff-visible objects.

>>> record("wave.delete", target="2024", detail="responses=120")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey.extensions import db
from survey.models_audit import AuditEvent

ACTION_MAX = 64
TARGET_MAX = 320
DETAIL_MAX = 2000


def current_actor() -> str:
    """The signed-in staff user's id, or ``cli`` outside a request / without a signed-in user."""
    from flask import has_request_context

    if has_request_context():
        try:
            from flask_login import current_user
        except ImportError:  # pragma: no cover - flask-login is a dependency
            return "cli"
        try:
            if current_user and current_user.is_authenticated:
                return str(current_user.get_id())
        except Exception:  # no LoginManager on this app (yet): nobody is signed in
            return "anonymous"
        return "anonymous"
    return "cli"


def record(action: str, target: str | None = None, detail: str | None = None) -> AuditEvent:
    """Add an audit event to the current session (committed with the caller's transaction).

    ``action`` is a short dotted name (``wave.delete``); ``target`` and ``detail`` are truncated to
    the column sizes. Raises ``ValueError`` for an empty action.
    """
    action = (action or "").strip()
    if not action:
        raise ValueError("audit action must be a non-empty name such as 'wave.delete'")
    event = AuditEvent(
        at=dt.datetime.now(dt.UTC),
        actor=current_actor()[:64],
        action=action[:ACTION_MAX],
        target=None if target is None else str(target)[:TARGET_MAX],
        detail=None if detail is None else str(detail)[:DETAIL_MAX],
    )
    db.session.add(event)
    return event


def log(action: str, target: str | None = None, detail: str | None = None) -> None:
    """Record an event in a transaction of its own and commit it: for audited actions that change
    nothing else (a backup written, a file exported). Same rules as :func:`record`."""
    try:
        record(action, target=target, detail=detail)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def recent(limit: int = 100) -> list[AuditEvent]:
    """The newest ``limit`` events, newest first."""
    return list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
