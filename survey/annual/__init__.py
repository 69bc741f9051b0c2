"""The ``annual`` blueprint (``/aarsrapport``): work-environment figures and the annual report, HR and admin.

Routes: ``/aarsrapport/`` (the report for a year, the organisation or one MED area; ``.pdf`` and ``.xlsx``
of the same), ``/aarsrapport/import`` (absence, spells, incidents and reactions files) and
``/aarsrapport/<year>/dialog/<unit>`` (the dialogue sheet of a unit), ``/aarsrapport/hjaelp`` (the help
contacts, :mod:`.help`). Commands (top level, via the blueprint's
CLI group): ``trivsel annual-report`` and ``trivsel workenv-import``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("annual", __name__, url_prefix="/aarsrapport", cli_group=None)

ROLES = ("hr", "admin")

from . import cli, help, views  # noqa: E402,F401 - registers the routes and commands
