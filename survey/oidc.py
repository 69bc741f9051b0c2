"""OpenID Connect sign-in for staff (Authlib's Flask client).

Flow (authorization code with PKCE, RFC 7636, and OpenID Connect Core 1.0):

1. :func:`start` checks the provider's discovery document (its ``issuer`` must equal
   ``TRIVSEL_OIDC_ISSUER``), then redirects to the provider with a random ``state``, a random ``nonce`` and
   an S256 ``code_challenge``. Authlib keeps state, nonce and the code verifier in the signed session
   cookie, so the callback works on any instance behind the proxy.
2. :func:`finish` (the callback) refuses an unknown ``state`` (a login CSRF, or a second tab), exchanges
   the code with the verifier, and validates the ID token: signature from the provider's JWKS, ``iss`` =
   the configured issuer, ``aud`` contains our client id, ``exp``/``iat`` (60 s leeway) and the ``nonce``.
   A token response without an ID token is refused.
3. :func:`identity` reads the person: ``sub``, ``email``, and role and unit from the claims named by
   ``TRIVSEL_OIDC_ROLE_CLAIM`` / ``TRIVSEL_OIDC_UNIT_CLAIM`` (from the ID token, else from the userinfo
   endpoint, whose ``sub`` must match). :func:`survey.services.users.oidc_sign_in` then finds or links
   the account; without a role claim, the role is the one an administrator assigned.

Every refusal is an :class:`OIDCError` whose ``kind`` picks the message on the page; the technical reason
is logged without claims or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, session, url_for

from survey.config import role_values
from survey.models import ROLES

#: where the client object lives in ``app.extensions``
EXTENSION = "trivsel_oidc"
#: session key: the local path to go to after signing in
NEXT_KEY = "oidc_next"
#: clock skew allowed on exp/iat, seconds
LEEWAY_SECONDS = 60


class OIDCError(Exception):
    """Sign-in through the provider was refused. ``kind``: state, provider, token, unavailable, config."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class Identity:
    """What the provider says about the person (validated)."""

    subject: str
    email: str | None
    email_verified: bool
    #: the role from the role claim; None when no role claim is configured
    role: str | None
    #: the unit from the unit claim; None when none is configured or given
    unit_id: str | None
    #: the role claim is configured (then it decides, and a missing role means no access)
    role_from_claim: bool


def enabled(app: Flask | None = None) -> bool:
    app = app or current_app
    return EXTENSION in app.extensions


def local_passwords(app: Flask | None = None) -> bool:
    app = app or current_app
    return bool(app.config.get("TRIVSEL_LOCAL_PASSWORDS", True))


def metadata_url(cfg: Any) -> str:
    url = cfg.get("TRIVSEL_OIDC_METADATA_URL")
    if url:
        return str(url)
    return str(cfg["TRIVSEL_OIDC_ISSUER"]).rstrip("/") + "/.well-known/openid-configuration"


def init_oidc(app: Flask) -> None:
    """Register the provider as an Authlib client when ``TRIVSEL_OIDC_ISSUER`` is set."""
    if not app.config.get("TRIVSEL_OIDC_ISSUER"):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth()
    oauth.init_app(app)
    client = oauth.register(
        "oidc",
        client_id=app.config["TRIVSEL_OIDC_CLIENT_ID"],
        client_secret=app.config["TRIVSEL_OIDC_CLIENT_SECRET"],
        server_metadata_url=metadata_url(app.config),
        client_kwargs={
            "scope": app.config.get("TRIVSEL_OIDC_SCOPES") or "openid email profile",
            "code_challenge_method": "S256",
            "timeout": 10,
        },
    )
    app.extensions[EXTENSION] = client


def _client() -> Any:
    return current_app.extensions[EXTENSION]


def _issuer() -> str:
    return str(current_app.config["TRIVSEL_OIDC_ISSUER"])


def provider_metadata() -> dict[str, Any]:
    """The discovery document (fetched once per process); its issuer must be the configured one."""
    import requests

    client = _client()
    try:
        meta = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        client.server_metadata.pop("_loaded_at", None)
        raise OIDCError("unavailable", f"discovery document not readable: {type(exc).__name__}") from None
    if meta.get("issuer") != _issuer():
        # OpenID Connect Discovery 1.0, section 4.3: the issuer must match exactly
        client.server_metadata = {}
        raise OIDCError(
            "token", f"discovery document names issuer {meta.get('issuer')!r}, expected {_issuer()!r}"
        )
    return dict(meta)


