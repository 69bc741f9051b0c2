"""Sign-in, sign-out and the landing page."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey.auth import is_safe_next
from survey.i18n import current_language, set_language
from survey.services import users

from . import bp


@bp.get("/")
def home() -> Any:
    if not current_user.is_authenticated:
        return render_template("staff/welcome.html")
    return render_template("staff/home.html", role=current_user.role)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = request.values.get("next", "")
    if not is_safe_next(target):
        target = ""
    error = None
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        user = users.sign_in(email, password) if email and password else None
        if user is not None:
            lang = current_language()
            session.clear()  # a fresh session for the signed-in user (no fixation, no respondent state)
            set_language(lang)  # but keep the language the person chose
            login_user(user)
            return redirect(target or url_for("staff.home"), code=303)
        error = _(
            "The e-mail address or password is not right, or the account is locked for a while. "
            "Check them and try again, or ask an administrator."
        )
    status = 200 if error is None else 401
    return render_template("staff/login.html", error=error, email=email, next=target), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    lang = current_language()
    logout_user()
    session.clear()
    set_language(lang)
    return redirect(url_for("staff.home"), code=303)
