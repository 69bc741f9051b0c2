"""Access control for every staff route (table-driven) and the admin's user management pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.survey.staff_helpers import PASSWORD, csrf, make_user, post, sign_in, signed_in

# (method, path, roles allowed); {w} is a wave id, {u} a user id. Every route of the staff blueprint
# except /, /login (public) and /logout (any signed-in user) is listed; test_every_staff_route_is_listed
# fails when a new one is not.
ROUTES = [
    ("GET", "/admin/users", {"admin"}),
    ("POST", "/admin/users", {"admin"}),
    ("POST", "/admin/users/{u}/password", {"admin"}),
    ("POST", "/admin/users/{u}/active", {"admin"}),
    ("GET", "/hr/waves", {"admin", "hr"}),
    ("POST", "/hr/waves", {"admin", "hr"}),
    ("GET", "/hr/units", {"admin", "hr"}),
    ("POST", "/hr/units", {"admin", "hr"}),
    ("GET", "/hr/waves/{w}", {"admin", "hr"}),
    ("GET", "/hr/waves/{w}/participation", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/invitations", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/open", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/close", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/send", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/codes", {"admin", "hr"}),
    ("GET", "/hr/waves/{w}/republish", {"admin", "hr"}),
    ("POST", "/hr/waves/{w}/republish", {"admin", "hr"}),
    ("GET", "/hr/import", {"admin", "hr"}),
    ("POST", "/hr/import", {"admin", "hr"}),
]
PUBLIC = {"/", "/login", "/logout", "/login/oidc", "/login/oidc/callback"}
ROLES = ("admin", "hr", "committee", "manager")


def test_every_staff_route_is_listed(app: Any) -> None:
    listed = {(m, p.replace("{w}", "<int:wave_id>").replace("{u}", "<int:user_id>")) for m, p, _r in ROUTES}
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and rule.rule not in PUBLIC:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    assert found == listed


def _fill(path: str, ids: dict[str, int]) -> str:
    return path.format(w=ids["w"], u=ids["u"])


@pytest.fixture()
def ids(db: Any, make_units: Any, make_wave: Any) -> dict[str, int]:
    make_units()
    wave = make_wave("2025", status="draft")
    other = make_user("other@example.dk", "hr")
    return {"w": wave.id, "u": other.id}


@pytest.mark.parametrize("method,path,allowed", ROUTES)
def test_anonymous_is_redirected_to_sign_in(
    client: Any, ids: dict[str, int], method: str, path: str, allowed: Any
) -> None:
    url = _fill(path, ids)
    if method == "GET":
        r = client.get(url)
    else:  # with a valid CSRF token, so the redirect comes from the role check
        r = client.post(url, data={"csrf_token": csrf(client, "/login")})
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


WRONG_ROLE = [(role, m, p) for m, p, allowed in ROUTES for role in ROLES if role not in allowed]


@pytest.mark.parametrize("role,method,path", WRONG_ROLE)
def test_wrong_role_gets_403(client: Any, ids: dict[str, int], role: str, method: str, path: str) -> None:
    signed_in(client, role, unit_id="A" if role == "manager" else None)
    url = _fill(path, ids)
    if method == "GET":
        r = client.get(url)
    else:
        r = client.post(url, data={"csrf_token": csrf(client, "/")})
    assert r.status_code == 403


@pytest.mark.parametrize("method,path,allowed", [r for r in ROUTES if r[0] == "GET"])
def test_allowed_roles_see_the_pages(
    client: Any, ids: dict[str, int], method: str, path: str, allowed: Any
) -> None:
    for role in sorted(allowed):
        c = client.application.test_client()
        signed_in(c, role)
        assert c.get(_fill(path, ids)).status_code == 200


# --- user management --------------------------------------------------------------------------------


def test_admin_lists_and_creates_users(client: Any, db: Any, make_units: Any) -> None:
    make_units()
    signed_in(client, "admin")
    r = post(
        client,
        "/admin/users",
        {"email": "m@example.dk", "role": "manager", "unit_id": "A", "password": "manager password 1"},
        page="/admin/users",
    )
    assert r.status_code == 303
    page = client.get("/admin/users").get_data(as_text=True)
    assert "m@example.dk" in page
    assert 'class="flash flash-success"' in page
    other = client.application.test_client()
    assert sign_in(other, "m@example.dk", "manager password 1").status_code == 303


@pytest.mark.parametrize(
    "form,reason",
    [
        ({"email": "not-an-address", "role": "hr", "password": PASSWORD}, "is not an e-mail address"),
        ({"email": "x@example.dk", "role": "boss", "password": PASSWORD}, "role must be one of"),
        ({"email": "x@example.dk", "role": "manager", "password": PASSWORD}, "a manager needs"),
        ({"email": "x@example.dk", "role": "hr", "password": "short"}, "at least 12 characters"),
        ({"email": "admin@example.dk", "role": "hr", "password": PASSWORD}, "already exists"),
    ],
)
def test_create_user_errors_are_shown_and_change_nothing(
    client: Any, db: Any, form: dict[str, str], reason: str
) -> None:
    from survey.models import User

    signed_in(client, "admin")
    before = db.session.scalar(db.select(db.func.count()).select_from(User))
    r = post(client, "/admin/users", form, page="/admin/users")
    assert r.status_code == 422
    assert reason in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == before


def test_admin_resets_a_password(client: Any, db: Any) -> None:
    signed_in(client, "admin")
    user = make_user("hr@example.dk", "hr")
    short = post(client, f"/admin/users/{user.id}/password", {"password": "short"}, page="/admin/users")
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    assert sign_in(client.application.test_client(), "hr@example.dk", PASSWORD).status_code == 303
    r = post(
        client, f"/admin/users/{user.id}/password", {"password": "a brand new password"}, page="/admin/users"
    )
    assert r.status_code == 303
    assert sign_in(client.application.test_client(), "hr@example.dk", PASSWORD).status_code == 401
    assert (
        sign_in(client.application.test_client(), "hr@example.dk", "a brand new password").status_code == 303
    )


def test_a_password_reset_ends_the_open_sessions_of_that_account(client: Any, db: Any) -> None:
    """Someone signed in with the old password (the reason for a reset) is signed out by the reset."""
    signed_in(client, "admin")
    hr = client.application.test_client()
    signed_in(hr, "hr")
    assert hr.get("/hr/waves").status_code == 200
    from survey.models import User

    user = db.session.scalar(db.select(User).where(User.email == "hr@example.dk"))
    r = post(
        client, f"/admin/users/{user.id}/password", {"password": "a brand new password"}, page="/admin/users"
    )
    assert r.status_code == 303
    assert hr.get("/hr/waves").status_code == 302  # the old session no longer counts
    assert client.get("/admin/users").status_code == 200  # the admin's own session is untouched
    fresh = client.application.test_client()
    assert sign_in(fresh, "hr@example.dk", "a brand new password").status_code == 303
    assert fresh.get("/hr/waves").status_code == 200


def test_reset_password_lifts_a_lock_out(client: Any, db: Any) -> None:
    from survey.services import users

    user = make_user("hr@example.dk", "hr")
    for _ in range(5):
        users.sign_in("hr@example.dk", "wrong password!")
    assert users.sign_in("hr@example.dk", PASSWORD) is None  # locked
    signed_in(client, "admin")
    post(
        client, f"/admin/users/{user.id}/password", {"password": "a brand new password"}, page="/admin/users"
    )
    assert users.sign_in("hr@example.dk", "a brand new password") is not None


def test_deactivate_signs_the_user_out_and_blocks_sign_in(client: Any, db: Any) -> None:
    signed_in(client, "admin")
    hr = client.application.test_client()
    signed_in(hr, "hr")
    assert hr.get("/hr/waves").status_code == 200
    from survey.models import User

    user = db.session.scalar(db.select(User).where(User.email == "hr@example.dk"))
    r = post(client, f"/admin/users/{user.id}/active", {"active": "0"}, page="/admin/users")
    assert r.status_code == 303
    assert hr.get("/hr/waves").status_code == 302  # the open session no longer counts
    assert sign_in(client.application.test_client(), "hr@example.dk").status_code == 401
    post(client, f"/admin/users/{user.id}/active", {"active": "1"}, page="/admin/users")
    assert sign_in(client.application.test_client(), "hr@example.dk").status_code == 303


def test_admin_cannot_deactivate_themselves(client: Any, db: Any) -> None:
    from survey.models import User

    signed_in(client, "admin")
    me = db.session.scalar(db.select(User).where(User.email == "admin@example.dk"))
    r = post(client, f"/admin/users/{me.id}/active", {"active": "0"}, page="/admin/users")
    assert r.status_code == 422 and "your own account" in r.get_data(as_text=True)
    db.session.refresh(me)
    assert me.active


def test_staff_navigation_shows_what_the_role_may_use(client: Any, db: Any) -> None:
    signed_in(client, "admin")
    page = client.get("/").get_data(as_text=True)
    assert 'class="staff-nav"' in page
    assert 'href="/admin/users"' in page and 'href="/hr/waves"' in page
    if "reports.overview" in client.application.view_functions:
        assert 'href="/rapporter/"' in page
    committee = client.application.test_client()
    signed_in(committee, "committee")
    page = committee.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in page and 'href="/hr/waves"' not in page


def test_respondent_pages_have_no_staff_navigation_even_when_signed_in(client: Any, db: Any) -> None:
    signed_in(client, "admin")
    assert "staff-nav" not in client.get("/kode").get_data(as_text=True)


def test_admin_actions_are_audited_and_a_refused_one_is_not(client: Any, db: Any) -> None:
    from survey.models import User
    from survey.models_audit import AuditEvent

    signed_in(client, "admin")
    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.dk"))
    post(
        client,
        "/admin/users",
        {"email": "x@example.dk", "role": "hr", "password": "short"},
        page="/admin/users",
    )
    post(
        client,
        "/admin/users",
        {"email": "y@example.dk", "role": "hr", "password": PASSWORD},
        page="/admin/users",
    )
    events = db.session.execute(
        db.select(AuditEvent.action, AuditEvent.actor, AuditEvent.target).where(
            AuditEvent.action.like("user.%")
        )
    ).all()
    # the first is the test's own account, made through the same service outside a request (actor "cli")
    assert [tuple(e) for e in events] == [
        ("user.create", "cli", "admin@example.dk"),
        ("user.create", str(admin.id), "y@example.dk"),
    ]
    signins = db.session.scalars(
        db.select(AuditEvent.target).where(AuditEvent.action == "auth.sign_in")
    ).all()
    assert signins == [str(admin.id)]


def test_links_to_other_pages_appear_only_when_their_endpoint_exists(client: Any, db: Any) -> None:
    app = client.application
    signed_in(client, "hr")
    others = {"reports.overview": "Reports", "committee.index": "Funding", "followup.index": "Follow-up"}
    page = client.get("/").get_data(as_text=True)
    for endpoint, label in others.items():
        assert (f">{label}</a>" in page) == (endpoint in app.view_functions)
    for endpoint in others:  # as if those blueprints were not registered
        app.view_functions.pop(endpoint, None)
    page = client.get("/").get_data(as_text=True)
    assert 'class="staff-nav"' in page
    assert not any(f">{label}</a>" in page for label in others.values())


def test_password_reset_and_deactivation_are_audited_by_the_service(client: Any, db: Any) -> None:
    """The services write these events (the view only calls them); a refused request leaves none."""
    from survey.models import User
    from survey.models_audit import AuditEvent

    signed_in(client, "admin")
    admin_id = str(db.session.scalar(db.select(User.id).where(User.email == "admin@example.dk")))
    user = make_user("hr@example.dk", "hr")
    post(client, f"/admin/users/{user.id}/password", {"password": "short"}, page="/admin/users")
    post(client, f"/admin/users/{admin_id}/active", {"active": "0"}, page="/admin/users")  # own account
    new = {"password": "a brand new password"}
    post(client, f"/admin/users/{user.id}/password", new, page="/admin/users")
    post(client, f"/admin/users/{user.id}/active", {"active": "0"}, page="/admin/users")
    post(client, f"/admin/users/{user.id}/active", {"active": "1"}, page="/admin/users")
    db.session.remove()
    events = db.session.execute(
        db.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target)
        .where(AuditEvent.action.in_(["user.password_reset", "user.activate", "user.deactivate"]))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        (admin_id, "user.password_reset", str(user.id)),
        (admin_id, "user.deactivate", str(user.id)),
        (admin_id, "user.activate", str(user.id)),
    ]
