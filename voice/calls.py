"""A call's record and flow state between webhooks (kept in ``CallLog`` so any host answers)."""
from __future__ import annotations

import copy
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

import ivr_flows
from catalogue import callers
from catalogue.models import Caller, CallLog, MenuVisit
from catalogue.timeutil import utcnow
from ivr_flows.office_hours import OfficeHours
from ivr_flows.ports import Services


def settings() -> ivr_flows.Settings:
    cfg = current_app.config
    hours = current_app.extensions.get("lampio_office_hours")
    if hours is None or hours.spec != cfg["OFFICE_HOURS"]:
        hours = OfficeHours.parse(cfg["OFFICE_HOURS"])
        current_app.extensions["lampio_office_hours"] = hours
    return ivr_flows.Settings(staff_number=cfg.get("STAFF_PHONE_NUMBER") or None, office_hours=hours)


def _caller(db: DbSession, form: Mapping[str, str], direction: str) -> Caller | None:
    # An outbound call's person is the one called ("To"); an inbound one's the caller ("From").
    number = callers.normalise(form.get("To" if direction == "outbound" else "From"))
    return callers.find_or_create(db, number) if number else None


def services() -> Services:
    """What the flows get from the audio package (approved descriptions, recording storage)."""
    svc = current_app.extensions.get("lampio_audio")
    if svc is None:
        return Services()
    return Services(describe=svc.describe, recordings=svc)


def _ctx(db: DbSession, call: CallLog) -> ivr_flows.Ctx:
    # A deep copy: nodes change nested data in place, and the JSON column only sees a change
    # when it is given a value that differs from the one it loaded.
    state = copy.deepcopy(call.state or {})
    state["call_id"] = call.id
    ctx = ivr_flows.Ctx(db=db, settings=settings(), now=utcnow(), state=state, services=services())
    if "caller_id" not in state or "city" not in state:
        ctx.set_caller(db.get(Caller, call.caller_id) if call.caller_id else None)
    return ctx


def open_call(db: DbSession, form: Mapping[str, str], line: str) -> ivr_flows.Ctx:
    sid = form.get("CallSid", "")
    existing = db.scalar(select(CallLog).where(CallLog.call_sid == sid))
    if existing is not None:  # Twilio retried the first webhook: start over, same record
        existing.state = {}
        return _ctx(db, existing)
    direction = "outbound" if form.get("Direction", "").startswith("outbound") else "inbound"
    caller = _caller(db, form, direction)
    call = CallLog(call_sid=sid, caller_id=caller.id if caller else None, direction=direction,
                   line=line, started_at=utcnow(), state={})
    try:
        with db.begin_nested():
            db.add(call)
    except IntegrityError:
        call = db.scalars(select(CallLog).where(CallLog.call_sid == sid)).one()
    return _ctx(db, call)


def load_call(db: DbSession, form: Mapping[str, str]) -> ivr_flows.Ctx:
    call = db.scalar(select(CallLog).where(CallLog.call_sid == form.get("CallSid", "")))
    if call is None:  # state lost (e.g. a restore): carry on from the main menu
        ctx = open_call(db, form, "main")
        ctx.state["node"] = "main_menu"
        if ctx.caller is not None and ctx.caller.language:
            ctx.state["lang"] = ctx.caller.language
        return ctx
    return _ctx(db, call)


def save(ctx: ivr_flows.Ctx) -> None:
    call_id = int(ctx.state["call_id"])
    ctx.db.add_all(MenuVisit(call_id=call_id, node=name, at=at) for name, at in ctx.visits)
    ctx.visits.clear()
    call = ctx.db.get(CallLog, call_id)
    if call is not None:
        call.state = dict(ctx.state)  # a new dict so the JSON column sees the change


def close_call(db: DbSession, form: Mapping[str, str]) -> None:
    call = db.scalar(select(CallLog).where(CallLog.call_sid == form.get("CallSid", "")))
    if call is None:
        return
    call.status = form.get("CallStatus", "completed")[:20]
    call.ended_at = utcnow()
    duration = form.get("CallDuration", "")
    call.duration_seconds = int(duration) if duration.isdigit() else None
    call.state = {"lang": (call.state or {}).get("lang")} if call.state else {}


def language_hint(form: Mapping[str, str]) -> str:
    """The call's language for the fallback, read defensively (the database may be down)."""
    try:
        from catalogue.db import get_db

        call = get_db().scalar(select(CallLog).where(CallLog.call_sid == form.get("CallSid", "")))
        return (call.state or {}).get("lang", "fi") if call else "fi"
    except Exception:  # noqa: BLE001 - the fallback must answer whatever is broken
        return "fi"
