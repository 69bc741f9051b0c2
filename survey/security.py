"""Web security: response headers, cookie flags and rate limits.

:func:`init_security` (called once from ``create_app``) adds:

- headers on every response: a Content-Security-Policy that allows only this site's own files (no
  inline scripts or styles, no framing), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer`` (a respondent's page never tells another site where it came from),
  ``Permissions-Policy`` switching off powerful browser features, ``X-Frame-Options: DENY`` for old
  browsers;
- session and remember-me cookies that are HttpOnly and SameSite=Lax (and Secure in production;
  ``survey.config`` sets that);
- Flask-Limiter rate limits on the two ways in for respondents. Only *failed* attempts count
  (an unknown code or link), so a whole workplace behind one public IP address can still enter its
  valid codes, while guessing is capped at ``TRIVSEL_RATELIMIT_CODE`` (default 10 per minute and
  50 per hour per IP address). Counters are kept in memory by default (per process: with ``n``
  gunicorn workers a guesser gets at most ``n`` times the limit); set ``RATELIMIT_STORAGE_URI``
  (e.g. ``redis://localhost:6379``) to share them. docs/anonymity.md computes what guessing costs;
- the same mechanism and storage on staff sign-in: failed password POSTs to ``/login`` (anything but
  the 303 of a successful sign-in) count per client address, ``TRIVSEL_RATELIMIT_LOGIN`` (default 10
  per minute and 50 per hour). The account lock-out (``services.users``) stops guessing one account;
  this stops one client from guessing many, or keeping every account locked.

Behind a reverse proxy the client address is the proxy's unless the deployment wraps the app in
``werkzeug.middleware.proxy_fix.ProxyFix`` (then every limit applies per real client).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: failed code entries / unknown links allowed per client IP address
DEFAULT_CODE_LIMIT = "10/minute;50/hour"
DEFAULT_LINK_LIMIT = "10/minute;50/hour"
#: failed staff sign-ins allowed per client IP address
DEFAULT_LOGIN_LIMIT = "10/minute;50/hour"


def _failed_code(response: Response) -> bool:
    """A code entry counts against the limit unless it was accepted (303 to the start page)."""
    return response.status_code != 303


def _failed_link(response: Response) -> bool:
    """A link counts against the limit only when the token is unknown (404)."""
    return response.status_code == 404


def _failed_login(response: Response) -> bool:
    """A sign-in POST counts against the limit unless it signed someone in (303)."""
    return response.status_code != 303


def configure(app: Flask) -> None:
    """Defaults for the cookie and limiter settings (explicit settings and the environment win)."""
    env = os.environ
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if app.config.get("TRIVSEL_ENV") == "production":
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config.setdefault("REMEMBER_COOKIE_SECURE", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", env.get("RATELIMIT_STORAGE_URI") or "memory://")
    app.config.setdefault("TRIVSEL_RATELIMIT_CODE", env.get("TRIVSEL_RATELIMIT_CODE") or DEFAULT_CODE_LIMIT)
    app.config.setdefault("TRIVSEL_RATELIMIT_LINK", env.get("TRIVSEL_RATELIMIT_LINK") or DEFAULT_LINK_LIMIT)
    app.config.setdefault(
        "TRIVSEL_RATELIMIT_LOGIN", env.get("TRIVSEL_RATELIMIT_LOGIN") or DEFAULT_LOGIN_LIMIT
    )


def add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _limit_view(
    app: Flask, limiter: Limiter, endpoint: str, limit: str, deduct: Any, methods: list[str] | None
) -> None:
    view = app.view_functions.get(endpoint)
    if view is None:  # the blueprint is not registered on this app
        return
    limited: Any = limiter.limit(limit, methods=methods, deduct_when=deduct, error_message="rate limit")
    app.view_functions[endpoint] = limited(view)


def init_security(app: Flask) -> None:
    """Headers, cookie flags and rate limits for ``app`` (after the blueprints are registered)."""
    configure(app)
    # one limiter per application (tests build many apps; counters must not leak between them)
    limiter = Limiter(get_remote_address, app=app, default_limits=[], headers_enabled=False)
    app.extensions["trivsel_limiter"] = limiter
    app.after_request(add_headers)
    code_limit = str(app.config["TRIVSEL_RATELIMIT_CODE"])
    link_limit = str(app.config["TRIVSEL_RATELIMIT_LINK"])
    _limit_view(app, limiter, "respond.code_entry", code_limit, _failed_code, ["POST"])
    _limit_view(app, limiter, "respond.link", link_limit, _failed_link, None)
    login_limit = str(app.config["TRIVSEL_RATELIMIT_LOGIN"])
    _limit_view(app, limiter, "staff.login", login_limit, _failed_login, ["POST"])
