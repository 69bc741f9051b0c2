"""Privacy operations and the audit log."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from survey.models_audit import AuditEvent
from survey.services import audit


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
