"""Security headers, cookie flags and the rate limits on the respondent entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from survey import create_app
from survey.security import CSP
from tests.survey.respond_flow import Respondent


def test_every_response_carries_the_security_headers(client: Any) -> None:
    for path in ("/kode", "/no-such-page", "/start"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in r.headers["Permissions-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"
    assert CSP.startswith("default-src 'self'")


def test_pages_have_no_inline_scripts_or_styles(client: Any) -> None:
    """The CSP forbids inline code; a page that relied on it would break silently in browsers."""
    body = client.get("/kode").get_data(as_text=True)
    assert "<script>" not in body and "<style" not in body and " style=" not in body
    assert " onclick=" not in body and " onload=" not in body


def _session_cookie(response: Any) -> str:
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[0]


def test_session_cookie_is_httponly_and_samesite_lax(client: Any) -> None:
    cookie = _session_cookie(client.get("/kode"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development runs on plain http://localhost


def test_session_cookie_is_secure_in_production(database_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "TRIVSEL_ENV": "production",
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": database_url,
        }
    )
    cookie = _session_cookie(app.test_client().get("/kode"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _post_code(client: Any, csrf: str, code: str) -> int:
    return int(client.post("/kode", data={"csrf_token": csrf, "code": code}).status_code)


def test_code_guessing_is_stopped_after_ten_failures_per_minute(
    app: Flask,
    client: Any,
    make_units: Callable[..., None],
    make_wave: Callable[..., Any],
    make_invitation: Callable[..., str],
) -> None:
    make_units()
    make_wave()
    code = make_invitation(kind="code")
    resp = Respondent(client)
    resp.client.get("/kode")
    resp._keep(client.get("/kode"))
    csrf = resp.hidden("csrf_token")
    assert csrf
    # a valid code is not a failure: it does not use up the allowance (a workplace behind one IP)
    for _ in range(12):
        assert _post_code(client, csrf, code) == 303
    statuses = [_post_code(client, csrf, "ZZZZ-ZZZZ-ZZZZ") for _ in range(10)]
    assert statuses == [422] * 10  # ten wrong guesses are answered ...
    blocked = client.post("/kode", data={"csrf_token": csrf, "code": "ZZZZ-ZZZZ-ZZZY"})
    assert blocked.status_code == 429  # ... the eleventh is refused without being looked up
    page = blocked.get_data(as_text=True)
    assert "<h1>" in page and blocked.headers["Content-Security-Policy"]
    # even the right code is refused now: the limit is per client, not per code
    assert _post_code(client, csrf, code) == 429
    # another client (IP address) is not affected
    other = app.test_client()
    assert other.post("/kode", data={"code": code}, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code in (
        303,
        400,  # no CSRF token in this request; what matters is that it is not 429
    )


def test_unknown_links_are_rate_limited_but_valid_ones_are_not(
    client: Any,
    make_units: Callable[..., None],
    make_wave: Callable[..., Any],
    make_invitation: Callable[..., str],
) -> None:
    make_units()
    make_wave()
    token = make_invitation()
    for _ in range(12):
        assert client.get(f"/r/{token}").status_code == 303
    assert [client.get(f"/r/guess{i}").status_code for i in range(10)] == [404] * 10
    assert client.get("/r/guess-eleven").status_code == 429
    assert client.get(f"/r/{token}").status_code == 429


def test_rate_limit_is_configurable(database_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "TRIVSEL_RATELIMIT_CODE": "2/minute",
        }
    )
    c = app.test_client()
    assert [c.post("/kode", data={"code": "x"}).status_code for _ in range(3)] == [422, 422, 429]


def _resigned(app: Flask, cookie: str, secret: str) -> str:
    """The session cookie ``cookie`` of ``app`` with the same contents, signed with ``secret``."""
    real = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert real is not None
    data = real.loads(cookie)
    other = Flask("forger")
    other.secret_key = secret
    forger = other.session_interface.get_signing_serializer(other)  # type: ignore[attr-defined]
    assert forger is not None
    return str(forger.dumps(data))


def test_a_cookie_signed_with_the_old_public_key_does_not_open_admin_pages(
    database_url: str, tmp_path: Any, monkeypatch: Any
) -> None:
    """Threat (issue 10, item 6): the development key was printed in the source, so anyone could sign a
    session cookie for an administrator. Without a configured SECRET_KEY the app now uses a random key
    kept in its instance folder; the forged cookie opens nothing."""
    from survey.config import DEV_SECRET_KEY
    from survey.extensions import db
    from tests.survey.staff_helpers import make_user, sign_in

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SECRET_KEY"] not in (None, "", DEV_SECRET_KEY)
    assert (tmp_path / "instance" / "secret_key").is_file()
    try:
        with app.app_context():
            make_user("admin@example.dk", "admin")
        victim = app.test_client()
        assert sign_in(victim, "admin@example.dk").status_code == 303
        cookie = victim.get_cookie("session")
        assert cookie is not None
        for secret, opens in ((str(app.config["SECRET_KEY"]), True), (DEV_SECRET_KEY, False)):
            forger = app.test_client()
            forger.set_cookie("session", _resigned(app, cookie.value, secret))
            r = forger.get("/admin/users")
            # the same contents signed with the app's own key open the page: the forgery is otherwise
            # complete, so only the key keeps the old public constant out
            assert (r.status_code == 200) is opens, (secret, r.status_code)
            if not opens:
                assert r.status_code == 302 and "/login" in r.headers["Location"]
    finally:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()

