"""Shared helpers of the committee and follow-up tests (no tests here).

``load_example`` stores the worked example (tests/data/example) through the services: the unit tree and
both waves of responses (2025 with baseline 2023). ``sign_in`` puts a staff user into a test client's
session the way Flask-Login does after a successful sign-in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"
QID = "trivsel-eksempel"
PASSWORD = "a-long-test-password"


def load_example() -> None:
    from survey.services import dataset
    from survey.services.units import import_units

    import_units(EXAMPLE / "units.csv")
    dataset.import_responses(
        EXAMPLE / "responses.csv", EXAMPLE / "questionnaire.yaml", baselines={"2025": "2023"}
    )


def make_user(email: str, role: str, unit_id: str | None = None) -> Any:
    from survey.services.users import create_user

    return create_user(email, role, PASSWORD, unit_id=unit_id)


def sign_in(app: Any, client: Any, user: Any) -> None:
    """Mark ``user`` as signed in for ``client`` (Flask-Login session keys, strong protection id)."""
    from flask_login import login_user

    with app.test_request_context(environ_base=client.environ_base):
        from flask import session

        login_user(user)
        data = dict(session)
    with client.session_transaction() as sess:
        sess.update(data)


def csrf(page: str) -> str:
    """The CSRF token of the first form on ``page`` (any attribute order)."""
    for tag in re.findall(r"<input[^>]*>", page):
        if 'name="csrf_token"' in tag:
            match = re.search(r'value="([^"]+)"', tag)
            if match:
                return match.group(1)
    raise AssertionError("no CSRF token on the page")
