"""The ``followup`` blueprint (``/opfoelgning``): which units need an action plan, and the plans.

HR and admin see and edit every unit's plans; a manager sees and edits the plans of their subtree only
(other units: 403). Views parse, check access, call :mod:`survey.services.followup`, render.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followup", __name__, url_prefix="/opfoelgning")

ROLES = ("hr", "admin", "manager")

from . import views  # noqa: E402,F401 - registers the routes
