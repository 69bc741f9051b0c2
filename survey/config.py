"""Settings: safe defaults in code, secrets and URLs from the environment, tests pass a mapping.

Order (later wins): :data:`DEFAULTS` -> environment variables -> the mapping given to ``create_app``.
``TRIVSEL_ENV=production`` refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Placeholder secret for development; refused in production.
DEV_SECRET_KEY = "dev-not-secret-change-me"

DEFAULTS: dict[str, Any] = {
    "TRIVSEL_ENV": "development",
    "SECRET_KEY": DEV_SECRET_KEY,
    "TRIVSEL_K_MIN": 5,
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_FROM": "trivsel@localhost",
    # when set, e-mails are written as files into this directory instead of being sent
    "MAIL_OUTBOX_DIR": None,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # SQL errors must not carry answers or token hashes into logs and tracebacks
    "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
    "BABEL_DEFAULT_LOCALE": "da",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # one field per page is small; the whole questionnaire travels in hidden fields
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    # staff sign-in with passwords kept in Trivsel; "off" when everyone signs in through OpenID Connect
    "TRIVSEL_LOCAL_PASSWORDS": True,
    # OpenID Connect sign-in for staff (survey.oidc); off while TRIVSEL_OIDC_ISSUER is unset
    "TRIVSEL_OIDC_ISSUER": None,
    "TRIVSEL_OIDC_METADATA_URL": None,
    "TRIVSEL_OIDC_CLIENT_ID": None,
    "TRIVSEL_OIDC_CLIENT_SECRET": None,
    "TRIVSEL_OIDC_SCOPES": "openid email profile",
    "TRIVSEL_OIDC_ROLE_CLAIM": None,
    "TRIVSEL_OIDC_ROLE_VALUES": None,
    "TRIVSEL_OIDC_UNIT_CLAIM": None,
    "TRIVSEL_OIDC_PROVIDER_NAME": None,
}


def _flag(v: str) -> bool:
    value = v.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(v)

#: Environment variables read, with their parser.
_ENV: dict[str, Any] = {
    "TRIVSEL_ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "TRIVSEL_K_MIN": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": lambda v: v.strip().lower() in ("1", "true", "yes", "on"),
    "MAIL_FROM": str,
    "MAIL_OUTBOX_DIR": str,
    # only "keyed" (the earlier modes invitation | separate were removed; docs/anonymity.md, threat 2)
    "TRIVSEL_USED_MARKS": str,
    # key material of the used-marks; default: SECRET_KEY (survey.services.marks)
    "TRIVSEL_MARK_KEY": str,
    # the analysis settings of the web reports: a settings.toml file as for `trivsel analyse --settings`
    "TRIVSEL_ANALYSIS_SETTINGS": lambda v: _settings_file(v),
    # number of reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted
    "TRIVSEL_TRUSTED_PROXIES": int,
    "TRIVSEL_LOCAL_PASSWORDS": _flag,
    "TRIVSEL_OIDC_ISSUER": str,
    "TRIVSEL_OIDC_METADATA_URL": str,
    "TRIVSEL_OIDC_CLIENT_ID": str,
    "TRIVSEL_OIDC_CLIENT_SECRET": str,
    "TRIVSEL_OIDC_SCOPES": str,
    "TRIVSEL_OIDC_ROLE_CLAIM": str,
    # "claim value=role" pairs, comma-separated, e.g. "Trivsel.HR=hr,Trivsel.Admin=admin"
    "TRIVSEL_OIDC_ROLE_VALUES": str,
    "TRIVSEL_OIDC_UNIT_CLAIM": str,
    # the provider's name on the sign-in button, e.g. "WAYF" (default: "your organisation")
    "TRIVSEL_OIDC_PROVIDER_NAME": str,
}


def _settings_file(path: str) -> dict[str, Any]:
    """Read a settings.toml for the web reports; errors name the file (checked again in :func:`check`)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"TRIVSEL_ANALYSIS_SETTINGS: cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TRIVSEL_ANALYSIS_SETTINGS: {path} is not valid TOML: {exc}") from None


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given in ``environ`` (only the known names), parsed."""
    out: dict[str, Any] = {}
    for name, parse in _ENV.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            out[name] = parse(raw)
        except ValueError:
            expected = "on or off" if parse is _flag else "a whole number"
            raise ConfigError(
                f"environment variable {name}={raw!r} is not valid: expected {expected}"
            ) from None
    return out


def build(
    instance_path: str, overrides: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Merge defaults, environment and ``overrides`` and check the result."""
    cfg = dict(DEFAULTS)
    cfg.update(from_environ(environ))
    if overrides:
        cfg.update(overrides)
    if cfg.get("TRIVSEL_ENV") == "production" and "SESSION_COOKIE_SECURE" not in (overrides or {}):
        cfg["SESSION_COOKIE_SECURE"] = True  # the session holds a respondent's token: HTTPS only
    if "SQLALCHEMY_DATABASE_URI" not in (overrides or {}):
        url = cfg.pop("DATABASE_URL", None) or default_database_url(instance_path)
        cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    check(cfg)
    return cfg


