"""Logging in and out, the language switch, and the login requirement for all of /admin."""
from __future__ import annotations

import logging
import re
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
from .throttle import account_hash
from .users import authenticate

log = logging.getLogger(__name__)
SESSION_VERSION = "_lampio_sv"  # the user's session_version when this session logged in
# No control characters (CR/LF would split the Location header), no backslash (browsers read
# it as a slash, so "/\\evil" is another host), no "//" anywhere.
_UNSAFE_NEXT = re.compile(r"[\x00-\x1f\x7f\\]|//")


def _load_user(user_id: str) -> User | None:
    """The session's user, only while the session's version is the user's current one: a
    logout (or a new password) bumps the version, so a cookie saved before opens nothing."""
    try:
        found = get_db().get(User, int(user_id))
    except ValueError:
        return None
    if found is None or not found.active or session.get(SESSION_VERSION) != found.session_version:
        return None
    return found


def _unauthorized() -> Response:
    flash(t("auth.login_required"), "info")
    return redirect(url_for("admin.login", next=_safe_next(request.full_path)))


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)
    manager.login_view = "admin.login"
    manager.session_protection = "basic"


def _safe_next(target: str | None) -> str | None:
    """Only a relative path inside the admin, never another host (no open redirect) and
    nothing that could not be a header (a CR/LF once gave a 500); else None: the admin home."""
    if not target or _UNSAFE_NEXT.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/admin"
                                            or parts.path.startswith("/admin/")):
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
            session[SESSION_VERSION] = user.session_version
            login_user(user)
            user.last_login_at = utcnow()
            return redirect(_safe_next(request.args.get("next")) or url_for("admin.index"))
        failed = True
        log.info("admin login failed: account %s from %s", account_hash(form.email.data or ""),
                 request.remote_addr)
    status = 401 if failed else 200
    return render_template("admin/login.html", form=form, failed=failed), status


def logout() -> Response:
    """Ends every session of this user, not only this browser's: the version in the database
    moves on, so any copy of the cookie is refused (see ``_load_user``)."""
    lang = session.get("admin_lang")
    if current_user.is_authenticated:
        current_user.session_version += 1
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
