"""Staff sign-in through a real OpenID provider (oidc-provider-mock on loopback, see oidc_provider.py).

The browser's part is played by the test: Trivsel's test client starts the sign-in, ``requests``
signs the person in at the provider's authorization page, and the test client follows the redirect
back to Trivsel's callback, which talks to the provider over HTTP (token endpoint, JWKS, userinfo).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from survey import create_app
from survey.config import ConfigError
from survey.models import User
from tests.conftest import FreshContextClient
from tests.survey.oidc_provider import Provider, provider
from tests.survey.staff_helpers import PASSWORD, csrf, make_user, sign_in

CLIENT_ID = "trivsel-test"

# the mock provider uses Authlib server APIs that Authlib marks as deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture()
def idp() -> Iterator[Provider]:
    with provider() as p:
        yield p


def _app(database_url: str, idp_url: str, **extra: Any) -> Flask:
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "TRIVSEL_OIDC_ISSUER": idp_url,
        "TRIVSEL_OIDC_CLIENT_ID": CLIENT_ID,
        "TRIVSEL_OIDC_CLIENT_SECRET": "client-secret",
    }
    cfg.update(extra)
    app = create_app(cfg)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture()
def oidc_app(app: Flask, database_url: str, idp: Provider) -> Iterator[Flask]:
    """Trivsel configured for ``idp`` (the ``app`` fixture cleans the database afterwards)."""
    yield _app(database_url, idp.url)


def _start(client: FlaskClient, next_path: str | None = None) -> str:
    r = client.get("/login/oidc" + (f"?next={next_path}" if next_path else ""))
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def _callback(client: FlaskClient, location: str) -> Any:
    parts = urlsplit(location)
    assert parts.path == "/login/oidc/callback", location
    return client.get(f"{parts.path}?{parts.query}")


def _sign_in(client: FlaskClient, idp: Provider, sub: str, next_path: str | None = None) -> Any:
    return _callback(client, idp.authorize(_start(client, next_path), sub))


def _user(app: Flask, **where: Any) -> User | None:
    from survey.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(**where))
        if user is not None:
            db.session.expunge(user)
        return user


def _hr_pages(client: FlaskClient) -> int:
    return client.get("/hr/waves").status_code


# --- the happy path ---------------------------------------------------------------------------------


def test_authorization_request_has_state_nonce_and_s256_challenge(oidc_app: Flask, idp: Provider) -> None:
    location = _start(oidc_app.test_client())
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(idp.url + "/oauth2/authorize?")
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert "openid" in query["scope"][0].split()
    # a second start has fresh random values
    again = parse_qs(urlsplit(_start(oidc_app.test_client())).query)
    assert again["state"] != query["state"] and again["nonce"] != query["nonce"]
    assert again["code_challenge"] != query["code_challenge"]


def test_happy_path_admin_assigned_role_linked_by_verified_email(oidc_app: Flask, idp: Provider) -> None:
    with oidc_app.app_context():
        make_user("hr.person@example.dk", "hr")
    idp.set_user("sub-hr-1", email="HR.Person@example.dk", email_verified=True)
    client = oidc_app.test_client()
    r = _sign_in(client, idp, "sub-hr-1", next_path="/hr/waves")
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"] == "/hr/waves"
    assert idp.guard.token_requests == [(True, True)]  # the code was redeemed with a matching verifier
    assert _hr_pages(client) == 200
    user = _user(oidc_app, email="hr.person@example.dk")
    assert user is not None and user.oidc_subject == "sub-hr-1" and user.role == "hr"
    # the second time the subject finds the account, even when the e-mail changed at the provider
    idp.set_user("sub-hr-1", email="renamed@example.dk", email_verified=False)
    other = oidc_app.test_client()
    assert _sign_in(other, idp, "sub-hr-1").status_code == 303
    assert _hr_pages(other) == 200


def test_unverified_email_does_not_link_an_account(oidc_app: Flask, idp: Provider) -> None:
    with oidc_app.app_context():
        make_user("hr.person@example.dk", "hr")
    idp.set_user("sub-imposter", email="hr.person@example.dk", email_verified=False)
    client = oidc_app.test_client()
    r = _sign_in(client, idp, "sub-imposter")
    assert r.status_code == 403
    assert "sub-imposter" in r.get_data(as_text=True)  # the identifier to tell the administrator
    assert _user(oidc_app, email="hr.person@example.dk").oidc_subject is None  # type: ignore[union-attr]
    assert _hr_pages(client) == 302


def test_role_and_unit_from_claims_create_and_update_the_account(
    app: Flask, database_url: str, idp: Provider, make_units: Any
) -> None:
    make_units()
    trivsel = _app(
        database_url,
        idp.url,
        TRIVSEL_OIDC_ROLE_CLAIM="roles",
        TRIVSEL_OIDC_ROLE_VALUES="Trivsel.HR=hr,Trivsel.Manager=manager",
        TRIVSEL_OIDC_UNIT_CLAIM="department",
    )
    idp.set_user("sub-m", email="m@example.dk", roles=["Other", "Trivsel.Manager"], department="A")
    client = trivsel.test_client()
    assert _sign_in(client, idp, "sub-m").status_code == 303
    user = _user(trivsel, oidc_subject="sub-m")
    assert user is not None and (user.role, user.manager_unit_id, user.email) == (
        "manager",
        "A",
        "m@example.dk",
    )
    assert _hr_pages(client) == 403  # a manager is not HR
    # the provider promotes the person: the next sign-in follows the claim
    idp.set_user("sub-m", email="m@example.dk", roles=["Trivsel.HR", "Trivsel.Manager"])
    client = trivsel.test_client()
    assert _sign_in(client, idp, "sub-m").status_code == 303
    user = _user(trivsel, oidc_subject="sub-m")
    assert user is not None and (user.role, user.manager_unit_id) == ("hr", None)
    assert _hr_pages(client) == 200
    # no password signs this account in
    with trivsel.app_context():
        from survey.services.users import authenticate

        assert authenticate("m@example.dk", "!oidc-no-password") is None


# --- refusals ---------------------------------------------------------------------------------------


def test_wrong_state_is_refused(oidc_app: Flask, idp: Provider) -> None:
    idp.set_user("sub-s", email="s@example.dk", email_verified=True)
    with oidc_app.app_context():
        make_user("s@example.dk", "hr")
    client = oidc_app.test_client()
    back = idp.authorize(_start(client), "sub-s")
    forged = back.replace("state=", "state=x")
    r = _callback(client, forged)
    assert r.status_code == 400
    assert "Start log-ind igen." in r.get_data(as_text=True)  # Danish by default
    assert idp.guard.token_requests == []  # the code was never redeemed
    assert _hr_pages(client) == 302
    # a callback in a browser that never started the sign-in (login CSRF): refused as well
    stranger = oidc_app.test_client()
    assert _callback(stranger, back).status_code == 400
    assert _hr_pages(stranger) == 302


def test_wrong_issuer_in_a_correctly_signed_id_token_is_refused(oidc_app: Flask, idp: Provider) -> None:
    idp.set_user("sub-i", email="i@example.dk", email_verified=True)
    with oidc_app.app_context():
        make_user("i@example.dk", "hr")
    idp.guard.token_host = f"127.0.0.1:{idp.port}"  # ID tokens now say iss=http://127.0.0.1:PORT
    client = oidc_app.test_client()
    r = _sign_in(client, idp, "sub-i")
    assert r.status_code == 401
    assert idp.guard.token_requests == [(True, True)]  # the token was issued; Trivsel refused it
    assert _hr_pages(client) == 302
    assert _user(oidc_app, email="i@example.dk").oidc_subject is None  # type: ignore[union-attr]


def test_id_token_for_another_application_is_refused(oidc_app: Flask, idp: Provider, caplog: Any) -> None:
    """A correctly signed ID token from the right provider, but meant for another client (``aud``): a
    token stolen from another application at the same provider must not sign anyone in to Trivsel."""
    idp.set_user("sub-a", email="a@example.dk", email_verified=True)
    with oidc_app.app_context():
        make_user("a@example.dk", "hr")
    idp.guard.audience = "another-application"
    client = oidc_app.test_client()
    client.get("/sprog/en")
    r = _sign_in(client, idp, "sub-a")
    assert r.status_code == 401
    assert "was not meant for Trivsel" in r.get_data(as_text=True)
    assert "ID token refused" in caplog.text and "'aud'" in caplog.text  # refused for its audience
    assert idp.guard.token_requests == [(True, True)]  # the token was issued; Trivsel refused it
    assert _hr_pages(client) == 302
    assert _user(oidc_app, email="a@example.dk").oidc_subject is None  # type: ignore[union-attr]


def test_token_response_without_an_id_token_is_refused(oidc_app: Flask, idp: Provider, caplog: Any) -> None:
    """A provider that answers a plain OAuth 2 token (an access token, no ID token) has not told who
    signed in: nobody is signed in, and the page says the answer could not be trusted."""
    idp.set_user("sub-n", email="n@example.dk", email_verified=True)
    with oidc_app.app_context():
        make_user("n@example.dk", "hr")
    idp.guard.drop_id_token = True
    client = oidc_app.test_client()
    client.get("/sprog/en")
    r = _sign_in(client, idp, "sub-n")
    assert r.status_code == 401
    assert "could not be trusted" in r.get_data(as_text=True)
    assert "the token response has no ID token" in caplog.text
    assert idp.guard.token_requests == [(True, True)]
    assert _hr_pages(client) == 302
    assert _user(oidc_app, email="n@example.dk").oidc_subject is None  # type: ignore[union-attr]


def test_discovery_document_of_another_issuer_is_refused(
    app: Flask, database_url: str, idp: Provider
) -> None:
    # reached as 127.0.0.1, the provider calls itself http://127.0.0.1:PORT, not the configured issuer
    trivsel = _app(
        database_url,
        idp.url,
        TRIVSEL_OIDC_METADATA_URL=f"http://127.0.0.1:{idp.port}/.well-known/openid-configuration",
    )
    r = trivsel.test_client().get("/login/oidc")
    assert r.status_code == 401


def test_expired_id_token_is_refused(app: Flask, database_url: str) -> None:
    # the provider issues ID tokens that expired 5 minutes before they were issued (beyond the 60 s leeway)
    with provider(access_token_max_age=timedelta(minutes=-5)) as stale:
        trivsel = _app(database_url, stale.url)
        stale.set_user("sub-e", email="e@example.dk", email_verified=True)
        with trivsel.app_context():
            make_user("e@example.dk", "hr")
        client = trivsel.test_client()
        r = _sign_in(client, stale, "sub-e")
        assert r.status_code == 401
        assert stale.guard.token_requests == [(True, True)]
        assert _hr_pages(client) == 302


def test_user_without_a_role_is_refused(oidc_app: Flask, idp: Provider) -> None:
    idp.set_user("sub-nobody", email="nobody@example.dk", email_verified=True)
    client = oidc_app.test_client()
    r = _sign_in(client, idp, "sub-nobody")
    assert r.status_code == 403
    assert "sub-nobody" in r.get_data(as_text=True)
    assert _user(oidc_app, oidc_subject="sub-nobody") is None  # no account was made
    assert _hr_pages(client) == 302


def test_role_claim_without_a_trivsel_role_is_refused_even_with_an_assigned_role(
    app: Flask, database_url: str, idp: Provider
) -> None:
    trivsel = _app(database_url, idp.url, TRIVSEL_OIDC_ROLE_CLAIM="roles")
    with trivsel.app_context():
        make_user("left@example.dk", "admin")
    idp.set_user("sub-left", email="left@example.dk", email_verified=True, roles=["Students"])
    client = trivsel.test_client()
    assert _sign_in(client, idp, "sub-left").status_code == 403
    assert client.get("/admin/users").status_code == 302


def test_manager_claim_without_unit_is_refused(app: Flask, database_url: str, idp: Provider) -> None:
    trivsel = _app(database_url, idp.url, TRIVSEL_OIDC_ROLE_CLAIM="trivsel_role")
    idp.set_user("sub-mgr", email="mgr@example.dk", trivsel_role="manager")
    r = _sign_in(trivsel.test_client(), idp, "sub-mgr")
    assert r.status_code == 403 and _user(trivsel, oidc_subject="sub-mgr") is None


def test_deactivated_account_is_refused(oidc_app: Flask, idp: Provider) -> None:
    from survey.services.users import set_active

    with oidc_app.app_context():
        make_user("gone@example.dk", "hr")
        set_active("gone@example.dk", False)
    idp.set_user("sub-gone", email="gone@example.dk", email_verified=True)
    client = oidc_app.test_client()
    assert _sign_in(client, idp, "sub-gone").status_code == 403
    assert _hr_pages(client) == 302


def test_cancelled_at_the_provider(oidc_app: Flask, idp: Provider) -> None:
    import requests

    client = oidc_app.test_client()
    r = requests.post(_start(client), data={"action": "deny"}, allow_redirects=False, timeout=5)
    assert r.status_code == 302
    assert _callback(client, r.headers["Location"]).status_code == 401


def test_provider_unreachable(app: Flask, database_url: str) -> None:
    with provider() as gone:
        url = gone.url
    trivsel = _app(database_url, url)  # the provider has stopped: nothing listens there now
    r = trivsel.test_client().get("/login/oidc")
    assert r.status_code == 503
    assert "log-ind-tjeneste kunne ikke nås" in r.get_data(as_text=True)


# --- passwords off, sign-out -------------------------------------------------------------------------


def test_local_passwords_off(app: Flask, database_url: str, idp: Provider) -> None:
    trivsel = _app(database_url, idp.url, TRIVSEL_LOCAL_PASSWORDS=False)
    with trivsel.app_context():
        make_user("pw@example.dk", "hr")
    client = trivsel.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and "/login/oidc" in page
    token = csrf(client, "/kode")  # the sign-in page has no form now; the code page's token is as good
    r = client.post("/login", data={"csrf_token": token, "email": "pw@example.dk", "password": PASSWORD})
    assert r.status_code == 403
    assert _hr_pages(client) == 302
    # OpenID sign-in still works for the same account
    idp.set_user("sub-pw", email="pw@example.dk", email_verified=True)
    assert _sign_in(client, idp, "sub-pw").status_code == 303
    assert _hr_pages(client) == 200


def test_passwords_off_without_oidc_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="TRIVSEL_LOCAL_PASSWORDS=off"):
        create_app({"TESTING": True, "TRIVSEL_LOCAL_PASSWORDS": False})


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"TRIVSEL_OIDC_CLIENT_ID": "x"}, "TRIVSEL_OIDC_ISSUER is not"),
        ({"TRIVSEL_OIDC_ISSUER": "https://idp.example"}, "TRIVSEL_OIDC_CLIENT_ID"),
        (
            {
                "TRIVSEL_OIDC_ISSUER": "idp.example",
                "TRIVSEL_OIDC_CLIENT_ID": "a",
                "TRIVSEL_OIDC_CLIENT_SECRET": "b",
            },
            "is not a URL",
        ),
        (
            {
                "TRIVSEL_OIDC_ISSUER": "https://idp.example",
                "TRIVSEL_OIDC_CLIENT_ID": "a",
                "TRIVSEL_OIDC_CLIENT_SECRET": "b",
                "TRIVSEL_OIDC_ROLE_CLAIM": "roles",
                "TRIVSEL_OIDC_ROLE_VALUES": "Trivsel.HR=boss",
            },
            "TRIVSEL_OIDC_ROLE_VALUES",
        ),
        (
            {
                "TRIVSEL_OIDC_ISSUER": "https://idp.example",
                "TRIVSEL_OIDC_CLIENT_ID": "a",
                "TRIVSEL_OIDC_CLIENT_SECRET": "b",
                "TRIVSEL_OIDC_SCOPES": "email",
            },
            "openid",
        ),
        (
            {
                "TRIVSEL_ENV": "production",
                "SECRET_KEY": "k" * 40,
                "TRIVSEL_OIDC_ISSUER": "http://idp.example",
                "TRIVSEL_OIDC_CLIENT_ID": "a",
                "TRIVSEL_OIDC_CLIENT_SECRET": "b",
            },
            "https in production",
        ),
    ],
)
def test_bad_oidc_settings_are_refused_at_start(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, **cfg})


def test_passwords_flag_from_environment() -> None:
    from survey.config import from_environ

    assert from_environ({"TRIVSEL_LOCAL_PASSWORDS": "off"})["TRIVSEL_LOCAL_PASSWORDS"] is False
    with pytest.raises(ConfigError, match="expected on or off"):
        from_environ({"TRIVSEL_LOCAL_PASSWORDS": "maybe"})


def test_sign_out_ends_the_session_and_the_provider_session(oidc_app: Flask, idp: Provider) -> None:
    with oidc_app.app_context():
        make_user("out@example.dk", "hr")
    idp.set_user("sub-out", email="out@example.dk", email_verified=True)
    client = oidc_app.test_client()
    assert _sign_in(client, idp, "sub-out").status_code == 303
    assert _hr_pages(client) == 200
    stolen = client.get_cookie("session")
    assert stolen is not None
    token = csrf(client, "/hr/waves")
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303
    end = urlsplit(r.headers["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == idp.url + "/oauth2/end_session"
    assert parse_qs(end.query)["client_id"] == [CLIENT_ID]
    assert _hr_pages(client) == 302
    # a copy of the cookie taken before signing out no longer signs anyone in
    replay = oidc_app.test_client()
    replay.set_cookie("session", stolen.value)
    assert _hr_pages(replay) == 302


def test_password_sign_out_also_ends_copies_of_the_session(client: FlaskClient, db: Any) -> None:
    make_user("pw.out@example.dk", "hr")
    assert sign_in(client, "pw.out@example.dk").status_code == 303
    assert _hr_pages(client) == 200
    stolen = client.get_cookie("session")
    assert stolen is not None
    r = client.post("/logout", data={"csrf_token": csrf(client, "/hr/waves")})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    replay = client.application.test_client()
    replay.set_cookie("session", stolen.value)
    assert _hr_pages(replay) == 302
    # signing in again works (a new session with the new epoch)
    assert sign_in(client, "pw.out@example.dk").status_code == 303
    assert _hr_pages(client) == 200


# --- an administrator's assignment from the command line ---------------------------------------------


def test_cli_account_for_a_subject_signs_in_without_a_verified_email(oidc_app: Flask, idp: Provider) -> None:
    runner = oidc_app.test_cli_runner()
    r = runner.invoke(
        args=["user", "create", "--email", "c@example.dk", "--role", "committee", "--oidc-subject", "sub-c"]
    )
    assert r.exit_code == 0, r.output
    idp.set_user("sub-c", email="someone.else@example.dk")  # Entra-style: no email_verified
    client = oidc_app.test_client()
    assert _sign_in(client, idp, "sub-c").status_code == 303
    assert client.get("/admin/users").status_code == 403 and client.get("/").status_code == 200
    user = _user(oidc_app, oidc_subject="sub-c")
    assert user is not None and user.role == "committee"
    # the same subject cannot be given to a second account
    r = runner.invoke(
        args=["user", "create", "--email", "d@example.dk", "--role", "hr", "--oidc-subject", "sub-c"]
    )
    assert r.exit_code != 0 and "already linked" in r.output
    assert _user(oidc_app, email="d@example.dk") is None


def test_cli_link_oidc(oidc_app: Flask, idp: Provider) -> None:
    runner = oidc_app.test_cli_runner()
    with oidc_app.app_context():
        make_user("l@example.dk", "hr")
    r = runner.invoke(args=["user", "link-oidc", "--email", "nobody@example.dk", "--subject", "sub-l"])
    assert r.exit_code != 0 and "no account for nobody@example.dk" in r.output
    r = runner.invoke(args=["user", "link-oidc", "--email", "l@example.dk", "--subject", "sub-l"])
    assert r.exit_code == 0, r.output
    idp.set_user("sub-l", email="l@example.dk")
    client = oidc_app.test_client()
    assert _sign_in(client, idp, "sub-l").status_code == 303
    assert _hr_pages(client) == 200
