"""The ``staff`` blueprint: sign-in, the staff landing page, user administration and HR's waves.

Routes: ``/`` (landing), ``/login``, ``/logout`` (:mod:`.auth_views`); ``/admin/...`` (:mod:`.admin`,
role ``admin``); ``/hr/...`` (:mod:`.waves`, roles ``hr`` and ``admin``). Every staff route is guarded
by :func:`survey.auth.role_required`; every form posts a CSRF token (Flask-WTF's ``CSRFProtect``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from flask_babel import gettext as _
from flask_login import current_user

bp = Blueprint("staff", __name__)

#: roles that run waves
HR_ROLES = ("hr", "admin")


def nav_items() -> list[tuple[str, str]]:
    """``(endpoint, label)`` of the staff navigation for the signed-in user; links to other teams'
    pages appear only when their endpoint exists."""
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    items = [("staff.home", _("Home"))]
    if role in HR_ROLES:
        items.append(("staff.waves", _("Waves")))
    views = current_app.view_functions
    if "reports.overview" in views:
        items.append(("reports.overview", _("Reports")))
    if "committee.index" in views and role in ("admin", "hr", "committee"):
        items.append(("committee.index", _("Funding")))
    if "followup.index" in views and role in ("admin", "hr", "committee"):
        items.append(("followup.index", _("Follow-up")))
    if "annual.index" in views and role in ("admin", "hr"):
        items.append(("annual.index", _("Annual report")))
    if role == "admin":
        items.append(("staff.users", _("Users")))
    return items


@bp.app_context_processor
def _inject_staff_nav() -> dict[str, Any]:
    return {"staff_nav_items": nav_items}


from . import admin, auth_views, waves  # noqa: E402,F401 - registers the routes
