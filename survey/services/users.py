"""Staff accounts (admin, HR, committee, manager). Respondents never have accounts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from survey.extensions import db
from survey.models import ROLES, Unit, User
from survey.services import Conflict, NotFound, ServiceError, audit

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    email: str,
    role: str,
    password: str | None,
    *,
    unit_id: str | None = None,
    oidc_subject: str | None = None,
) -> User:
    """Create an active account. A ``manager`` needs ``unit_id`` (the root of the subtree they see).

    ``oidc_subject`` links it to a person at the OpenID provider; then ``password`` may be None (the
    account signs in only through the provider). Audited (``user.create``)."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise ServiceError("'%(email)s' is not an e-mail address", email=email)
    if role not in ROLES:
        raise ServiceError(
            "role must be one of %(choices)s, got '%(role)s'",
            choices=", ".join(ROLES),
            role=role,
        )
    if role == "manager" and not unit_id:
        raise ServiceError("a manager needs --unit: the unit whose subtree they may see")
    if role != "manager" and unit_id:
        raise ServiceError("only managers have a unit; leave out --unit for role %(role)s", role=role)
    if password is None and not oidc_subject:
        raise ServiceError("give a password, or the OpenID subject of an account without one")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            "the password must have at least %(min)s characters",
            min=MIN_PASSWORD_LENGTH,
        )
    session = db.session
    try:
        if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise Conflict("an account for %(email)s already exists", email=email)
        if oidc_subject:
            _check_subject_free(oidc_subject)
        if unit_id and session.get(Unit, unit_id) is None:
            raise NotFound(
                "no unit '%(unit_id)s'; check the unit_id or import units.csv first",
                unit_id=unit_id,
            )
        user = User(email=email, role=role, manager_unit_id=unit_id, active=True, oidc_subject=oidc_subject)
        if password is None:
            user.password_hash = NO_PASSWORD
        else:
            user.set_password(password)
        session.add(user)
        audit.record("user.create", target=email, detail=f"role={role}")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, else None (reads only)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def set_active(email: str, active: bool) -> User:
    """Activate or deactivate an account (audited: ``user.activate`` / ``user.deactivate``)."""
    session = db.session
    try:
        user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise NotFound("no account for %(email)s", email=email)
        user.active = active
        audit.record("user.activate" if active else "user.deactivate", target=str(user.id))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


# --- sign-in with lock-out, and the admin pages' use cases ------------------------------------------

#: failed sign-ins in a row that lock an account, and for how long
LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15
#: a hash to check against when the e-mail is unknown, so both cases take the same time
_DUMMY_HASH = generate_password_hash("trivsel-dummy-password")


def utcnow() -> dt.datetime:
    """Now in UTC as a naive datetime (the ``locked_until`` column has no time zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def sign_in(email: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """The user for a sign-in attempt, or None (unknown e-mail, wrong password, inactive or locked).

    Every failed password for an existing account counts; the 5th in a row locks the account for
    15 minutes (attempts while locked are refused without checking the password and do not count).
    A successful sign-in resets the count. The caller shows the same message for every None.

    Concurrent attempts cannot lose counts or slip past the lock: each attempt first *reserves* its
    place with one atomic ``UPDATE users SET failed_logins = failed_logins + 1 ... RETURNING
    failed_logins`` (committed before the password is checked), so at most ``LOCK_AFTER_FAILURES``
    passwords are ever checked between two locks; an attempt whose place is beyond that is refused
    unchecked and locks the account. A correct password then resets the count.
    """
    now = now or utcnow()
    session = db.session
    try:
        user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        user_id, active = user.id, user.active
        place = session.execute(
            sa.update(User)
            .where(User.id == user_id, _not_locked(now))
            .values(failed_logins=sa.func.coalesce(User.failed_logins, 0) + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        session.commit()
        if place is None or place > LOCK_AFTER_FAILURES:
            # locked, or the allowance is taken by attempts still being checked: same time as a check
            check_password_hash(_DUMMY_HASH, password)
            if place is not None:
                _lock(user_id, now)
            return None
        if not user.check_password(password):
            if place == LOCK_AFTER_FAILURES:
                _lock(user_id, now)
            return None
        if not active:  # the right password of a deactivated account: give the reserved place back
            session.execute(
                sa.update(User)
                .where(User.id == user_id, User.failed_logins > 0)
                .values(failed_logins=User.failed_logins - 1)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            return None
        session.execute(
            sa.update(User)
            .where(User.id == user_id)
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        audit.record("auth.sign_in", target=str(user_id))
        session.commit()
        user = session.get(User, user_id, populate_existing=True)
    except Exception:
        session.rollback()
        raise
    return user


def _not_locked(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(User.locked_until.is_(None), User.locked_until <= now)


def _lock(user_id: int, now: dt.datetime) -> None:
    """Lock the account for ``LOCK_MINUTES`` and start counting again; one audit event per lock (the
    first of several concurrent attempts that lock it writes it)."""
    session = db.session
    locked = session.execute(
        sa.update(User)
        .where(User.id == user_id, _not_locked(now))
        .values(locked_until=now + dt.timedelta(minutes=LOCK_MINUTES), failed_logins=0)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount:  # type: ignore[attr-defined]
        audit.record("auth.locked", target=str(user_id), detail=f"{LOCK_MINUTES} minutes")
    session.commit()


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no account with id %(user_id)s", user_id=user_id)
    return user


def reset_password(user_id: int, password: str) -> User:
    """Set a new password; also lifts a lock-out and ends every open session of the account (whoever
    knew the old password may hold one)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            "the password must have at least %(min)s characters",
            min=MIN_PASSWORD_LENGTH,
        )
    session = db.session
    try:
        user = get_user(user_id)
        user.set_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record("user.password_reset", target=str(user_id))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


