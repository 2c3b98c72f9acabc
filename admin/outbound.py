"""Calls nobody answered after the retries (or that may not have gone out): staff call these
people themselves, then mark each one done. Staff only: phone numbers are personal data."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from catalogue.db import get_db
from catalogue.models import OutboundCall, Session
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
    return render_template("admin/calls.html", rows=rows, form=ConfirmForm())


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
