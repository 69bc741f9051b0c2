"""Sign-in (password or OpenID Connect), sign-out and the landing page."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from survey import oidc
from survey.auth import begin_session, is_safe_next
from survey.i18n import current_language, set_language
from survey.services import users

from . import bp


@bp.get("/")
def home() -> Any:
    if not current_user.is_authenticated:
        return render_template("staff/welcome.html")
    return render_template("staff/home.html", role=current_user.role)


def _login_page(error: str | None = None, email: str = "", target: str = "", status: int = 200) -> Any:
    return (
        render_template(
            "staff/login.html",
            error=error,
            email=email,
            next=target,
            oidc_enabled=oidc.enabled(),
            local_passwords=oidc.local_passwords(),
            provider_name=current_app.config.get("TRIVSEL_OIDC_PROVIDER_NAME"),
        ),
        status,
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = request.values.get("next", "")
    if not is_safe_next(target):
        target = ""
    if request.method == "POST":
        if not oidc.local_passwords():
            return _login_page(
                _("Signing in with a password is switched off here. Use your organisation's sign-in below."),
                target=target,
                status=403,
            )
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        user = users.sign_in(email, password) if email and password else None
        if user is not None:
            begin_session(user)
            return redirect(target or url_for("staff.home"), code=303)
        error = _(
            "The e-mail address or password is not right, or the account is locked for a while. "
            "Check them and try again, or ask an administrator."
        )
        return _login_page(error, email=email, target=target, status=401)
    return _login_page(target=target)


def _oidc_error_text(kind: str) -> tuple[str, int]:
    if kind == "state":
        return (
            _(
                "The sign-in could not be completed: it was started in another window or took too long. "
                "Start the sign-in again."
            ),
            400,
        )
    if kind == "provider":
        return _("Your organisation's sign-in was cancelled or refused. Try again."), 401
    if kind == "unavailable":
        return (
            _("Your organisation's sign-in service could not be reached. Try again in a few minutes."),
            503,
        )
    return (
        _(
            "The answer from your organisation's sign-in service could not be trusted (it had expired or "
            "was not meant for Trivsel), so you were not signed in. Try again; if it keeps happening, "
            "tell your IT department."
        ),
        401,
    )


@bp.get("/login/oidc")
def oidc_login() -> Any:
    if not oidc.enabled():
        return redirect(url_for("staff.login"), code=303)
    target = request.args.get("next", "")
    try:
        return oidc.start(target if is_safe_next(target) else "")
    except oidc.OIDCError as exc:
        current_app.logger.warning("OpenID sign-in not started: %s", exc)
        text, status = _oidc_error_text(exc.kind)
        return _login_page(text, status=status)


@bp.get("/login/oidc/callback", endpoint="oidc_callback")
def oidc_callback() -> Any:
    if not oidc.enabled():
        return redirect(url_for("staff.login"), code=303)
    target = session.pop(oidc.NEXT_KEY, "") or ""
    try:
        person = oidc.identity(oidc.finish())
    except oidc.OIDCError as exc:
        current_app.logger.warning("OpenID sign-in refused: %s", exc)
        text, status = _oidc_error_text(exc.kind)
        return _login_page(text, status=status)
    try:
        user = users.oidc_sign_in(
            person.subject,
            person.email,
            email_verified=person.email_verified,
            role=person.role,
            unit_id=person.unit_id,
            role_from_claim=person.role_from_claim,
        )
    except users.NoAccess as exc:
        current_app.logger.warning("OpenID sign-in without access: %s", exc.reason)
        if exc.reason == "inactive":
            text = _("This account is deactivated in Trivsel. Ask a Trivsel administrator if that is wrong.")
        elif exc.reason == "no_unit":
            text = _(
                "You are a manager in Trivsel, but your organisation's sign-in did not say which unit you "
                "manage. Ask a Trivsel administrator to set your unit."
            )
        else:
            text = _(
                "You signed in at your organisation, but you have no access to Trivsel yet. Ask a Trivsel "
                "administrator to give you a role, and tell them your e-mail address and this identifier: "
                "%(subject)s",
                subject=person.subject,
            )
        return _login_page(text, status=403)
    begin_session(user)
    session["oidc"] = True
    return redirect(target if is_safe_next(target) else url_for("staff.home"), code=303)


@bp.post("/logout")
@login_required
def logout() -> Any:
    lang = current_language()
    via_provider = bool(session.get("oidc"))
    users.end_sessions(int(current_user.get_id()))
    logout_user()
    session.clear()
    set_language(lang)
    if via_provider and oidc.enabled():
        url = oidc.logout_url(url_for("staff.home", _external=True))
        if url:
            return redirect(url, code=303)
    return redirect(url_for("staff.home"), code=303)
