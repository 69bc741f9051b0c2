"""User administration (role ``admin``): list, create, reset a password, deactivate, reactivate."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.auth import role_required
from survey.i18n import with_reason
from survey.models import ROLES
from survey.services import ServiceError, users
from survey.services.units import unit_labels

from . import bp


def _page(error: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "staff/users.html",
            users=users.list_users(),
            roles=ROLES,
            unit_labels=unit_labels(),
            error=error,
            form=form or {},
            min_length=users.MIN_PASSWORD_LENGTH,
        ),
        status,
    )


@bp.get("/admin/users", endpoint="users")
@role_required("admin")
def users_page() -> Any:
    return _page()


@bp.post("/admin/users")
@role_required("admin")
def create_user() -> Any:
    form = {k: (request.form.get(k) or "").strip() for k in ("email", "role", "unit_id")}
    try:
        user = users.create_user(
            form["email"], form["role"], request.form.get("password") or "", unit_id=form["unit_id"] or None
        )
    except ServiceError as exc:
        return _page(with_reason(_("The account was not created: %(reason)s"), exc), form, 422)
    flash(_("Account created for %(email)s.", email=user.email), "success")
    return redirect(url_for("staff.users"), code=303)


@bp.post("/admin/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id: int) -> Any:
    try:
        user = users.reset_password(user_id, request.form.get("password") or "")
    except ServiceError as exc:
        return _page(with_reason(_("The password was not changed: %(reason)s"), exc), status=422)
    flash(_("New password set for %(email)s.", email=user.email), "success")
    return redirect(url_for("staff.users"), code=303)


@bp.post("/admin/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int) -> Any:
    active = request.form.get("active") == "1"
    try:
        user = users.get_user(user_id)
        if user.id == current_user.id and not active:
            raise ServiceError("you cannot deactivate your own account")
        users.set_active(user.email, active)
    except ServiceError as exc:
        return _page(with_reason(_("The account was not changed: %(reason)s"), exc), status=422)
    if active:
        flash(_("%(email)s can sign in again.", email=user.email), "success")
    else:
        flash(_("%(email)s is deactivated and can no longer sign in.", email=user.email), "success")
    return redirect(url_for("staff.users"), code=303)
