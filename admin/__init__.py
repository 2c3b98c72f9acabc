"""The web admin: staff and providers run the programme that the phone reads.

``init_app`` wires login (Flask-Login), CSRF for every form in the whole app (Flask-WTF; only the
blueprints the app passes as ``csrf_exempt`` are exempt: the Twilio webhooks, protected by
signatures, which also get no cookie session), secure session cookies with an idle
timeout, login throttling (``throttle``), security headers and the body size limit
(``hardening``), the ``/admin`` blueprint and ``lampio users``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta

from flask import Blueprint, Flask, Request, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSession
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from .hardening import HttpsAwareSessionInterface

csrf = CSRFProtect()
login_manager = LoginManager()
IDLE_MINUTES = 30


def _cookie_secure(app: Flask) -> bool:
    """Secure cookies everywhere except tests and the embedded default on plain local http."""
    env = os.environ.get("SESSION_COOKIE_SECURE")
    if env is not None:
        return env.strip().lower() in {"1", "true", "yes", "on"}
    if app.config.get("TESTING"):
        return False
    base = str(app.config.get("PUBLIC_BASE_URL") or "")
    local = ("http://127.0.0.1", "http://localhost", "http://[::1]")
    return not (base == "" or base.startswith(local))


def configure_sessions(app: Flask) -> None:
    """The session cookie is signed with a timestamp that Flask checks against
    ``PERMANENT_SESSION_LIFETIME``; refreshed on each request, that is the idle timeout."""
    minutes = int(app.config.get("ADMIN_IDLE_MINUTES", IDLE_MINUTES))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_cookie_secure(app),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]


class _NoCookieFor(HttpsAwareSessionInterface):
    """The admin's cookie session, left unopened for the channels that sign their requests
    another way (the Twilio webhooks): they never use it, and opening and saving it cost a
    tenth of a phone turn."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.prefixes and request.path.startswith(self.prefixes):
            return None  # Flask hands the view a null session, and saves nothing
        return super().open_session(app, request)


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    from .i18n import t

    if request.blueprint == "admin" or request.path.startswith("/admin"):
        return render_template("admin/error.html", title=t("error.csrf_title"),
                               message=t("error.csrf")), 400
    return "Bad request: missing or invalid CSRF token.", 400


def init_app(app: Flask, csrf_exempt: Iterable[Blueprint] = ()) -> None:
    """``csrf_exempt``: blueprints that check their requests another way (the Twilio webhooks,
    by signature); the app passes them, so the admin need not know the other channels."""
    from catalogue.setup import add_demo_loader

    from . import auth, cli, hardening, templating, throttle
    from .blueprint import bp
    from .users import load_demo_users

    configure_sessions(app)
    hardening.init_app(app)  # before CSRF: it sets the upload limit before the form is read
    # (its https-aware session interface is replaced below by the same without the webhooks)
    throttle.init_app(app)
    csrf.init_app(app)
    exempt_list = list(csrf_exempt)
    for exempt in exempt_list:
        csrf.exempt(exempt)
    app.session_interface = _NoCookieFor(
        tuple(bp_.url_prefix.rstrip("/") + "/" for bp_ in exempt_list if bp_.url_prefix))
    app.register_error_handler(CSRFError, _csrf_error)
    login_manager.init_app(app)
    auth.configure_login(login_manager)
    templating.init_app(app)
    app.register_blueprint(bp)
    from .feeds import bp as feeds_bp  # the public calendar feeds: no login, nothing to post

    app.register_blueprint(feeds_bp)
    # The address the start-up banner prints is the service's root: it leads to the admin.
    app.add_url_rule("/", "root", lambda: redirect(url_for("admin.index")))
    cli.init_app(app)
    # The demo logins come with the demo programme (``catalogue.setup.prepare_database``).
    add_demo_loader(app, lambda db, app_: load_demo_users(db, str(app_.config["SECRET_KEY"])))
