"""Database models (SQLAlchemy 2, typed ``Mapped[]`` style).

Anonymity is a property of this schema (DESIGN.md, habit 5):

- ``responses`` rows have a random UUID primary key and hold only: wave, unit, questionnaire id,
  language and the answers. No invitation, token, user, IP address, user agent or timestamp of any kind.
- ``invitations`` are never written by a submit. That an invitation was used is a keyed used-mark
  in ``used_marks`` (``survey.models_audit.UsedMark``, ``survey.services.marks``) written in the same
  transaction as the response; without the key (not in the database) a mark names no invitation.
- free-text comments live in ``comments``, with their own random UUID and no link to the response.
- In SQLite, ``responses`` and ``comments`` are ``WITHOUT ROWID`` tables: rows are stored in the order of
  their random UUID keys, not in insertion order, so the file layout does not reveal who answered when.
  PostgreSQL's physical order (``ctid``) and transaction id (``xmin``) follow the submits until
  ``trivsel privacy restamp`` or closing the wave rewrites the rows in random order (docs/anonymity.md,
  threat 2). Never order or page responses by insertion anywhere.

Answer storage (``Response.answers``, a JSON object; a key is absent when the respondent skipped it):

===========================  =====================================================================
key                          value
===========================  =====================================================================
scale item id (``LED1``)     ``int``: the scale code as answered, including the scale's
                             ``dont_know`` code (e.g. ``9``); never reverse-coded
exposure ``question`` id     ``int`` 0–4 (0 no, 1 a few times, 2 monthly, 3 weekly, 4 daily)
exposure ``source`` id       ``list[str]`` of codes from ``questionnaires.SOURCE_CODES``
                             (``manager colleague subordinate citizen partner``), in that order
exposure ``told`` id         ``list[str]`` of codes from ``questionnaires.TOLD_CODES``, in that order
exposure ``handled`` id      ``str``: one of ``yes partly no dont_know``
===========================  =====================================================================

Follow-up parts (source, handled, told) are only kept when the exposure question was answered with
1–4. This is exactly the cell content of the contract's ``responses.csv`` (contract 1.3), with lists
instead of ``;``-joined strings. ``survey.services.answering.validate_answers`` checks a dict
against the wave's questionnaire snapshot.

A wave runs one or more questionnaires (``WaveQuestionnaire``); each stores the exact validated
definition data (``definition``, JSON) so that a report of 2024 still reads right after the YAML
changes: ``questionnaires.from_dict(wq.definition)`` rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

#: JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

WAVE_STATUSES = ("draft", "open", "closed")
INVITATION_KINDS = ("link", "code")
ROLES = ("admin", "hr", "committee", "manager")
LANGUAGES = ("da", "en")


class Unit(db.Model):  # type: ignore[name-defined]
    """A unit of the organisation tree (contract 1.1)."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.unit_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: employees attached directly to this unit (not its subtree); None = unknown
    headcount: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_nonnegative"),)

    def __repr__(self) -> str:
        return f"<Unit {self.unit_id}>"


class Wave(db.Model):  # type: ignore[name-defined]
    """One survey round, e.g. ``2025``. Status moves draft -> open -> closed, never back."""

    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    opens_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    #: check value of the used-mark key the wave was opened with (``survey.services.marks.key_check``)
    mark_key_check: Mapped[str | None] = mapped_column(String(16))

    baseline: Mapped[Wave | None] = relationship(remote_side=[id])
    questionnaires: Mapped[list[WaveQuestionnaire]] = relationship(
        back_populates="wave", order_by="WaveQuestionnaire.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_valid"),
        CheckConstraint(
            "closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on", name="dates_ordered"
        ),
    )

    def __repr__(self) -> str:
        return f"<Wave {self.label} {self.status}>"


