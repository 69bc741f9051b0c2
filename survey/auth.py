"""Staff authentication and authorisation (Flask-Login).

- :data:`login_manager` is bound in :func:`survey.create_app` (``register_extensions``); sessions use
  Flask-Login's "strong" protection (a session whose browser fingerprint changes is dropped).
- :func:`role_required` guards every staff view: anonymous -> redirect to the sign-in page (with a
  local ``next``), signed in with another role -> 403.
- :func:`visible_unit_ids` says which units a user may see in reports (managers: their subtree).
- :func:`begin_session` starts a fresh session for a user (password or OpenID sign-in); the session
  carries the account's ``session_epoch``, and sign-out raises it (``users.end_sessions``), so a copy of
  the cookie made before the sign-out no longer signs anyone in, on any instance.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, redirect, request, session, url_for
from flask_babel import lazy_gettext as _
from flask_login import LoginManager, current_user, login_user

from survey.extensions import db
from survey.models import ROLES, User

F = TypeVar("F", bound=Callable[..., Any])

#: the sign-in view's endpoint (blueprint ``staff``)
LOGIN_VIEW = "staff.login"

login_manager = LoginManager()
login_manager.login_view = LOGIN_VIEW
login_manager.session_protection = "strong"
login_manager.login_message = cast(str, _("Please sign in to see this page."))
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active:
        return None
    if session.get(EPOCH_KEY, 0) != user.session_epoch:  # signed out since this cookie was made
        return None
    return user


#: session key holding the account's session epoch at sign-in
EPOCH_KEY = "_epoch"


def begin_session(user: User) -> None:
    """A fresh session for ``user`` (no fixation, no respondent state), keeping the chosen language."""
    from survey.i18n import current_language, set_language

    lang = current_language()
    session.clear()
    set_language(lang)
    login_user(user)
    session[EPOCH_KEY] = user.session_epoch


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site only (``/x``); the one check for every ``next`` redirect (staff and
    respondent sides).

    Browsers drop tabs, newlines and other control characters and treat a backslash as a slash, so
    ``/\t/evil.example`` or ``/\\evil.example`` would become ``//evil.example``: a target holding any of
    them is refused, as is anything with a scheme or host after whitespace is stripped.
    """
    if not target:
        return False
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target.strip())
    return not parts.scheme and not parts.netloc


def sign_in_redirect() -> Any:
    """Redirect to the sign-in page, remembering the current local path as ``next``."""
    target = request.full_path if request.query_string else request.path
    return redirect(url_for(LOGIN_VIEW, next=target if is_safe_next(target) else None))


def role_required(*roles: str) -> Callable[[F], F]:
    """View decorator: only signed-in, active users whose role is in ``roles``.

    Anonymous -> 302 to the sign-in page with ``next``; signed in with another role -> 403.
    """
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"role_required needs roles from {ROLES}, got {roles}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return sign_in_redirect()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def visible_unit_ids(user: Any) -> set[str] | None:
    """The unit ids ``user`` may see: ``None`` = all (admin, hr, committee); a manager: their subtree.

    Anyone else (anonymous, unknown role, a manager without a unit) sees nothing: an empty set.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    role = getattr(user, "role", None)
    if role in ("admin", "hr", "committee"):
        return None
    if role == "manager" and user.manager_unit_id:
        from survey.services.units import subtree_ids

        return set(subtree_ids(user.manager_unit_id))
    return set()
