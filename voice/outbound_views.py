"""The webhooks of the calls the service makes: answered, and how the call ended.

``calls.create`` is given ``/voice/outbound?call=<id>`` and ``/voice/outbound/status?call=<id>``;
Twilio signs those URLs with the query, so the id cannot be forged. A person is answered with the
script of the call's kind (``ivr_flows.outbound``), then every turn goes through ``/voice/turn``
like any call; an answering machine (``AnsweredBy=machine_*``, ``fax``) gets a short message with
the service's number and the call ends.
"""
from __future__ import annotations

from flask import Response, current_app, g, request
from sqlalchemy import select

import ivr_flows
from catalogue import outbound
from catalogue.db import begin_write, get_db
from catalogue.models import OutboundCall
from catalogue.timeutil import utcnow
from ivr_flows.outbound import NODE_FOR, machine_message
from ivr_flows.reply import Reply

from . import calls
from .outbound_job import call_rules
from .security import twilio_signed
from .views import _finish, _twiml


def _the_call() -> OutboundCall | None:
    call_id = request.args.get("call", type=int)
    if call_id is None:
        return None
    db = get_db()
    stmt = select(OutboundCall).where(OutboundCall.id == call_id).execution_options(
        populate_existing=True)
    if db.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()  # the job runner's conditional update waits for us
    return db.scalar(stmt)


@twilio_signed
def answered() -> Response:
    db = get_db()
    begin_write(db)
    call = _the_call()
    now = utcnow()
    if call is None:  # not ours: end politely without a word
        return _twiml(Reply(hangup=True), "fi")
    outbound.reached(call, request.form.get("CallSid", ""), now)
    lang = call.caller.language or "fi"
    g.lang = lang
    answered_by = request.form.get("AnsweredBy", "")
    if answered_by.startswith("machine") or answered_by == "fax":
        outbound.machine(db, call, answered_by, now)
        db.commit()
        said = machine_message(lang, call.session.event.text("title", lang),
                               current_app.config.get("SERVICE_PHONE_NUMBER") or None)
        return _twiml(Reply(speech=said, hangup=True), lang)
    ctx = calls.open_call(db, request.form, "outbound")
    ctx.state["lang"] = lang
    reply = ivr_flows.engine.enter(ctx, NODE_FOR[call.kind], {"call": call.id})
    return _finish(ctx, reply)


@twilio_signed
def ended() -> Response:
    db = get_db()
    begin_write(db)
    call = _the_call()
    if call is not None:
        outbound.finished(db, call, request.form.get("CallStatus", ""), utcnow(),
                          call_rules(current_app))
    calls.close_call(db, request.form)
    db.commit()
    calls.visit_buffer().flush()
    return Response("", status=204)
