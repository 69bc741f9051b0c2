"""Staff accounts (admin, HR, committee, manager). Respondents never have accounts."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey.extensions import db
from survey.models import ROLES, Unit, User
from survey.services import Conflict, NotFound, ServiceError

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, role: str, password: str, *, unit_id: str | None = None) -> User:
    """Create an active account. A ``manager`` needs ``unit_id`` (the root of the subtree they see)."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise ServiceError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise ServiceError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if role == "manager" and not unit_id:
        raise ServiceError("a manager needs --unit: the unit whose subtree they may see")
    if role != "manager" and unit_id:
        raise ServiceError(f"only managers have a unit; leave out --unit for role {role}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    session = db.session
    try:
        if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"an account for {email} already exists")
        if unit_id and session.get(Unit, unit_id) is None:
            raise NotFound(f"no unit '{unit_id}'; check the unit_id or import units.csv first")
        user = User(email=email, role=role, manager_unit_id=unit_id, active=True)
        user.set_password(password)
        session.add(user)
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
    """Activate or deactivate an account."""
    session = db.session
    try:
        user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise NotFound(f"no account for {email}")
        user.active = active
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user
