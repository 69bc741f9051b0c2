"""Models of the work-environment figures: absence, Bradford distributions, incidents, authority reactions.

Every row is a **unit-level** figure: absence days per unit and month, incident counts per unit, month and
kind, the number of persons per Bradford band per unit and year, and the Working Environment Authority's
reactions per workplace. A person-level absence file (spells) is aggregated in memory on import
(``analysis.workenv.spells_to_unit_months``); no table here has a column for a person, a name or a spell.

``unit_id`` is a plain string, not a foreign key, so that reorganising the unit tree never blocks on last
year's absence figures; rows of units that are no longer in the tree are left out of the figures
(``survey.services.workenv``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .models_funding import utcnow


class WorkenvAbsence(db.Model):  # type: ignore[name-defined]
    """Absence of one unit (its directly attached staff) in one month (docs/formats.md, absence.csv)."""

    __tablename__ = "workenv_absence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    fte: Mapped[float] = mapped_column(Float)
    headcount: Mapped[int] = mapped_column(Integer)
    hours_worked: Mapped[float | None] = mapped_column(Float)
    own_illness: Mapped[float] = mapped_column(Float, default=0.0)
    work_injury: Mapped[float] = mapped_column(Float, default=0.0)
    child_sick: Mapped[float] = mapped_column(Float, default=0.0)
    senior: Mapped[float] = mapped_column(Float, default=0.0)
    care: Mapped[float] = mapped_column(Float, default=0.0)
    maternity: Mapped[float] = mapped_column(Float, default=0.0)
    section56: Mapped[float] = mapped_column(Float, default=0.0)
    band_0_9: Mapped[float] = mapped_column(Float, default=0.0)
    band_10_29: Mapped[float] = mapped_column(Float, default=0.0)
    band_30_plus: Mapped[float] = mapped_column(Float, default=0.0)
    #: sick days in spells of more than 20 days; None when the file did not say
    long_term: Mapped[float | None] = mapped_column(Float)
    #: ``absence`` (absence.csv) or ``spells`` (aggregated from spells.csv)
    source: Mapped[str] = mapped_column(String(10))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("unit_id", "month", name="uq_workenv_absence_unit_month"),
        CheckConstraint("fte >= 0 AND headcount >= 0", name="staff_nonnegative"),
        CheckConstraint("source IN ('absence', 'spells')", name="source_valid"),
    )


class WorkenvBradford(db.Model):  # type: ignore[name-defined]
    """How many persons of a unit had a Bradford factor in a band in a year (counts only)."""

    __tablename__ = "workenv_bradford"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    band: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("unit_id", "year", "band", name="uq_workenv_bradford_unit_year_band"),
        CheckConstraint("persons >= 0", name="persons_nonnegative"),
    )


class WorkenvIncident(db.Model):  # type: ignore[name-defined]
    """Accidents or incidents of one kind in a unit in a month (docs/formats.md, incidents.csv)."""

    __tablename__ = "workenv_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    count: Mapped[int] = mapped_column(Integer)
    absence_days: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (
        UniqueConstraint("unit_id", "month", "kind", name="uq_workenv_incidents_unit_month_kind"),
        CheckConstraint("count >= 0 AND absence_days >= 0", name="counts_nonnegative"),
    )


class WorkenvReaction(db.Model):  # type: ignore[name-defined]
    """A reaction of the Working Environment Authority to a workplace (docs/formats.md, reactions.csv)."""

    __tablename__ = "workenv_reactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('strakspaabud', 'paabud', 'paatale', 'aftaleforloeb', 'vejledning')", name="kind_valid"
        ),
    )


class HelpContact(db.Model):  # type: ignore[name-defined]
    """One of the organisation's own help contacts, set by HR (issue 13, item 5): shown at the end of the
    offensive-behaviour part of the questionnaire and on the units' dialogue sheets. ``kind`` is one of
    ``survey.services.help_contacts.KINDS``; one row per kind, no row when HR left the kind empty."""

    __tablename__ = "help_contacts"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    text_da: Mapped[str] = mapped_column(String(500), default="")
    text_en: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('hr', 'representative', 'counselling')", name="kind_valid"),
    )
