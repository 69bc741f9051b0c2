"""Helpers for the staff page tests: accounts, CSRF tokens, signing in."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"  # 21 characters (minimum 12)


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert m, f"no CSRF token on {path}"
    return html.unescape(m.group(1))


def make_user(email: str, role: str, *, unit_id: str | None = None, password: str = PASSWORD) -> Any:
    from survey.services.users import create_user

    return create_user(email, role, password, unit_id=unit_id)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    token = csrf(client)
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password, **extra})


def signed_in(client: FlaskClient, role: str, *, unit_id: str | None = None, lang: str = "en") -> FlaskClient:
    """``client`` signed in as a new user of ``role``, with the pages in ``lang`` (English: the tests
    compare the pages' English texts; the Danish catalogue is checked by test_i18n)."""
    email = f"{role}@example.dk"
    make_user(email, role, unit_id=unit_id)
    client.get(f"/sprog/{lang}")
    r = sign_in(client, email)
    assert r.status_code == 303, r.get_data(as_text=True)
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, *, page: str, **kw: Any) -> Any:
    """POST ``data`` to ``path`` with the CSRF token read from ``page`` (like a browser)."""
    return client.post(path, data={"csrf_token": csrf(client, page), **(data or {})}, **kw)
