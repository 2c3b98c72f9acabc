"""The calls staff make themselves: people who asked to be called back (they pressed 0 outside
office hours and heard "we will call you back"), and calls nobody answered after the retries (or
that may not have gone out). Each is marked done. Staff only: phone numbers are personal data."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from catalogue.db import get_db
from catalogue.models import CallbackRequest, OutboundCall, Session
from catalogue.timeutil import utcnow
from . import access
from .forms import ConfirmForm
from .i18n import t


@access.staff_only
def calls_for_staff() -> str:
    rows = get_db().scalars(
        select(OutboundCall).where(OutboundCall.needs_staff.is_(True))
        .options(joinedload(OutboundCall.caller),
                 joinedload(OutboundCall.session).joinedload(Session.event))
        .order_by(OutboundCall.due_at)).all()
    callbacks = get_db().scalars(
        select(CallbackRequest).where(CallbackRequest.done_at.is_(None))
        .options(joinedload(CallbackRequest.caller))
        .order_by(CallbackRequest.created_at)).all()
    return render_template("admin/calls.html", rows=rows, callbacks=callbacks, form=ConfirmForm())


@access.staff_only
def callback_done(request_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    found = get_db().get(CallbackRequest, request_id)
    if found is None:
        abort(404)
    found.done_at = utcnow()
    flash(t("calls.done_flash"), "success")
    return redirect(url_for("admin.calls_for_staff"))


@access.staff_only
def call_done(call_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call = get_db().get(OutboundCall, call_id)
    if call is None:
        abort(404)
    call.needs_staff = False
    flash(t("calls.done_flash"), "success")
    return redirect(url_for("admin.calls_for_staff"))
