"""Trivsel's Flask application (survey -> analysis -> questionnaires).

The factory lives in :mod:`survey.app`; it is loaded on first use (PEP 562) so that commands that need no
web application, such as ``trivsel analyse``, do not pay for importing Flask's extensions.
``survey:create_app()`` (gunicorn) and ``from survey import create_app`` work as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from .app import ERROR_CODES, MIGRATIONS_DIR, templates_dir

__all__ = ["ERROR_CODES", "MIGRATIONS_DIR", "create_app", "templates_dir"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory (see :func:`survey.app.create_app`)."""
    from .app import create_app as _create_app

    return _create_app(config)


def __getattr__(name: str) -> Any:
    if name in ("ERROR_CODES", "MIGRATIONS_DIR", "templates_dir"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
