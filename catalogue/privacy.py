"""Purging personal data after the fact (DESIGN.md section 6): ``lampio registrations purge``.

The choice: registrations of sessions that ended more than ``days`` ago are **anonymised**, not
deleted. The row keeps its session, status, attendance and times, so the admin's figures (how
many registered, waited, took part) stay right, and ``session.confirmed_count`` still matches the
rows; only the link to a person (``caller_id``, ``registered_by_caller_id``) and any pending
notice are cleared. A caller left with nothing (no registration, no call, no call-back request,
nothing else pointing at them) and first seen before the cut-off is then **deleted**, which
removes the phone number itself. A caller who still has something keeps their row, because
their language and name are what the phone remembers for them (DESIGN rule 7).

What a call leaves behind goes after the same period, so that it cannot keep a person alive
forever: call logs started before the cut-off (with their menu visits), the words heard in the
menus (the speech log), call-back requests made
before it, and the calls we made about sessions that ended before it. A person who pressed
"don't call me" keeps their row (with nothing else): it is what keeps that promise.
The period is ``PURGE_DAYS`` (the admin's registrations page says it).

``close_stale_calls`` ends calls whose status callback never came (Twilio may not send one when
our server was down), so that no call's state keeps what it held, such as a typed number.

Log lines here carry counts only, never a phone number or a name.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import CursorResult, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from .models import (AuditEntry, CallbackRequest, Caller, CallLog, MenuVisit, OutboundCall,
                     Registration, RoomParticipant, Session, SpeechHeard)
from .timeutil import utcnow

log = logging.getLogger(__name__)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class PurgeReport:
    anonymised: int
    callers_removed: int
    calls_removed: int = 0
    callbacks_removed: int = 0


def _orphans(db: DbSession, cutoff: datetime) -> list[int]:
    """Callers first seen before the cut-off that nothing known refers to any more."""
    referred = or_(
        exists().where(Registration.caller_id == Caller.id),
        exists().where(Registration.registered_by_caller_id == Caller.id),
        exists().where(CallLog.caller_id == Caller.id),
        exists().where(CallbackRequest.caller_id == Caller.id),
        exists().where(OutboundCall.caller_id == Caller.id),
        exists().where(RoomParticipant.caller_id == Caller.id),
    )
    return list(db.scalars(select(Caller.id).where(Caller.created_at < cutoff,
                                                   Caller.no_calls.is_(False), ~referred)))


def _count(result: Any) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)  # a bulk DML's Result


def _remove_old_records(db: DbSession, cutoff: datetime, ended: Any) -> tuple[int, int]:
    """Call logs (and their menu visits), words heard, call-back requests and our calls' rows
    older than the cut-off; returns (call logs, call-back requests) removed."""
    db.execute(delete(OutboundCall).where(OutboundCall.session_id.in_(ended))
               .execution_options(synchronize_session=False))
    old_calls = select(CallLog.id).where(CallLog.started_at < cutoff)
    db.execute(delete(MenuVisit).where(MenuVisit.call_id.in_(old_calls))
               .execution_options(synchronize_session=False))
    db.execute(delete(SpeechHeard).where(SpeechHeard.at < cutoff)
               .execution_options(synchronize_session=False))
    calls = _count(db.execute(delete(CallLog).where(CallLog.started_at < cutoff)
                              .execution_options(synchronize_session=False)))
    callbacks = _count(db.execute(delete(CallbackRequest).where(CallbackRequest.created_at < cutoff)
                                  .execution_options(synchronize_session=False)))
    # A caller's name as it was before an edit is personal data too: it goes after the period.
    db.execute(delete(AuditEntry).where(AuditEntry.object_type == "caller", AuditEntry.at < cutoff)
               .execution_options(synchronize_session=False))
    return calls, callbacks


def _delete_callers(db: DbSession, ids: list[int]) -> int:
    """Delete in one go; if some other table (added later) still refers to one of them, fall
    back to one at a time and keep the ones the database refuses to lose."""
    if not ids:
        return 0
    try:
        with db.begin_nested():
            db.execute(delete(Caller).where(Caller.id.in_(ids)))
        return len(ids)
    except IntegrityError:
        removed = 0
        for caller_id in ids:
            try:
                with db.begin_nested():
                    db.execute(delete(Caller).where(Caller.id == caller_id))
                removed += 1
            except IntegrityError:
                continue
        return removed


def purge(db: DbSession, *, now: datetime, days: int = DEFAULT_DAYS) -> PurgeReport:
    """Anonymise registrations of sessions that ended ``days`` ago or more and delete callers
    left with nothing. Flushes only; the caller commits."""
    if days < 0:
        raise ValueError("days must not be negative")
    cutoff = now - timedelta(days=days)
    ended = select(Session.id).where(Session.ends_at <= cutoff)
    result = db.execute(
        update(Registration)
        .where(Registration.session_id.in_(ended),
               or_(Registration.caller_id.is_not(None),
                   Registration.registered_by_caller_id.is_not(None)))
        .values(caller_id=None, registered_by_caller_id=None, notify_pending=None)
        .execution_options(synchronize_session=False))
    anonymised = _count(result)
    # Who was in a live room: the attendance stays (on the registration), the person goes.
    db.execute(update(RoomParticipant)
               .where(RoomParticipant.session_id.in_(ended), RoomParticipant.caller_id.is_not(None))
               .values(caller_id=None).execution_options(synchronize_session=False))
    calls, callbacks = _remove_old_records(db, cutoff, ended)
    removed = _delete_callers(db, _orphans(db, cutoff))
    db.flush()
    log.info("purge: %d registrations anonymised, %d call logs and %d call-back requests "
             "removed, %d callers removed (%d+ days old)", anonymised, calls, callbacks, removed, days)
    return PurgeReport(anonymised, removed, calls, callbacks)


def close_stale_calls(db: DbSession, *, now: datetime, hours: int) -> int:
    """End the calls still open ``hours`` after they started (no status callback came) and
    clear their state. Flushes only; returns how many."""
    result = db.execute(
        update(CallLog)
        .where(CallLog.ended_at.is_(None), CallLog.started_at < now - timedelta(hours=hours))
        .values(ended_at=now, status="no-callback", state={})
        .execution_options(synchronize_session=False))
    closed = _count(result)
    if closed:
        log.info("closed %d calls that never got a status callback", closed)
    return closed


registrations_cli = AppGroup("registrations", help="Registrations: privacy upkeep.")


@registrations_cli.command("purge")
@click.option("--days", default=None, type=click.IntRange(min=0),
              help="Days kept (default: the PURGE_DAYS setting).")
def purge_command(days: int | None) -> None:
    """Anonymise old registrations, remove old call logs and call-back requests, and remove
    callers left with nothing (safe to rerun)."""
    from .db import session_scope

    with session_scope(current_app) as db:
        report = purge(db, now=utcnow(),
                       days=int(current_app.config.get("PURGE_DAYS", DEFAULT_DAYS)) if days is None
                       else days)
    click.echo(f"{report.anonymised} registrations anonymised, {report.calls_removed} call logs "
               f"and {report.callbacks_removed} call-back requests removed, "
               f"{report.callers_removed} callers removed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(registrations_cli)
