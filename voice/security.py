"""``X-Twilio-Signature`` on every webhook, checked against the URL Twilio used."""
from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Mapping
from typing import Any, Callable

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Request

log = logging.getLogger(__name__)


def public_url() -> str:
    """``url_signed`` for the request being handled."""
    return url_signed(request, current_app.config)


def url_signed(req: Request, config: Mapping[str, Any]) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path, or the forwarded scheme and host behind a
    proxy (as ProxyFix read them when ``PROXY_FIX_HOPS`` is set, else the first
    X-Forwarded-Proto/-Host, as ``admin.hardening`` reads https), or the URL as this server saw it."""
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    path = req.full_path.rstrip("?") if req.query_string else req.path
    if base:
        return base + path
    if config.get("PROXY_FIX_HOPS"):  # ProxyFix applied the trusted hop's headers
        return f"{req.scheme}://{req.host}{path}"
    proto = req.headers.get("X-Forwarded-Proto", req.scheme).split(",")[0].strip()
    host = req.headers.get("X-Forwarded-Host", req.host).split(",")[0].strip()
    return f"{proto}://{host}{path}"


class _FormValidator(RequestValidator):
    """Twilio's validator, asking the form for each parameter's values directly: its own
    lookup tries two methods that a plain dict lacks, two exceptions per parameter (a third of
    the check's time on a webhook's twenty parameters)."""

    def get_values(self, param_dict: Any, param_name: str) -> list[str]:
        return [param_dict[param_name]]


def signature_ok(req: Request, config: Mapping[str, Any]) -> bool:
    """One HMAC for the URL as it is first; only a mismatch pays for the validator's full check
    (it also tries the URL with and without the port, two more HMACs, on every request)."""
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = _FormValidator(config["TWILIO_AUTH_TOKEN"])
    url, form = url_signed(req, config), req.form.to_dict()
    return hmac.compare_digest(validator.compute_signature(url, form).encode(), signature.encode()) \
        or RequestValidator(config["TWILIO_AUTH_TOKEN"]).validate(url, form, signature)


def accepted(req: Request, config: Mapping[str, Any]) -> bool:
    """Whether a webhook may be answered: Flask's views (``twilio_signed``) and the kept
    answers served in front of Flask (``voice.turn_memo.answer_early``) ask the same."""
    if config.get("TWILIO_SKIP_SIGNATURE"):
        log.warning("TWILIO_SKIP_SIGNATURE is on: webhook %s accepted WITHOUT a signature "
                    "check. Never run like this in production.", req.path)
        return True
    return signature_ok(req, config)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not accepted(request, current_app.config):
            log.warning("webhook %s refused: missing or bad X-Twilio-Signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper
