"""Sign-in, sign-out, lock-out, the landing page, role_required and visible_unit_ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.survey.staff_helpers import PASSWORD, csrf, make_user, sign_in

GENERIC = "The e-mail address or password is not right"


def test_anonymous_landing_page_points_respondents_to_their_link_or_code(client: Any, db: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in page
    assert 'href="/kode"' in page
    assert "staff-nav" not in page


def test_sign_in_success_lands_on_the_role_page_and_sign_out_ends_the_session(client: Any, db: Any) -> None:
    make_user("hr@example.dk", "hr")
    r = sign_in(client, "HR@example.dk ", PASSWORD)  # address compared trimmed and in lower case
    assert r.status_code == 303 and r.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "hr@example.dk" in home and 'href="/hr/waves"' in home
    assert 'href="/admin/users"' not in home  # not an admin
    assert client.get("/hr/waves").status_code == 200
    token = csrf(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/hr/waves").status_code == 302


@pytest.mark.parametrize(
    "email,password", [("hr@example.dk", "wrong password!"), ("nobody@example.dk", PASSWORD)]
)
def test_failed_sign_in_gives_the_same_generic_message(
    client: Any, db: Any, email: str, password: str
) -> None:
    make_user("hr@example.dk", "hr")
    client.get("/sprog/en")
    r = sign_in(client, email, password)
    page = r.get_data(as_text=True)
    assert r.status_code == 401
    assert GENERIC in page
    assert "nobody" not in page.replace(
        'value="nobody@example.dk"', ""
    )  # the address is only echoed in the field
    assert client.get("/hr/waves").status_code == 302


def test_sign_in_without_csrf_token_is_refused(client: Any, db: Any) -> None:
    make_user("hr@example.dk", "hr")
    r = client.post("/login", data={"email": "hr@example.dk", "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/hr/waves").status_code == 302


def test_deactivated_account_cannot_sign_in(client: Any, db: Any) -> None:
    from survey.services.users import set_active

    make_user("hr@example.dk", "hr")
    set_active("hr@example.dk", False)
    assert sign_in(client, "hr@example.dk").status_code == 401


def test_five_failures_lock_the_account_for_15_minutes(client: Any, db: Any) -> None:
    from survey.models import User
    from survey.services import users

    make_user("hr@example.dk", "hr")
    client.get("/sprog/en")
    for _ in range(4):
        assert sign_in(client, "hr@example.dk", "wrong password!").status_code == 401
    user = db.session.scalar(db.select(User).where(User.email == "hr@example.dk"))
    db.session.refresh(user)
    assert user.failed_logins == 4 and user.locked_until is None
    before = users.utcnow()
    assert sign_in(client, "hr@example.dk", "wrong password!").status_code == 401  # 5th in a row
    db.session.refresh(user)
    assert user.locked_until is not None
    # locked for 15 minutes from the 5th failure (allow the seconds the request took)
    assert dt.timedelta(minutes=15) <= user.locked_until - before <= dt.timedelta(minutes=15, seconds=30)
    # the right password is refused while locked, with the same message
    r = sign_in(client, "hr@example.dk", PASSWORD)
    assert r.status_code == 401 and GENERIC in r.get_data(as_text=True)
    # after the lock has run out the right password works again and resets the count
    assert (
        users.sign_in("hr@example.dk", PASSWORD, now=user.locked_until + dt.timedelta(seconds=1)) is not None
    )
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_a_success_resets_the_failure_count(db: Any) -> None:
    from survey.services import users

    make_user("hr@example.dk", "hr")
    for _ in range(4):
        assert users.sign_in("hr@example.dk", "wrong password!") is None
    assert users.sign_in("hr@example.dk", PASSWORD) is not None
    for _ in range(4):
        assert users.sign_in("hr@example.dk", "wrong password!") is None
    # 4 + 4 failures, but not 5 in a row: not locked
    assert users.sign_in("hr@example.dk", PASSWORD) is not None


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/hr/waves", "/hr/waves"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\x00/evil.example", "/"),
        (" //evil.example", "/"),
        ("/ /evil.example", "/"),
        ("https:/evil.example", "/"),
    ],
)
def test_next_is_followed_only_to_local_paths(client: Any, db: Any, target: str, expected: str) -> None:
    make_user("hr@example.dk", "hr")
    r = sign_in(client, "hr@example.dk", next=target)
    assert r.status_code == 303 and r.headers["Location"] == expected


@pytest.mark.parametrize(
    "query", ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example", "%20//evil.example"]
)
def test_a_next_in_the_query_string_cannot_send_staff_off_site(client: Any, db: Any, query: str) -> None:
    """The attack as a link: ``POST /login?next=/%09/evil.example``; the browser would drop the tab and go to
    //evil.example."""
    make_user("hr@example.dk", "hr")
    token = csrf(client)
    r = client.post(
        f"/login?next={query}", data={"csrf_token": token, "email": "hr@example.dk", "password": PASSWORD}
    )
    assert r.status_code == 303 and r.headers["Location"] == "/"


