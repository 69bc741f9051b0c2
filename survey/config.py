"""Settings: safe defaults in code, secrets and URLs from the environment, tests pass a mapping.

Order (later wins): :data:`DEFAULTS` -> environment variables -> the mapping given to ``create_app``.
``TRIVSEL_ENV=production`` refuses to start without a real ``SECRET_KEY``. Elsewhere, when no
``SECRET_KEY`` is configured, a random key is generated once into ``instance/secret_key`` (the Flask
instance folder, mode 0600) and reused on every later start (:func:`instance_secret_key`).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The public development key of earlier versions (printed in the source, so anyone could forge a
#: session with it): refused as ``SECRET_KEY`` everywhere.
DEV_SECRET_KEY = "dev-not-secret-change-me"

#: the file in the instance folder that holds the generated key outside production
SECRET_KEY_FILE = "secret_key"

DEFAULTS: dict[str, Any] = {
    "TRIVSEL_ENV": "development",
    # None: outside production a random key from instance/secret_key (instance_secret_key)
    "SECRET_KEY": None,
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
    if not cfg.get("SECRET_KEY") and cfg.get("TRIVSEL_ENV") != "production":
        cfg["SECRET_KEY"] = instance_secret_key(instance_path)
    check(cfg)
    return cfg


def instance_secret_key(instance_path: str) -> str:
    """The key in ``<instance>/secret_key``, generated (``secrets.token_urlsafe(32)``) on first use.

    The file is written under a temporary name with mode 0600 and linked into place, so two processes
    starting at once end up with the same key and nobody reads a half-written file. Sessions, CSRF
    tokens and the used-marks (unless ``TRIVSEL_MARK_KEY`` is set) survive restarts, and the command
    line (``trivsel wave open``) uses the same key as the server of the same installation.
    """
    folder = Path(instance_path)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_urlsafe(32) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)  # never replaces a key another process wrote first
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the secret key file {path}: {exc.strerror or exc}; make the instance folder "
                "writable or set SECRET_KEY in the environment"
            ) from None
    try:
        mode = path.stat().st_mode
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the secret key file {path}: {getattr(exc, 'strerror', None) or exc}; delete it to "
            "generate a new one (signs everyone out) or set SECRET_KEY"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the secret key file {path} can be read by other users (mode {stat.S_IMODE(mode):o}): "
            f"run chmod 600 {path}"
        )
    if len(key) < 32:
        raise ConfigError(
            f"the secret key file {path} holds no key of at least 32 characters; delete it to generate a "
            "new one (signs everyone out) or set SECRET_KEY"
        )
    return key


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
    key = cfg.get("SECRET_KEY")
    if key == DEV_SECRET_KEY:
        raise ConfigError(
            "SECRET_KEY is the public development key of earlier versions: anyone can sign a session "
            "with it. Remove the setting (a random key is then kept in the instance folder) or set a "
            "random one, e.g. SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\""
        )
    if cfg.get("TRIVSEL_ENV") == "production":
        if not key or len(str(key)) < 32:
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
