"""``X-Twilio-Signature`` on every webhook, checked against the URL Twilio used."""
from __future__ import annotations

import functools
import hmac
import logging
from typing import Any, Callable

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path, or the forwarded scheme and host behind a
    proxy (as ProxyFix read them when ``PROXY_FIX_HOPS`` is set, else the first
    X-Forwarded-Proto/-Host, as ``admin.hardening`` reads https), or the URL as this server saw it."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    path = request.full_path.rstrip("?") if request.query_string else request.path
    if base:
        return base + path
    if current_app.config.get("PROXY_FIX_HOPS"):  # ProxyFix applied the trusted hop's headers
        return f"{request.scheme}://{request.host}{path}"
    proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return f"{proto}://{host}{path}"


class _FormValidator(RequestValidator):
    """Twilio's validator, asking the form for each parameter's values directly: its own
    lookup tries two methods that a plain dict lacks, two exceptions per parameter (a third of
    the check's time on a webhook's twenty parameters)."""

    def get_values(self, param_dict: Any, param_name: str) -> list[str]:
        return [param_dict[param_name]]


def signature_ok() -> bool:
    """One HMAC for the URL as it is first; only a mismatch pays for the validator's full check
    (it also tries the URL with and without the port, two more HMACs, on every request)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = _FormValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    url, form = public_url(), request.form.to_dict()
    return hmac.compare_digest(validator.compute_signature(url, form).encode(), signature.encode()) \
        or RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).validate(url, form, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_app.config.get("TWILIO_SKIP_SIGNATURE"):
            log.warning("TWILIO_SKIP_SIGNATURE is on: webhook %s accepted WITHOUT a signature "
                        "check. Never run like this in production.", request.path)
        elif not signature_ok():
            log.warning("webhook %s refused: missing or bad X-Twilio-Signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper
