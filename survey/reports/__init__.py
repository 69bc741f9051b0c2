"""The ``reports`` blueprint (``/rapporter``): HR, manager and committee report pages and exports.

Every number on these pages comes from the analysis report (``survey.services.reporting``); views only
select, order and format. Managers see the whole organisation's report filtered to their subtree.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/rapporter")

from . import trends, views  # noqa: E402,F401 - registers the routes
