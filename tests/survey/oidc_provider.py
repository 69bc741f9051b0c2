"""A real OpenID provider for the tests: ``oidc-provider-mock`` (Authlib's server) served on loopback.

:func:`provider` starts it in a thread and yields a :class:`Provider`. In front of the mock sits a small
WSGI layer that makes it stricter than the mock alone, like the real providers Trivsel meets:

- PKCE is required: an authorization request without an S256 ``code_challenge`` is answered with an
  error redirect, and the token endpoint refuses a code whose ``code_verifier`` does not hash to the
  challenge (RFC 7636, section 4.6);
- ``token_host`` (for the wrong-issuer test) makes the token endpoint believe it was reached under
  another host name, so it signs ID tokens with that issuer: a correctly signed token from the wrong
  issuer;
- ``audience`` (for the wrong-audience test) makes the provider believe that the authorization and
  token requests came from the client ``audience``, so it signs ID tokens for that client: a correctly
  signed token meant for another application;
- ``drop_id_token`` takes the ID token out of the token response (a provider that answers a plain
  OAuth 2 token, without OpenID Connect).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import werkzeug.serving


@dataclass
class Guard:
    app: Any
    token_host: str | None = None
    audience: str | None = None
    drop_id_token: bool = False
    #: code -> S256 challenge, recorded from the authorization responses
    challenges: dict[str, str] = field(default_factory=dict)
    #: what the token endpoint saw: (code_verifier present, verified)
    token_requests: list[tuple[bool, bool]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST" and self.audience:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            query["client_id"] = [self.audience]
            environ["QUERY_STRING"] = urlencode(query, doseq=True)
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            challenge = (query.get("code_challenge") or [""])[0]
            method = (query.get("code_challenge_method") or [""])[0]
            if not challenge or method != "S256":
                redirect = (query.get("redirect_uri") or [""])[0]
                state = (query.get("state") or [""])[0]
                location = f"{redirect}?{urlencode({'error': 'invalid_request', 'state': state})}"
                start_response("302 Found", [("Location", location)])
                return [b""]

            def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                for name, value in headers:
                    if name.lower() == "location":
                        code = (parse_qs(urlsplit(value).query).get("code") or [""])[0]
                        if code:
                            self.challenges[code] = challenge
                return start_response(status, headers, exc_info)

            return self.app(environ, remember)
        if path == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            form = parse_qs(body.decode())
            if (form.get("grant_type") or [""])[0] == "authorization_code":
                code = (form.get("code") or [""])[0]
                verifier = (form.get("code_verifier") or [""])[0]
                expected = self.challenges.pop(code, None)
                digest = hashlib.sha256(verifier.encode()).digest()
                ok = bool(verifier) and expected == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                self.token_requests.append((bool(verifier), ok))
                if not ok:
                    payload = b'{"error": "invalid_grant", "error_description": "PKCE verification failed"}'
                    start_response(
                        "400 Bad Request",
                        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
                    )
                    return [payload]
            if self.audience:
                if "client_id" in form:
                    form["client_id"] = [self.audience]
                    body = urlencode(form, doseq=True).encode()
                    environ["CONTENT_LENGTH"] = str(len(body))
                if environ.get("HTTP_AUTHORIZATION", "").startswith("Basic "):
                    secret = base64.b64decode(environ["HTTP_AUTHORIZATION"][6:]).decode().partition(":")[2]
                    pair = base64.b64encode(f"{self.audience}:{secret}".encode()).decode()
                    environ["HTTP_AUTHORIZATION"] = f"Basic {pair}"
            environ["wsgi.input"] = io.BytesIO(body)
            if self.token_host:
                environ["HTTP_HOST"] = self.token_host
            if self.drop_id_token:
                return self._without_id_token(environ, start_response)
        return self.app(environ, start_response)

    def _without_id_token(self, environ: dict[str, Any], start_response: Any) -> Any:
        seen: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return lambda data: None

        payload = b"".join(self.app(environ, keep))
        if str(seen["status"]).startswith("200"):
            token = json.loads(payload)
            assert "id_token" in token  # the mock did issue one: the test takes it away
            del token["id_token"]
            payload = json.dumps(token).encode()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        start_response(seen["status"], [*headers, ("Content-Length", str(len(payload)))])
        return [payload]


@dataclass
class Provider:
    url: str
    port: int
    guard: Guard

    def set_user(self, sub: str, **claims: Any) -> None:
        r = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert r.status_code == 204, r.text

    def authorize(self, location: str, sub: str) -> str:
        """Sign ``sub`` in at the provider's authorization page; the redirect back to Trivsel."""
        r = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert r.status_code == 302, r.text[:500]
        return r.headers["Location"]


@contextmanager
def provider(access_token_max_age: timedelta = timedelta(hours=1)) -> Iterator[Provider]:
    import oidc_provider_mock

    mock = oidc_provider_mock.app(require_nonce=True, access_token_max_age=access_token_max_age)
    guard = Guard(mock.wsgi_app)
    mock.wsgi_app = guard  # type: ignore[method-assign]
    server = werkzeug.serving.make_server("localhost", 0, mock, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Provider(url=f"http://localhost:{server.server_port}", port=server.server_port, guard=guard)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
