"""Twilio's webhooks in a Flask app of their own, beside the main one, sharing its config,
extensions and engine.

The main app runs the admin's hooks on every request — CSRF, the upload limit, the proxy hint,
login's remember cookie, the limiter's headers, the security headers for pages — and none of
them does anything for a webhook, which is signed by Twilio and answered with TwiML: together
they were about 40 µs of a 0.7 ms programme turn. Here a webhook meets only the voice blueprint,
the database's request hooks, the background jobs' start and ``nosniff``. ``dispatch`` sends
``POST /voice/…`` here and everything else (the admin, the audio files, the websocket of the
Media Streams, the waiting room's sound) to the main app, so ``app.test_client()`` and any WSGI
server see one application.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from flask import Flask, Response
from flask.sessions import NullSession, SessionInterface

from catalogue.db import request_hooks

from .webhook_request import WebhookRequest

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
PREFIX = "/voice/"


class _NoSession(SessionInterface):
    """A webhook has no cookie session (Twilio keeps no cookies for us; the call's state is in
    the signed URL): the signing serializer and the cookie are not made on every turn."""

    def open_session(self, app: Flask, request: Any) -> NullSession:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def nosniff(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def lean_app(app: Flask, starters: Iterable[Callable[[], None]]) -> Flask:
    """The webhooks' app; ``starters`` are the main app's before-request hooks that start its
    background jobs with the first request (a webhook may well be the first)."""
    from .blueprint import bp

    lean = Flask(app.import_name, root_path=app.root_path, instance_path=app.instance_path)
    lean.config = app.config  # one config and one set of extensions: the same app, leaner
    lean.extensions = app.extensions
    lean.session_interface = _NoSession()
    lean.request_class = WebhookRequest
    lean.register_blueprint(bp)
    for start in starters:
        lean.before_request(start)
    request_hooks(lean)
    lean.after_request(nosniff)
    return lean


def install(app: Flask) -> None:
    """After every channel's ``init_app``: the webhooks' app, and the dispatch in front of the
    main app's own WSGI callable (ProxyFix, when set, wraps both)."""
    lean = lean_app(app, app.extensions.get("lampio_starters", []))
    app.extensions["lampio_webhooks_app"] = lean
    # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
    app.wsgi_app = dispatch(app.wsgi_app, lean)  # type: ignore[method-assign,assignment]


def dispatch(main: WSGIApp, lean: Flask) -> WSGIApp:
    """``POST /voice/…`` to the webhooks' app, a turn with a kept answer straight from the
    memo (``voice.turn_memo.answer_early``) and a call's end straight into the batch
    (``voice.hangup``), the rest to the main app."""
    from . import hangup
    from .turn_memo import answer_early
    from .views import TURN_PATH

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(PREFIX):
            return main(environ, start_response)
        kept = None
        if path == TURN_PATH:
            kept = answer_early(lean, environ)
        elif path == hangup.STATUS_PATH:
            kept = hangup.answer_early(lean, environ)
        if kept is not None:
            return nosniff(kept)(environ, start_response)
        return lean.wsgi_app(environ, start_response)

    return application