# --- OpenID Connect sign-in (survey.oidc) and sign-out ----------------------------------------------

#: stored as the password hash of accounts made at an OpenID sign-in: matches no password
NO_PASSWORD = "!oidc-no-password"


class NoAccess(ServiceError):
    """The person signed in at the provider but has no role (or no active account) in Trivsel."""

    def __init__(self, reason: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.reason = reason  # no_role | no_unit | inactive | no_email


def oidc_sign_in(
    subject: str,
    email: str | None,
    *,
    email_verified: bool,
    role: str | None,
    unit_id: str | None,
    role_from_claim: bool,
) -> User:
    """The account for a person the OpenID provider vouched for; one transaction.

    1. The account linked to ``subject``; else the account with this e-mail that is not linked yet,
       only if the provider says the address is verified (it is then linked to ``subject``).
    2. With a role claim configured (``role_from_claim``) the claim decides: no role in the claim ->
       :class:`NoAccess`, even if an administrator gave the account a role (withdrawing the role at the
       provider withdraws access); the account's role and unit follow the claim, and an account is
       created when none exists. Without a role claim the role is what an administrator assigned:
       no account -> :class:`NoAccess`.
    3. A manager needs a unit (the unit claim, or the one assigned); a deactivated account is refused.
    """
    session = db.session
    try:
        user = session.scalar(sa.select(User).where(User.oidc_subject == subject))
        if user is None and email and email_verified:
            user = session.scalar(
                sa.select(User).where(User.email == normalise_email(email), User.oidc_subject.is_(None))
            )
            if user is not None:
                user.oidc_subject = subject
                audit.record("auth.oidc_link", target=str(user.id))
        if role_from_claim and role is None:
            raise NoAccess("no_role", "the provider's role claim gives this person no Trivsel role")
        new_unit: str | None = None
        if role_from_claim and role == "manager":
            new_unit = unit_id or (user.manager_unit_id if user is not None else None)
            if new_unit is None or session.get(Unit, new_unit) is None:
                raise NoAccess("no_unit", "the role is manager but no known unit was given")
        if user is None:
            if not role_from_claim or role is None:
                raise NoAccess("no_role", "no Trivsel account is assigned to this person yet")
            if not email or not _EMAIL.match(normalise_email(email)):
                raise NoAccess("no_email", "the provider sent no e-mail address for this person")
            if session.scalar(sa.select(User.id).where(User.email == normalise_email(email))) is not None:
                raise NoAccess("no_role", "an account with this e-mail is linked to another identity")
            user = User(
                email=normalise_email(email),
                role=role,
                manager_unit_id=new_unit,
                active=True,
                password_hash=NO_PASSWORD,
                oidc_subject=subject,
            )
            session.add(user)
        elif role_from_claim and role is not None and (user.role, user.manager_unit_id) != (role, new_unit):
            audit.record("user.role_from_provider", target=str(user.id), detail=f"role={role}")
            user.role, user.manager_unit_id = role, new_unit
        if not user.active:
            raise NoAccess("inactive", "this account is deactivated")
        session.flush()
        audit.record("auth.sign_in", target=str(user.id), detail="oidc")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


def end_sessions(user_id: int) -> None:
    """Sign-out: raise the account's session epoch, so every copy of its session cookie stops working."""
    session = db.session
    try:
        session.execute(
            sa.update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1)
        )
        audit.record("auth.sign_out", target=str(user_id))
        session.commit()
    except Exception:
        session.rollback()
        raise


def _check_subject_free(subject: str) -> None:
    if not subject.strip() or len(subject) > 255:
        raise ServiceError("the OpenID subject must be 1 to 255 characters (the provider's 'sub' claim)")
    if db.session.scalar(sa.select(User.email).where(User.oidc_subject == subject)) is not None:
        raise Conflict(
            "the OpenID subject '%(subject)s' is already linked to another account",
            subject=subject,
        )


def link_oidc_subject(email: str, subject: str) -> User:
    """Link the account of ``email`` to the person ``subject`` at the OpenID provider (an admin's
    assignment: the account's role then applies when that person signs in)."""
    session = db.session
    try:
        user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise NotFound("no account for %(email)s", email=email)
        if user.oidc_subject != subject:
            _check_subject_free(subject)
            user.oidc_subject = subject
            audit.record("user.oidc_link", target=str(user.id))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user
