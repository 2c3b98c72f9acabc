"""The calls staff make themselves: people who asked to be called back (they pressed 0 outside
office hours and heard "we will call you back": the same worklist as the overview's, marked done
there, ``admin.worklists``), and calls nobody answered after the retries (or that may not have
gone out), each marked done here. Staff only: phone numbers are personal data."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from catalogue import news, outbound, worklists
from catalogue.db import get_db
from catalogue.models import OutboundCall, Session
from catalogue.timeutil import utcnow
from . import access
from .forms import CallbackDoneForm, ConfirmForm
from .i18n import t
from .overview import node_name


@access.staff_only
def calls_for_staff() -> str:
    rows = get_db().scalars(
        select(OutboundCall).where(OutboundCall.needs_staff.is_(True))
        .options(joinedload(OutboundCall.caller),
                 joinedload(OutboundCall.session).joinedload(Session.event))
        .order_by(OutboundCall.due_at)).all()
    return render_template("admin/calls.html", rows=rows, callbacks=worklists.callbacks(get_db()),
                           form=ConfirmForm(), callback_form=CallbackDoneForm(),
                           node_name=node_name)


@access.staff_only
def call_done(call_id: int) -> Response:
    call = access.posted_row(OutboundCall, call_id)
    db = get_db()
    call.needs_staff = False
    # Staff phoned the person about the news: told, so off the list of people to be told too.
    if outbound.NEWS.get(call.registration.notify_pending or "") == call.kind:
        news.told(db, [call.registration], utcnow(), actor=access.actor(), how="staff")
    flash(t("calls.done_flash"), "success")
    return redirect(url_for("admin.calls_for_staff"))
