"""What every response and request of the app gets from the admin: security headers, a
``Secure`` session cookie whenever the request came over https, and a size limit on bodies.

The headers go on all of the main app's responses (the audio files too: they are harmless there);
Twilio's webhooks are served by their own lean app (``voice.webhooks``) with ``nosniff`` only,
since no browser renders TwiML. The CSP allows only this origin's own scripts, styles, images
and audio, with no inline code: the admin's templates have none (the live console's script is
``static/live.js``).

https: ``request.is_secure`` (with ``PROXY_FIX_HOPS`` set, ProxyFix has already applied the
proxy's ``X-Forwarded-Proto``); with ``PROXY_FIX_HOPS=0`` the first ``X-Forwarded-Proto`` is
believed for this one decision, like ``voice.security.public_url`` believes it for the URL Twilio
signed: a forged header can only make the forger's own cookie stricter.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from audio.session_audio import SESSION_MAX_BYTES

log = logging.getLogger(__name__)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Endpoints whose uploads may be larger than MAX_UPLOAD_MB: bytes (their own checks read the
# file in pieces and stop at their limit, see audio.session_audio).
LARGE_UPLOADS = {"admin.upload_session_audio": SESSION_MAX_BYTES + (1 << 20)}


def request_is_https() -> bool:
    if request.is_secure:
        return True
    if current_app.config.get("PROXY_FIX_HOPS"):
        return False  # ProxyFix decided, from the hops it trusts
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """``SESSION_COOKIE_SECURE`` as configured, and ``Secure`` anyway over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request_is_https()


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _upload_limit() -> None:
    """Before CSRF reads the form: the few upload views that may take more get their limit."""
    limit = LARGE_UPLOADS.get(request.endpoint or "")
    if limit:
        request.max_content_length = limit


def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    from .i18n import t

    mb = (request.max_content_length or 0) >> 20
    if request.path.startswith("/admin"):
        return render_template("admin/error.html", title=t("error.too_large_title"),
                               message=t("error.too_large", mb=mb)), 413
    return f"Request too large (limit {mb} MB).", 413


def _proxy_hint() -> None:
    """Once: throttling by address needs the real client address behind a proxy."""
    ext = current_app.extensions
    if ("lampio_proxy_hint" not in ext and request.headers.get("X-Forwarded-For")
            and not current_app.config.get("PROXY_FIX_HOPS")):
        ext["lampio_proxy_hint"] = True
        log.warning("requests come through a proxy (X-Forwarded-For) but PROXY_FIX_HOPS is 0: "
                    "every client has the proxy's address for the login throttling")


def init_app(app: Flask) -> None:
    """Call before ``csrf.init_app``: the upload limit must be set before the form is read."""
    app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("MAX_UPLOAD_MB", 25)) << 20
    app.session_interface = HttpsAwareSessionInterface()
    app.before_request(_upload_limit)
    app.before_request(_proxy_hint)
    app.after_request(_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
