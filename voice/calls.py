"""A call's record, its flow state between webhooks (``callstate``), and the flows' context.

A main-line call's first webhook only reads (``open_call``, ``catalogue.call_records``): its
person and record wait for the batch (``voice.visits``), or for a turn that needs them."""
from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

import ivr_flows
from catalogue import call_records, call_start
from catalogue.database import begin_write
from catalogue.models import Caller, CallLog
from catalogue.programme_cache import ProgrammeCache
from catalogue.timeutil import epoch, utcnow
from ivr_flows import prompts
from ivr_flows.matching import ascii_digits
from ivr_flows.config import settings_from, settings_key
from ivr_flows.ports import Services

from . import callstate
from .call_rows import CallRows, defers, direction_of, note, number_of, pending_record
from .visits import VisitBuffer, end_calls


def settings() -> ivr_flows.Settings:
    return _flow_world()[0]


def services() -> Services:
    """What the flows get: the audio service's descriptions and recording storage, and this
    process's in-memory programme."""
    return _flow_world()[1]


def _flow_world() -> tuple[ivr_flows.Settings, Services]:
    """Built once per app (again only if a test changes the settings), not on every turn."""
    ext, cfg = current_app.extensions, current_app.config
    key = settings_key(cfg)
    cached = ext.get("lampio_flow_world")
    if cached is None or cached[0] != key:
        flow_settings = settings_from(cfg)
        programme: ProgrammeCache = ext["lampio_programme"]
        svc = ext.get("lampio_audio")
        flow_services = Services(programme=programme) if svc is None else Services(
            describe=svc.describe, recordings=svc, programme=programme)
        cached = (key, flow_settings, flow_services)
        ext["lampio_flow_world"] = cached
    return cached[1], cached[2]


def now() -> datetime:
    """The turn's clock (tests set ``utcnow`` here)."""
    return utcnow()


def visit_buffer() -> VisitBuffer:
    return current_app.extensions["lampio_visits"]


def context(db: DbSession, state: dict[str, Any],
            form: Mapping[str, str] | None = None) -> ivr_flows.Ctx:
    """``form``: the webhook's, for a call whose rows wait for the batch (``CallRows``)."""
    flow_settings, flow_services = _flow_world()
    rows = CallRows(form) if form is not None and ("at" in state or "np" in state) else None
    return ivr_flows.Ctx(db=db, settings=flow_settings, now=utcnow(), state=state,
                         services=flow_services, commits=True, rows=rows)


def _from_record(db: DbSession, call: CallLog) -> ivr_flows.Ctx:
    # A deep copy: nodes change nested data in place, and the JSON column only sees a change
    # when it is given a value that differs from the one it loaded.
    state = copy.deepcopy(call.state or {})
    state["call_id"] = call.id
    ctx = context(db, state)
    if "caller_id" not in state or "city" not in state:
        ctx.set_caller(db.get(Caller, call.caller_id) if call.caller_id else None)
    return ctx


_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")


def valid_sid(form: Mapping[str, str]) -> bool:
    """Twilio's CallSids are "CA" and 32 hex digits; anything else (too long for the column,
    a NUL byte) is not a call of ours and must not reach the database."""
    return _CALL_SID.fullmatch(form.get("CallSid", "")) is not None


_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def _fingerprint(form: Mapping[str, str], config: Mapping[str, Any] | None = None) -> str:
    """Which call and which person a state belongs to: a keyed digest of the CallSid and the
    person's number (no number in the URL), checked on every turn so that a CallSid reused by
    another number never carries the first caller's state."""
    person = form.get("To" if direction_of(form) == "outbound" else "From", "")
    key = str((current_app.config if config is None else config)["SECRET_KEY"]).encode()
    msg = f"{form.get('CallSid', '')}|{person}".encode()
    # Letters only: a state (or a log line) never holds anything that looks like a number.
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:16].translate(_LETTERS)


def fingerprint_matches(state: Mapping[str, Any], form: Mapping[str, str],
                        config: Mapping[str, Any] | None = None) -> bool:
    """Whether a state is this call's and this number's (``config``: the app's, when no
    app context is pushed)."""
    return state.get("fp") == _fingerprint(form, config)


def open_call(db: DbSession, form: Mapping[str, str], line: str) -> ivr_flows.Ctx:
    """The call's start. A main-line call with a number only reads (``_pending``). Otherwise
    its record is made on its first webhook, and a retried first webhook (Twilio's, after a
    timeout) starts over on the same record. The insert comes first (the CallSid is unique), so
    a new call reads nothing before it, and nothing after it either: its state is empty."""
    sid = form.get("CallSid", "")
    direction = direction_of(form)
    number = number_of(form, direction)
    if defers(form, line, number) and not db.in_transaction():
        assert number is not None
        seen = call_records.look_up(db, number, sid)
        if not seen.recorded:
            return _pending(db, form, seen, number)
    begin_write(db)
    started = call_start.start_call(db, number, sid, direction, line, utcnow())
    caller = started.caller
    caller_id = caller.id if caller else None
    if started.call_id is not None:
        ctx = context(db, {"call_id": started.call_id})
        ctx.set_caller(caller, first=started.first)
        return _stamped(ctx, form)
    existing = db.scalars(select(CallLog).where(CallLog.call_sid == sid)).one()
    existing.state = {}
    if existing.caller_id == caller_id:  # Twilio retried the first webhook: same record
        call = existing
    else:
        # The CallSid is reused by another number: the first call's record keeps its history
        # under another name, and this is a new call that knows nothing of the first caller.
        existing.call_sid = f"{sid}~{existing.id}"[:64]
        db.flush()
        call_start.insert_record(db, caller_id, sid=sid, direction=direction, line=line,
                                 now=utcnow(), state={})  # or a third webhook's record won
        call = db.scalars(select(CallLog).where(CallLog.call_sid == sid)).one()
        call.state = {}
    g.lampio_call = call  # held for ``save``: the session only keeps clean objects weakly
    return _stamped(_from_record(db, call), form)


def _pending(db: DbSession, form: Mapping[str, str], seen: call_records.Seen,
             number: str) -> ivr_flows.Ctx:
    """A call whose record (and a new number's person) the batch makes: the state carries the
    start (``at``) and, for a new number, ``np`` with an unsaved person for this webhook."""
    now = utcnow()
    ctx = context(db, {"at": epoch(now)}, form)
    person = seen.caller or Caller(phone=number, city_id=seen.city_id)
    ctx.set_caller(person, first=seen.caller is None)
    ctx.news_marked = seen.news  # read with the person: news_preface asks nothing more
    visit_buffer().start(pending_record(form, ctx.state["at"], seen.caller is None)
                         | {"now": now})
    return _stamped(ctx, form)


def _stamped(ctx: ivr_flows.Ctx, form: Mapping[str, str]) -> ivr_flows.Ctx:
    ctx.state["fp"] = _fingerprint(form)
    return ctx


def load_call(db: DbSession, form: Mapping[str, str],
              state: dict[str, Any] | None) -> ivr_flows.Ctx:
    """The turn's context: from the state the URL carried, else from the call's record; a
    state of another call or another number is never used (the call starts anew)."""
    if state is not None and fingerprint_matches(state, form):
        return context(db, state, form)
    call = None if state is not None else db.scalar(
        select(CallLog).where(CallLog.call_sid == form.get("CallSid", "")))
    if call is None or not fingerprint_matches(call.state or {}, form):
        # State lost (e.g. a restore) or not this caller's: carry on from the main menu.
        ctx = open_call(db, form, "main")
        ctx.state["node"] = "main_menu"
        ctx.state.pop("first", None)  # no greeting or language choice follows to take it
        if ctx.caller is not None and ctx.caller.language:
            ctx.state["lang"] = ctx.caller.language
        return ctx
    return _from_record(db, call)


def save(ctx: ivr_flows.Ctx) -> None:
    """Keep the state in the call's record (personal data, a long state, or a writing turn)."""
    held: CallLog | None = g.get("lampio_call")
    call_id = ctx.call_id  # made now if the batch has not yet
    call = held if held is not None and held.id == call_id else ctx.db.get(CallLog, call_id)
    if call is not None:
        call.state = copy.deepcopy(ctx.state)  # a new value so the JSON column sees the change


def holds_private(ctx: ivr_flows.Ctx) -> bool:
    """Whether the call's record still holds personal data (a typed number). The record was
    loaded this turn, so this reads the session's copy, not the database."""
    call = ctx.db.get(CallLog, int(ctx.state["call_id"]))
    return call is not None and callstate.private(call.state or {})


def note_visits(ctx: ivr_flows.Ctx, form: Mapping[str, str]) -> None:
    """The turn's menu visits, words heard and a language chosen go to the batched writer."""
    note(visit_buffer(), ctx.state, form, ctx.visits, ctx.language_chosen)
    ctx.visits, ctx.language_chosen = [], None
    if ctx.heard:
        visit_buffer().add_heard(ctx.heard)
        ctx.heard = []


def call_end(form: Mapping[str, str]) -> dict[str, object]:
    """What Twilio's status callback says of a call's end, as ``visits.end_calls`` writes it."""
    duration = form.get("CallDuration", "")
    return {"sid": form.get("CallSid", ""), "st": form.get("CallStatus", "completed")[:20],
            "at": utcnow(),
            "dur": int(duration) if ascii_digits(duration) and len(duration) < 9 else None}


def close_call(db: DbSession, form: Mapping[str, str]) -> None:
    """The record's end at once, in the caller's transaction (an outbound call's end decides
    its retry there); the main line's hang-ups wait for the next batch (``VisitBuffer.end``)."""
    end_calls(db, [call_end(form)])


def language_hint(form: Mapping[str, str]) -> str | None:
    """The call's language for the fallback, without the database (it may be what is down):
    Twilio posts the URL that failed as ``ErrorUrl``, and our turn URLs carry the language in
    the state token, or beside ``s=db`` as ``l``. None when nothing says (all three are used)."""
    query = parse_qs(urlsplit(form.get("ErrorUrl", "")).query)
    state = callstate.read((query.get("s") or [""])[0])
    lang = (state or {}).get("lang") or (query.get("l") or [""])[0]
    return str(lang) if lang in prompts.LANGUAGES else None