@pytest.mark.parametrize(
    "query", ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example/"]
)
def test_the_language_switch_cannot_send_a_respondent_off_site(client: Any, db: Any, query: str) -> None:
    r = client.get(f"/sprog/en?next={query}")
    assert r.status_code == 303 and r.headers["Location"] == "/start"


def test_the_language_switch_returns_to_a_local_page(client: Any, db: Any) -> None:
    r = client.get("/sprog/en?next=/kode")
    assert r.status_code == 303 and r.headers["Location"] == "/kode"


def test_anonymous_is_sent_to_sign_in_with_next_and_comes_back(client: Any, db: Any) -> None:
    make_user("hr@example.dk", "hr")
    r = client.get("/hr/waves")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/hr/waves"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/hr/waves"' in page
    assert sign_in(client, "hr@example.dk", next="/hr/waves").headers["Location"] == "/hr/waves"


def test_session_protection_is_strong(app: Any) -> None:
    assert app.login_manager.session_protection == "strong"


def test_visible_unit_ids(db: Any, make_units: Any) -> None:
    from flask_login import AnonymousUserMixin

    from survey.auth import visible_unit_ids

    make_units([("U", None, "Org", 1), ("A", "U", "A", 1), ("A1", "A", "A1", 1), ("B", "U", "B", 1)])
    assert visible_unit_ids(make_user("hr@example.dk", "hr")) is None
    assert visible_unit_ids(make_user("c@example.dk", "committee")) is None
    assert visible_unit_ids(make_user("admin@example.dk", "admin")) is None
    assert visible_unit_ids(make_user("m@example.dk", "manager", unit_id="A")) == {"A", "A1"}
    assert visible_unit_ids(AnonymousUserMixin()) == set()


def test_role_required_rejects_unknown_roles() -> None:
    from survey.auth import role_required

    with pytest.raises(ValueError, match="role_required"):
        role_required("boss")


def test_the_chosen_language_survives_sign_in_and_sign_out(client: Any, db: Any) -> None:
    make_user("hr@example.dk", "hr")
    client.get("/sprog/en")
    sign_in(client, "hr@example.dk")
    assert "What you can do" in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page
    client.get("/sprog/da")
    assert "Log ind" in client.get("/").get_data(as_text=True)


