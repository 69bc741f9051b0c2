"""The ``committee`` blueprint (``/udvalg``): funding rounds, applications, overrides, decisions and memos.

Roles: ``committee`` and ``admin`` act; ``hr`` reads (every GET). Views parse, check the role, call one
service (:mod:`survey.services.funding`) and render; every number comes from the stored analysis result.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/udvalg")

#: may change rounds, applications, overrides and decisions
ACT_ROLES = ("committee", "admin")
#: may read every committee page and memo
READ_ROLES = ("committee", "admin", "hr")

from . import views  # noqa: E402,F401 - registers the routes