def default_database_url(instance_path: str) -> str:
    """SQLite in the instance folder (created if missing)."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'trivsel.db'}"


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the installed psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check(cfg: Mapping[str, Any]) -> None:
    """Refuse settings that would be unsafe or cannot work."""
    if cfg.get("TRIVSEL_ENV") == "production":
        key = cfg.get("SECRET_KEY")
        if not key or key == DEV_SECRET_KEY or len(str(key)) < 32:
            raise ConfigError(
                "TRIVSEL_ENV=production needs a real SECRET_KEY of at least 32 characters; set it in the "
                "environment, e.g. SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\""
            )
    k_min = cfg.get("TRIVSEL_K_MIN")
    from analysis.publish import K_FLOOR  # the publication step's floor: a setting can only raise it

    if not isinstance(k_min, int) or isinstance(k_min, bool) or k_min < K_FLOOR:
        raise ConfigError(
            f"TRIVSEL_K_MIN must be a whole number of at least {K_FLOOR} (results are never shown for "
            f"smaller groups), got {k_min!r}"
        )
    proxies = cfg.get("TRIVSEL_TRUSTED_PROXIES", 0)
    if not isinstance(proxies, int) or isinstance(proxies, bool) or not 0 <= proxies <= 5:
        raise ConfigError(f"TRIVSEL_TRUSTED_PROXIES must be a whole number from 0 to 5, got {proxies!r}")
    if cfg.get("TRIVSEL_ANALYSIS_SETTINGS"):
        from analysis.csvio import InputError
        from analysis.settings import settings_from_mapping

        try:
            settings_from_mapping(cfg["TRIVSEL_ANALYSIS_SETTINGS"], "TRIVSEL_ANALYSIS_SETTINGS")
        except InputError as exc:
            raise ConfigError(str(exc)) from None
    marks = cfg.get("TRIVSEL_USED_MARKS", "keyed")
    if marks in ("invitation", "separate"):
        raise ConfigError(
            f"TRIVSEL_USED_MARKS={marks} was removed: used-marks are always keyed now ('invitation' let "
            "anyone with database access pair answers with invitations; 'separate' stopped reminders). "
            "Remove the setting (docs/anonymity.md, threat 2)"
        )
    if marks != "keyed":
        raise ConfigError(f"TRIVSEL_USED_MARKS can only be 'keyed' (the default), got {marks!r}")
    check_oidc(cfg)
    mark_key = cfg.get("TRIVSEL_MARK_KEY")
    if mark_key is not None and cfg.get("TRIVSEL_ENV") == "production" and len(str(mark_key)) < 32:
        raise ConfigError(
            "TRIVSEL_MARK_KEY must have at least 32 characters in production (or leave it unset to use "
            "SECRET_KEY)"
        )


def role_values(raw: str | None) -> dict[str, str]:
    """``"Trivsel.HR=hr, Trivsel.Admin=admin"`` -> ``{"Trivsel.HR": "hr", ...}``; errors name the pair."""
    from survey.models import ROLES

    out: dict[str, str] = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        value, sep, role = pair.rpartition("=")
        if not sep or not value.strip() or role.strip() not in ROLES:
            raise ConfigError(
                f"TRIVSEL_OIDC_ROLE_VALUES: {pair.strip()!r} is not 'claim value=role' with a role from "
                f"{', '.join(ROLES)}; e.g. TRIVSEL_OIDC_ROLE_VALUES='Trivsel.HR=hr,Trivsel.Admin=admin'"
            )
        out[value.strip()] = role.strip()
    return out


def check_oidc(cfg: Mapping[str, Any]) -> None:
    """OpenID Connect settings: all or nothing, https in production, passwords off only with OIDC."""
    issuer = cfg.get("TRIVSEL_OIDC_ISSUER")
    if not issuer:
        others = [n for n in ("TRIVSEL_OIDC_CLIENT_ID", "TRIVSEL_OIDC_CLIENT_SECRET") if cfg.get(n)]
        if others:
            raise ConfigError(
                f"{others[0]} is set but TRIVSEL_OIDC_ISSUER is not: set the provider's issuer URL"
            )
        if not cfg.get("TRIVSEL_LOCAL_PASSWORDS", True):
            raise ConfigError(
                "TRIVSEL_LOCAL_PASSWORDS=off leaves no way to sign in: configure OpenID Connect "
                "(TRIVSEL_OIDC_ISSUER, TRIVSEL_OIDC_CLIENT_ID, TRIVSEL_OIDC_CLIENT_SECRET) "
                "or turn passwords on"
            )
        return
    for name in ("TRIVSEL_OIDC_CLIENT_ID", "TRIVSEL_OIDC_CLIENT_SECRET"):
        if not cfg.get(name):
            raise ConfigError(
                f"TRIVSEL_OIDC_ISSUER is set but {name} is not: copy it from the app registration"
            )
    urls = [("TRIVSEL_OIDC_ISSUER", str(issuer))]
    if cfg.get("TRIVSEL_OIDC_METADATA_URL"):
        urls.append(("TRIVSEL_OIDC_METADATA_URL", str(cfg["TRIVSEL_OIDC_METADATA_URL"])))
    for name, url in urls:
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"{name}={url!r} is not a URL: expected https://...")
        if cfg.get("TRIVSEL_ENV") == "production" and not url.startswith("https://"):
            raise ConfigError(f"{name}={url!r}: an OpenID provider must be reached over https in production")
    if "openid" not in str(cfg.get("TRIVSEL_OIDC_SCOPES") or "").split():
        raise ConfigError("TRIVSEL_OIDC_SCOPES must contain 'openid' (e.g. 'openid email profile')")
    role_values(cfg.get("TRIVSEL_OIDC_ROLE_VALUES"))
    if cfg.get("TRIVSEL_OIDC_ROLE_VALUES") and not cfg.get("TRIVSEL_OIDC_ROLE_CLAIM"):
        raise ConfigError(
            "TRIVSEL_OIDC_ROLE_VALUES is set but TRIVSEL_OIDC_ROLE_CLAIM is not: name the claim"
        )


def environ() -> Mapping[str, str]:
    return os.environ
