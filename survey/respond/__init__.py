"""The ``respond`` blueprint: anonymous answering for employees."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import views  # noqa: E402,F401 - registers the routes