def _client_at(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _failed(client: Any, email: str) -> int:
    return int(sign_in(client, email, "not the password at all").status_code)


def test_one_client_is_stopped_after_ten_failed_sign_ins_whatever_the_account(app: Any, db: Any) -> None:
    """Issue 10, item 6: without a per-client limit anyone could guess on every account, or keep every
    account locked out. The 11th failure from one address is refused, for another account too, and a
    colleague at another address still signs in."""
    for n in range(4):
        make_user(f"u{n}@example.dk", "hr")
    make_user("colleague@example.dk", "hr")
    attacker = _client_at(app, "198.51.100.7")
    attacker.get("/sprog/en")
    statuses = [_failed(attacker, f"u{n % 4}@example.dk") for n in range(10)]
    assert statuses == [401] * 10  # at most 3 per account: no account is locked yet
    assert _failed(attacker, "colleague@example.dk") == 429  # an account not tried before
    refused = sign_in(attacker, "u0@example.dk", PASSWORD)  # even the right password, from this client
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.get_data(as_text=True)
    colleague = _client_at(app, "203.0.113.20")
    colleague.get("/sprog/en")
    assert sign_in(colleague, "colleague@example.dk").status_code == 303
    assert colleague.get("/hr/waves").status_code == 200
    # successful sign-ins do not use up the allowance (a whole office behind one address)
    office = _client_at(app, "203.0.113.21")
    for _ in range(12):
        assert sign_in(office, "u1@example.dk").status_code == 303
        office.post("/logout", data={"csrf_token": csrf(office, "/")})
    assert _failed(office, "u2@example.dk") == 401


def test_the_sign_in_limit_is_configurable_and_explained_in_danish(database_url: str) -> None:
    from survey import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "s" * 40,
            "WTF_CSRF_ENABLED": False,
            "TRIVSEL_RATELIMIT_LOGIN": "2/minute",
        }
    )
    c = app.test_client()
    form = {"email": "nobody@example.dk", "password": "wrong password"}
    assert [c.post("/login", data=form).status_code for _ in range(3)] == [401, 401, 429]
    page = c.post("/login", data=form).get_data(as_text=True)
    assert "For mange mislykkede logins" in page
    assert c.get("/login").status_code == 200  # only the POSTs are limited


def _parallel_wrong_passwords(app: Any, monkeypatch: Any, n: int) -> int:
    """``n`` threads send a wrong password for hr@example.dk at the same moment; returns how many
    passwords were actually checked. Each check takes 50 ms, so every thread has read the account
    before any check ends (the window in which a read-modify-write loses counts)."""
    import threading
    import time

    from survey.extensions import db as _db
    from survey.models import User
    from survey.services import users

    checked: list[int] = []
    real = User.check_password

    def slow_check(self: Any, password: str) -> bool:
        checked.append(1)
        time.sleep(0.05)
        return bool(real(self, password))

    monkeypatch.setattr(User, "check_password", slow_check)
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def attempt() -> None:
        with app.app_context():
            try:
                start.wait()
                assert users.sign_in("hr@example.dk", "wrong password!") is None
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return len(checked)


def test_parallel_wrong_passwords_lose_no_count(app: Any, db: Any, monkeypatch: Any) -> None:
    """Issue 10, item 6: concurrent wrong passwords lost counter updates (a read-modify-write), so 16
    parallel attempts counted as a few. With the lock out of reach every one of them is counted."""
    from survey.models import User
    from survey.services import users

    make_user("hr@example.dk", "hr")
    monkeypatch.setattr(users, "LOCK_AFTER_FAILURES", 100)
    assert _parallel_wrong_passwords(app, monkeypatch, 16) == 16
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.email == "hr@example.dk"))
    assert user.failed_logins == 16 and user.locked_until is None


def test_parallel_wrong_passwords_check_no_more_than_the_lock_allows(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    """16 parallel guesses: only LOCK_AFTER_FAILURES passwords are checked (before, all 16 were, and
    the counter ended at 2), the account is locked once (one audit event), and the right password is
    refused while the lock lasts."""
    import sqlalchemy as sa

    from survey.models import User
    from survey.models_audit import AuditEvent
    from survey.services import users

    make_user("hr@example.dk", "hr")
    before = users.utcnow()
    assert _parallel_wrong_passwords(app, monkeypatch, 16) == users.LOCK_AFTER_FAILURES
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.email == "hr@example.dk"))
    assert user.locked_until is not None and user.locked_until >= before + dt.timedelta(minutes=14)
    assert user.failed_logins == 0  # counting starts again after the lock
    locks = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.locked")).all()
    assert len(locks) == 1
    assert users.sign_in("hr@example.dk", PASSWORD) is None
    assert _parallel_wrong_passwords(app, monkeypatch, 8) == 0  # nothing more is checked while locked
