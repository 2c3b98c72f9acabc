"""Logging in and out, the language switch, and the login requirement for all of /admin."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from catalogue.db import get_db
from catalogue.models import User
from catalogue.timeutil import utcnow
from .access import PUBLIC_ENDPOINTS
from .forms import LanguageForm, LoginForm
from .i18n import LANGUAGES, t
from .users import authenticate


def _load_user(user_id: str) -> User | None:
    try:
        found = get_db().get(User, int(user_id))
    except ValueError:
        return None
    return found if found is not None and found.active else None


def _unauthorized() -> Response:
    flash(t("auth.login_required"), "info")
    return redirect(url_for("admin.login", next=_safe_next(request.full_path)))


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)
    manager.login_view = "admin.login"
    manager.session_protection = "basic"


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the admin, never another host (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    return target.rstrip("?")


def require_login() -> Response | None:
    """The blueprint's ``before_request``: deny by default."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return _unauthorized()
    session.permanent = True  # the idle timeout restarts with every request
    return None


def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        db = get_db()
        user = authenticate(db, form.email.data or "", form.password.data or "")
        if user is not None:
            lang = session.get("admin_lang")
            session.clear()  # a fresh session at login: nothing carried over from before
            if lang:
                session["admin_lang"] = lang
            session.permanent = True
            login_user(user)
            user.last_login_at = utcnow()
            return redirect(_safe_next(request.args.get("next")) or url_for("admin.index"))
        failed = True
    status = 401 if failed else 200
    return render_template("admin/login.html", form=form, failed=failed), status


def logout() -> Response:
    lang = session.get("admin_lang")
    logout_user()
    session.clear()
    if lang:
        session["admin_lang"] = lang
    flash(t("auth.logged_out"), "info")
    return redirect(url_for("admin.login"))


def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["admin_lang"] = form.lang.data
    return redirect(_safe_next(form.next.data) or url_for("admin.index"))
