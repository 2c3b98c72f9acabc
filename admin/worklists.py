"""Staff's worklists on the overview (call-back requests, people to be told, recordings to
review, locked provider PINs), their counts in the navigation, and the actions that clear them.
The lists and the writes are the catalogue's (``catalogue.worklists``, ``news.told``,
``pins.unlock``); this module only shows them and passes the acting login."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session as DbSession
from werkzeug.wrappers import Response

from catalogue import news, pins, worklists
from catalogue.db import get_db
from catalogue.models import CallbackRequest, Provider, Registration
from catalogue.timeutil import utcnow
from . import access
from .forms import CallbackDoneForm, ConfirmForm
from .i18n import t

BACK = {"calls": "admin.calls_for_staff"}  # where a done call-back returns (else the overview)


def context(db: DbSession, now: datetime) -> dict[str, Any]:
    """What the overview's worklists show (staff only)."""
    told = worklists.to_be_told(db, now)
    return {"callbacks": worklists.callbacks(db), "told": told,
            "told_calls": worklists.last_calls(db, told), "review": worklists.to_review(db),
            "locked": worklists.locked_pins(db, now), "now": now,
            "callback_form": CallbackDoneForm(), "work_form": ConfirmForm()}


def nav_context() -> dict[str, Any]:
    """The worklists' counts for the navigation, on every staff page."""
    if not getattr(current_user, "is_authenticated", False) or not access.user().is_staff:
        return {"work_counts": None}
    return {"work_counts": worklists.counts(get_db(), utcnow())}


def _back(default_anchor: str) -> Response:
    target = BACK.get(request.form.get("back", ""))
    if target:
        return redirect(url_for(target))
    return redirect(url_for("admin.index") + f"#{default_anchor}")


@access.staff_only
def callback_done(request_id: int) -> Response:
    form = CallbackDoneForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_db()
    found = db.get(CallbackRequest, request_id)
    if found is None:
        abort(404)
    if worklists.callback_done(db, found, form.note.data, access.actor(), utcnow()):
        flash(t("work.called_back_flash"), "success")
    else:
        flash(t("work.already_done"), "warning")
    return _back("callbacks")


@access.staff_only
def told_done(reg_id: int) -> Response:
    reg = access.posted_row(Registration, reg_id)
    db = get_db()
    if reg.notify_pending is not None:
        news.told(db, [reg], utcnow(), actor=access.actor(), how="staff")
        flash(t("work.told_done_flash"), "success")
    else:
        flash(t("work.already_done"), "warning")
    return _back("told")


@access.staff_only
def unlock_pin(provider_id: int) -> Response:
    provider = access.posted_row(Provider, provider_id)
    db = get_db()
    pins.unlock(db, provider, access.actor(), utcnow())
    flash(t("work.unlocked"), "success")
    return _back("pins")