def start(next_path: str | None) -> Any:
    """The redirect to the provider's sign-in page (state, nonce and PKCE challenge in the session)."""
    provider_metadata()
    session[NEXT_KEY] = next_path or ""
    redirect_uri = url_for("staff.oidc_callback", _external=True)
    import requests

    try:
        return _client().authorize_redirect(redirect_uri)
    except requests.RequestException:
        raise OIDCError("unavailable", "authorization request failed") from None


def finish() -> dict[str, Any]:
    """Complete the code flow; the validated ID token claims (plus userinfo when needed)."""
    import requests
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
    from joserfc.errors import JoseError

    provider_metadata()
    client = _client()
    claims_options = {
        "iss": {"essential": True, "values": [_issuer()]},
        "aud": {"essential": True, "values": [str(current_app.config["TRIVSEL_OIDC_CLIENT_ID"])]},
    }
    try:
        token = client.authorize_access_token(claims_options=claims_options, leeway=LEEWAY_SECONDS)
    except MismatchingStateError:
        raise OIDCError("state", "unknown or reused state") from None
    except OAuthError as exc:
        raise OIDCError("provider", f"provider refused: {exc.error}") from None
    except JoseError as exc:
        raise OIDCError("token", f"ID token refused: {type(exc).__name__}: {exc}") from None
    except requests.RequestException as exc:
        raise OIDCError("unavailable", f"token request failed: {type(exc).__name__}") from None
    claims = token.get("userinfo")
    if not claims:
        raise OIDCError("token", "the token response has no ID token")
    out = dict(claims)
    wanted = [current_app.config.get(n) for n in ("TRIVSEL_OIDC_ROLE_CLAIM", "TRIVSEL_OIDC_UNIT_CLAIM")]
    if any(name and name not in out for name in wanted) or "email" not in out:
        meta = provider_metadata()
        if meta.get("userinfo_endpoint"):
            try:
                info = dict(client.userinfo(token=token))
            except requests.RequestException as exc:
                raise OIDCError("unavailable", f"userinfo request failed: {type(exc).__name__}") from None
            if info.get("sub") != out.get("sub"):  # OpenID Connect Core 1.0, section 5.3.2
                raise OIDCError("token", "userinfo sub differs from the ID token's sub")
            for key, value in info.items():
                out.setdefault(key, value)
    return out


def _values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [v for v in raw if isinstance(v, str)]
    return []


def identity(claims: dict[str, Any]) -> Identity:
    """The person from validated claims: subject, e-mail, and role/unit from the configured claims."""
    cfg = current_app.config
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise OIDCError("token", "the ID token has no sub")
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    role_claim = cfg.get("TRIVSEL_OIDC_ROLE_CLAIM")
    role: str | None = None
    if role_claim:
        mapping = role_values(cfg.get("TRIVSEL_OIDC_ROLE_VALUES"))
        found = {mapping.get(v) if mapping else v for v in _values(claims.get(role_claim))}
        # several roles: the one with most access (ROLES is ordered admin, hr, committee, manager)
        role = next((r for r in ROLES if r in found), None)
    unit_claim = cfg.get("TRIVSEL_OIDC_UNIT_CLAIM")
    unit_values = _values(claims.get(unit_claim)) if unit_claim else []
    return Identity(
        subject=sub,
        email=email,
        email_verified=claims.get("email_verified") is True,
        role=role,
        unit_id=unit_values[0] if unit_values else None,
        role_from_claim=bool(role_claim),
    )


def logout_url(post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when it has none."""
    try:
        meta = provider_metadata()
    except OIDCError:
        return None
    if not meta.get("end_session_endpoint"):
        return None
    from authlib.common.urls import add_params_to_uri

    return str(
        add_params_to_uri(
            meta["end_session_endpoint"],
            {
                "client_id": str(current_app.config["TRIVSEL_OIDC_CLIENT_ID"]),
                "post_logout_redirect_uri": post_logout_redirect_uri,
            },
        )
    )
