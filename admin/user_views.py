"""Staff manage the admin's logins: list, create (the new user sets a password through a
one-time link), change role and provider, deactivate and reactivate, and make a new one-time
link for someone who forgot their password. ``reset_password`` is the link's public page."""
from __future__ import annotations

import logging
import smtplib

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from catalogue.db import get_db
from catalogue.models import Provider, User, UserRole
from catalogue.timeutil import utcnow
from . import access, mail, resets
from .forms import ConfirmForm, choices
from .i18n import t
from .user_forms import NewUserForm, RoleFields, SetPasswordForm
from .users import MIN_PASSWORD, UserError, create_user, normalise_email, set_active, set_role

log = logging.getLogger(__name__)


def _provider_choices(form: RoleFields) -> None:
    providers = get_db().scalars(select(Provider).order_by(Provider.name)).all()
    form.provider_id.choices = choices([(0, t("users.no_provider"))] + [(p.id, p.name) for p in providers])


def _user_or_404(user_id: int) -> User:
    found = get_db().get(User, user_id)
    if found is None:
        abort(404)
    return found


@access.staff_only
def list_users() -> str:
    users = get_db().scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("admin/users.html", users=users)


@access.staff_only
def new_user() -> str | Response | tuple[str, int]:
    db = get_db()
    form = NewUserForm()
    _provider_choices(form)
    if form.validate_on_submit():
        email = normalise_email(form.email.data or "")
        if db.scalar(select(User).where(User.email == email)) is not None:
            form.email.errors = ["users.err.exists"]
        else:
            user = create_user(db, email=email, password=None, role=form.role.data,
                               provider_id=form.provider_id.data or None)
            return _link_page(user, created=True)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@access.staff_only
def edit_user(user_id: int) -> str | Response | tuple[str, int]:
    db = get_db()
    user = _user_or_404(user_id)
    form = RoleFields(obj=None)
    _provider_choices(form)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.provider_id.data = user.provider_id or 0
    if form.validate_on_submit():
        try:
            set_role(db, user, UserRole(form.role.data), form.provider_id.data or None, access.user())
        except UserError as exc:
            form.role.errors = [str(exc)]
        else:
            flash(t("users.saved"), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm()), status


@access.staff_only
def set_user_active(user_id: int, action: str) -> Response:
    user = _user_or_404(user_id)
    if action not in ("deactivate", "reactivate"):
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            set_active(get_db(), user, action == "reactivate", access.user())
        except UserError as exc:
            flash(t(str(exc)), "warning")
        else:
            flash(t(f"users.{action}d", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@access.staff_only
def new_reset_link(user_id: int) -> Response:
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if not user.active:
        flash(t("users.err.inactive"), "warning")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return _link_page(user, created=False)


def _link_page(user: User, created: bool) -> Response:
    """A new one-time link, shown to staff to hand over, and e-mailed when SMTP is set up."""
    config = current_app.config
    token, expires = resets.issue(get_db(), user, access.user(), int(config["PASSWORD_RESET_HOURS"]),
                                  utcnow())
    path = url_for("admin.reset_password", token=token)
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    link = base + path if base else url_for("admin.reset_password", token=token, _external=True)
    sent: bool | None = None
    if mail.configured(config):
        try:
            mail.send(config, user.email, t("users.mail_subject"),
                      t("users.mail_body", link=link, hours=config["PASSWORD_RESET_HOURS"]))
            sent = True
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("password link e-mail not sent: %s", type(exc).__name__)
            sent = False
    return _not_stored(render_template("admin/user_link.html", user=user, link=link,
                                       expires=expires, created=created, sent=sent))


def _not_stored(body: str, status: int = 200) -> Response:
    """A page that shows or carries a one-time link is kept by no cache or history copy."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def reset_password(token: str) -> str | Response | tuple[str, int]:
    """The link's page: no login; a link that does not work says why and what to do."""
    db = get_db()
    now = utcnow()
    try:
        row = resets.check(db, token, now)
    except resets.ResetError as exc:
        return _link_problem(exc)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            resets.use(db, token, form.password.data or "", now)
        except resets.ResetError as exc:
            db.rollback()
            return _link_problem(exc)
        flash(t("users.password_set"), "success")
        return redirect(url_for("admin.login"))
    status = 400 if form.is_submitted() else 200
    return _not_stored(render_template("admin/reset.html", form=form, email=row.user.email,
                                       min_password=MIN_PASSWORD), status)


def _link_problem(exc: resets.ResetError) -> tuple[str, int]:
    key = f"users.link_{exc.problem.value}"
    status = 404 if exc.problem == resets.Problem.UNKNOWN else 410
    return render_template("admin/error.html", title=t("users.link_title"), message=t(key)), status
