"""Logging that never contains answers or tokens.

Nothing in Trivsel logs form data. What could still leak a token is a URL: ``/r/<token>`` is the
respondent's personal link. SQL parameters are hidden by the engine option ``hide_parameters``
(config), and PostgreSQL's ``DETAIL:`` lines, which quote row values, are redacted here.

:class:`RedactFilter` rewrites every record that passes through the loggers Trivsel, Werkzeug and
gunicorn use (and every root handler), replacing the token with ``<redacted>``. The record itself
is rewritten, so every handler that sees it later sees the redacted text.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request

_TOKEN_PATH = re.compile(r"(/r/)[^\s/?#\"']+")
REDACTED = r"\1<redacted>"
# PostgreSQL error details quote row values ("Failing row contains (..., {answers})")
_DB_DETAIL = re.compile(r"^(DETAIL:).*$", re.M)

#: loggers that may carry a request path
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "survey", "survey.requests")


def redact(text: str) -> str:
    """``/r/<token>`` -> ``/r/<redacted>`` anywhere in ``text``; database ``DETAIL:`` lines dropped."""
    return _DB_DETAIL.sub(r"\1 <redacted>", _TOKEN_PATH.sub(REDACTED, text))


class RedactFilter(logging.Filter):
    """Replace respondent tokens in the formatted message (and the exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw message, redacted
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactFilter()


def _add_filter(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, RedactFilter) for f in target.filters):
        target.addFilter(_FILTER)


def configure_logging(app: Flask) -> None:
    """Attach the redaction filter and a one-line request log (method, redacted path, status)."""
    for name in (*LOGGERS, app.logger.name):
        _add_filter(logging.getLogger(name))
    for handler in logging.getLogger().handlers:
        _add_filter(handler)
    for handler in app.logger.handlers:
        _add_filter(handler)

    request_log = logging.getLogger("survey.requests")

    @app.after_request
    def _log_request(response: Response) -> Response:
        # the path only, never the query string or the form
        request_log.info("%s %s %s", request.method, request.path, response.status_code)
        return response
