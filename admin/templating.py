"""What every admin template can use: translations with plural forms (``_``, ``_n``), local
times, numbers and phone numbers (filters from ``formats``), the language switch."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request

from catalogue.models import Session
from catalogue.schedule import is_over
from catalogue.timeutil import to_local, utcnow
from .formats import local_dt as local_dt  # the one date filter; Python code imports it too
from .formats import local_span, number, phone
from .i18n import LANGUAGE_NAMES, LANGUAGES, current_lang, has, t, tn


def local_time(value: datetime) -> str:
    """Only the Helsinki time of day ("14.00"; in English "14:00"), under a day's heading."""
    local = to_local(value)
    return f"{local:%H:%M}" if current_lang() == "en" else f"{local:%H.%M}"


def input_dt(value: datetime | None) -> str:
    """For a ``datetime-local`` input's value."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def translate_error(message: Any) -> str:
    """Form errors are catalogue keys; anything else (a library's own message) is shown as is."""
    text = str(message)
    return t(text) if has(text) else text


def session_over(session: Session) -> bool:
    """For the templates: an ended session offers no edit, cancel or move."""
    return is_over(session, utcnow())


def _context() -> dict[str, Any]:
    return {"_": t, "_n": tn, "lang": current_lang(), "LANGUAGES": LANGUAGES,
            "LANGUAGE_NAMES": LANGUAGE_NAMES, "current_path": request.full_path.rstrip("?"),
            "session_over": session_over}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["admin_local_dt"] = local_dt
    app.jinja_env.filters["admin_local_span"] = local_span
    app.jinja_env.filters["admin_number"] = number
    app.jinja_env.filters["admin_phone"] = phone
    app.jinja_env.filters["admin_input_dt"] = input_dt
    app.jinja_env.filters["admin_local_time"] = local_time
    app.jinja_env.filters["admin_err"] = translate_error


def admin_context() -> dict[str, Any]:
    """The blueprint's context processor: only admin pages get ``_`` (other parts of the app
    may have their own)."""
    return _context()
