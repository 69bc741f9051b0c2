"""Trivsel's Flask application (survey -> analysis -> questionnaires)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory. Placeholder: the core issue fills this in."""
    app = Flask(__name__)
    if config:
        app.config.update(config)
    return app
