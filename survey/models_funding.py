"""Models of the committee's funding decisions and of the follow-up tracker.

- :class:`FundingRound`: one per wave (over all of the wave's questionnaires), with the committee's budget,
  optional cap and beta. Rounds made before a round covered the whole wave keep their questionnaire.
- :class:`FundingApplication`: an application of a unit (contract 3: ``application_id, unit_id, requested``)
  plus the themes the follow-up addresses, the MED area and a description.
- :class:`FundingOverride`: the committee's fixed amount for a unit, always with a written reason.
- :class:`FundingDecision`: one *version* of the allocation. Running the allocation writes the current draft
  version, or a new version when the latest is locked; a locked version never changes. Each version keeps a
  snapshot of its inputs (budget, cap, beta, applications, overrides), the report's funding rows it used and
  the ``analysis.allocate`` result, so the memo of a locked decision reads the same years later.
- :class:`FollowUpPlan`: an action plan for a unit after a wave (what, owner, due date, status, evaluation).

Nothing here holds answers or links to responses: only unit-level decisions by staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .models import JSONType

FOLLOWUP_STATUSES = ("planned", "in_progress", "done")
DECISION_STATUSES = ("draft", "locked")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FundingRound(db.Model):  # type: ignore[name-defined]
    """The committee's funding round for one wave (``questionnaire_id`` None: every questionnaire of it)."""

    __tablename__ = "funding_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    #: None for a round over the whole wave; a questionnaire id for a round made before that
    questionnaire_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    budget: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)
    beta: Mapped[float] = mapped_column(Float, default=1.0)

    applications: Mapped[list[FundingApplication]] = relationship(
        back_populates="round", order_by="FundingApplication.application_id", cascade="all, delete-orphan"
    )
    overrides: Mapped[list[FundingOverride]] = relationship(
        back_populates="round", order_by="FundingOverride.unit_id", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[FundingDecision]] = relationship(
        back_populates="round", order_by="FundingDecision.version", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("wave_id", "questionnaire_id", name="uq_funding_rounds_wave_questionnaire"),
        CheckConstraint("budget >= 0", name="budget_nonnegative"),
        CheckConstraint("cap IS NULL OR cap >= 0", name="cap_nonnegative"),
        CheckConstraint("beta >= 0", name="beta_nonnegative"),
    )


class FundingApplication(db.Model):  # type: ignore[name-defined]
    """One application for funds (one per unit and round)."""

    __tablename__ = "funding_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("funding_rounds.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    #: DKK, integer > 0
    requested: Mapped[int] = mapped_column(Integer)
    #: the themes the follow-up will address, "; "-separated (e.g. "Ledelse; Stress")
    themes: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: the MED area the application comes from (e.g. "FagMED Senior"); "" when not given
    med_area: Mapped[str] = mapped_column(String(200), default="", server_default="")

    round: Mapped[FundingRound] = relationship(back_populates="applications")

    __table_args__ = (
        UniqueConstraint("round_id", "application_id", name="uq_funding_applications_round_application"),
        UniqueConstraint("round_id", "unit_id", name="uq_funding_applications_round_unit"),
        CheckConstraint("requested > 0", name="requested_positive"),
    )


class FundingOverride(db.Model):  # type: ignore[name-defined]
    """The committee's fixed amount for a unit in a round, with its reason."""

    __tablename__ = "funding_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("funding_rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)

    round: Mapped[FundingRound] = relationship(back_populates="overrides")

    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", name="uq_funding_overrides_round_unit"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )


class FundingDecision(db.Model):  # type: ignore[name-defined]
    """One version of a round's allocation: inputs, the report's funding rows and the result."""

    __tablename__ = "funding_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("funding_rounds.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    run_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    run_by: Mapped[str] = mapped_column(String(320))
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_by: Mapped[str | None] = mapped_column(String(320))
    #: budget, cap, beta, applications and overrides as used
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: the report's ``funding`` rows (criteria, points, evidence) and published units as used
    funding: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: ``analysis.allocate(...).to_dict()``
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)

    round: Mapped[FundingRound] = relationship(back_populates="decisions")

    __table_args__ = (
        UniqueConstraint("round_id", "version", name="uq_funding_decisions_round_version"),
        CheckConstraint("status IN ('draft', 'locked')", name="status_valid"),
        CheckConstraint(
            "(status = 'locked') = (locked_at IS NOT NULL AND locked_by IS NOT NULL)",
            name="locked_has_who_when",
        ),
    )


class FollowUpPlan(db.Model):  # type: ignore[name-defined]
    """An action plan for a unit after a wave (wave + questionnaire)."""

    __tablename__ = "followup_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    evaluation: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))

    __table_args__ = (CheckConstraint("status IN ('planned', 'in_progress', 'done')", name="status_valid"),)
