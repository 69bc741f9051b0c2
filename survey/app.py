"""Trivsel's Flask application (survey -> analysis -> questionnaires).

:func:`create_app` only assembles, in small named steps: config, extensions, blueprints, CLI
commands, error pages, logging. It writes no data and runs no migrations (``trivsel db upgrade`` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import config as config_mod
from .extensions import babel, csrf, db, migrate
from .i18n import current_language, other_language, questionnaire_title, return_path, role_name, unit_label
from .logging import configure_logging
from .security import init_security

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")
ERROR_CODES = (400, 403, 404, 405, 429, 500)


def templates_dir() -> str:
    """The top-level ``templates`` package's folder (works from a checkout and from an installed wheel)."""
    return str(resources.files("templates"))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory. ``config`` overrides the defaults and the environment (tests pass one)."""
    app = Flask("survey", template_folder=templates_dir())
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    init_security(app)
    register_commands(app)
    register_error_handlers(app)
    register_template_helpers(app)
    configure_logging(app)
    return app


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.update(config_mod.build(app.instance_path, overrides, config_mod.environ()))
    proxies = app.config.get("TRIVSEL_TRUSTED_PROXIES") or 0
    if proxies:
        # behind nginx/Apache: the client address (for rate limits) and https come from the proxy's headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from . import (
        models,  # noqa: F401 - register the models on db.metadata (Flask-Migrate needs them)
        models_audit,  # noqa: F401 - audit log model (survey.services.audit)
        models_funding,  # noqa: F401 - funding rounds, decisions, follow-up plans
        models_workenv,  # noqa: F401 - absence, incidents, authority reactions (annual report)
    )
    from .auth import login_manager  # staff sign-in (Flask-Login)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from .oidc import init_oidc  # OpenID Connect sign-in for staff, when TRIVSEL_OIDC_ISSUER is set

    init_oidc(app)
    babel.init_app(
        app,
        locale_selector=current_language,
        default_translation_directories=str(Path(__file__).resolve().parent / "translations"),
    )


def register_blueprints(app: Flask) -> None:
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    from .reports import bp as reports_bp  # HR / manager report pages and exports

    app.register_blueprint(reports_bp)
    from .staff import bp as staff_bp  # sign-in, staff landing page, admin, HR waves

    app.register_blueprint(staff_bp)
    from .committee import bp as committee_bp  # committee: funding rounds and decisions

    app.register_blueprint(committee_bp)
    from .followup import bp as followup_bp  # follow-up tracker: action plans per unit

    app.register_blueprint(followup_bp)
    from .annual import bp as annual_bp  # annual work-environment report: absence, accidents, incidents
    app.register_blueprint(annual_bp)


def register_commands(app: Flask) -> None:
    from .cli import register_app_commands

    register_app_commands(app)


def _error_texts() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The page could not use what your browser sent. Go back and try again.")),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Page not found"), _("There is no page at this address. Check the link you used.")),
        405: (_("Not allowed"), _("This page cannot be used in that way.")),
        429: (_("Too many attempts"), _("Please wait a few minutes and try again.")),
        500: (
            _("Something went wrong"),
            _("An error occurred on our side. Nothing was stored. Please try again later."),
        ),
    }


def _way_on() -> tuple[str, str]:
    """Where the person on an error page can go on: their survey (a respondent with an invitation in
    the session), their landing page (staff), or the code page (everyone else)."""
    from flask import session, url_for
    from flask_login import current_user

    if session.get("respond_token"):
        return url_for("respond.resume"), _("Go on with the survey")
    if current_user.is_authenticated:
        return url_for("staff.home"), _("Go to the front page")
    return url_for("respond.code_entry"), _("Answer a survey: enter your code")


def register_error_handlers(app: Flask) -> None:
    def render_error(code: int, description: str | None = None) -> tuple[str, int]:
        title, text = _error_texts()[code]
        way_on = _way_on() if code != 500 else None
        return render_template(
            "errors/error.html", code=code, title=title, text=description or text, way_on=way_on
        ), code

    def handle_http(exc: HTTPException) -> Any:
        code = exc.code or 500
        if code not in ERROR_CODES:
            return exc
        if isinstance(exc, CSRFError):
            return render_error(
                400,
                _(
                    "The form had expired or was not sent from this site. "
                    "Go back, reload the page and try again."
                ),
            )
        if code == 429 and request.endpoint == "staff.login":
            return render_error(
                429,
                _(
                    "Too many failed sign-ins came from your network in a short time, so signing in "
                    "is paused here for a few minutes. Wait a few minutes and try again; if you have "
                    "forgotten your password, ask an administrator to reset it."
                ),
            )
        return render_error(code)

    def handle_unexpected(exc: Exception) -> Any:
        # Flask has already logged the exception (through app.logger, which redacts tokens)
        return render_error(500)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(500, handle_unexpected)


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("day")
    def _day(value: Any) -> str:
        """A date in the reader's language: "1. mar. 2027" in Danish, "Mar 1, 2027" in English."""
        if value is None or value == "":
            return "–"
        return str(format_date(value, format="medium"))

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {
            "lang": current_language(),
            "other_lang": other_language(),
            "language_return": return_path,
            "role_name": role_name,
            "questionnaire_title": questionnaire_title,
            "unit_label": unit_label,
        }