class WaveQuestionnaire(db.Model):  # type: ignore[name-defined]
    """A questionnaire a wave runs, with the exact definition snapshot it runs with."""

    __tablename__ = "wave_questionnaires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    #: order in which respondents answer the wave's questionnaires
    position: Mapped[int] = mapped_column(Integer)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    #: the validated YAML data as JSON; ``questionnaires.from_dict(definition)`` rebuilds it
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)

    wave: Mapped[Wave] = relationship(back_populates="questionnaires")

    __table_args__ = (
        UniqueConstraint("wave_id", "questionnaire_id", name="uq_wave_questionnaires_wave_questionnaire"),
        UniqueConstraint("wave_id", "position", name="uq_wave_questionnaires_wave_position"),
    )

    def load(self) -> Any:
        """The snapshot as a ``questionnaires.Questionnaire``."""
        from questionnaires import from_dict

        return from_dict(self.definition, f"wave questionnaire {self.questionnaire_id} v{self.version}")


class Invitation(db.Model):  # type: ignore[name-defined]
    """A one-time right to answer a wave for a unit. Only the SHA-256 of the token is stored.

    No time column on purpose: not when it was sent, not when it was used. Whether it was used is
    its keyed used-mark (``survey.services.marks``); a submit never writes this row.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), index=True)
    #: hex SHA-256 of the token (link) or of the normalised code
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(4))
    #: address the link was sent to; only while the wave is open (deleted on close)
    email: Mapped[str | None] = mapped_column(String(320))

    __table_args__ = (CheckConstraint("kind IN ('link', 'code')", name="kind_valid"),)


class Response(db.Model):  # type: ignore[name-defined]
    """One respondent's answers to one questionnaire of a wave. See the module docstring."""

    __tablename__ = "responses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)

    # WITHOUT ROWID: stored in random-UUID order in SQLite (PostgreSQL ctid: later anonymity work)
    __table_args__ = ({"sqlite_with_rowid": False},)


class Comment(db.Model):  # type: ignore[name-defined]
    """A free-text answer, stored apart from the response it came with (no link to it)."""

    __tablename__ = "comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)

    # WITHOUT ROWID: stored in random-UUID order in SQLite (PostgreSQL ctid: later anonymity work)
    __table_args__ = ({"sqlite_with_rowid": False},)


class User(db.Model):  # type: ignore[name-defined]
    """A staff account (HR, committee, manager, admin). Respondents never have accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    #: for role ``manager``: the root of the subtree the manager may see
    manager_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.unit_id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: failed sign-ins in a row (reset by a successful one); 5 lock the account for 15 minutes
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: sign-in refused until then (UTC, naive); None = not locked
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: the ``sub`` claim of this person at the configured OpenID provider (``TRIVSEL_OIDC_ISSUER``);
    #: None = not linked (signs in with a password, or is linked at the first OpenID sign-in by e-mail)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: raised by every sign-out: a session cookie made before it no longer signs anyone in (survey.auth)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'hr', 'committee', 'manager')", name="role_valid"),
        CheckConstraint("role <> 'manager' OR manager_unit_id IS NOT NULL", name="manager_has_unit"),
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login protocol (used by the staff blueprints)
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Publication(db.Model):  # type: ignore[name-defined]
    """A closed wave's published report for one questionnaire, frozen with the unit tree it used.

    Version 1 is written when the wave closes (or at its first report), by
    ``survey.services.reporting.publication``; HR may publish it again (``reporting.republish``, after
    late vendor imports), which adds version 2, 3, ... checked against every earlier version
    (``analysis.publish.version_rule``). Every page and export of the closed wave reads the newest
    version, so a later edit of the unit tree never changes a published number (contract 5.4).
    """

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    #: 1 for the publication at close, then one more for every re-publication
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: when it was published (UTC; null for publications made before versions were recorded)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: who published it: a staff user's id, ``cli`` or ``system`` (null before versions were recorded)
    created_by: Mapped[str | None] = mapped_column(String(64))
    #: the published (redacted) report dict that every page and export of the wave shows
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: the unit tree it was computed with: ``[[unit_id, parent_id, name, headcount], ...]``
    units: Mapped[list[Any]] = mapped_column(JSONType)

    __table_args__ = (
        UniqueConstraint("wave_id", "questionnaire_id", "version",
                         name="uq_publications_wave_questionnaire_version"),
    )
