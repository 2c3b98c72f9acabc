"""Purging personal data after the fact (DESIGN.md section 6): ``lampio registrations purge``.

The choice: registrations of sessions that ended more than ``days`` ago are **anonymised**, not
deleted. The row keeps its session, status, attendance and times, so the admin's figures (how
many registered, waited, took part) stay right, and ``session.confirmed_count`` still matches the
rows; only the link to a person (``caller_id``, ``registered_by_caller_id``) and any pending
notice are cleared. A caller left with nothing (no registration, no call, no call-back request,
nothing else pointing at them) and first seen before the cut-off is then **deleted**, which
removes the phone number itself. A caller who still has something keeps their row, because
their language and name are what the phone remembers for them (DESIGN rule 7).

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

from .models import CallbackRequest, Caller, CallLog, Registration, RoomParticipant, Session
from .timeutil import utcnow

log = logging.getLogger(__name__)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class PurgeReport:
    anonymised: int
    callers_removed: int


def _orphans(db: DbSession, cutoff: datetime) -> list[int]:
    """Callers first seen before the cut-off that nothing known refers to any more."""
    referred = or_(
        exists().where(Registration.caller_id == Caller.id),
        exists().where(Registration.registered_by_caller_id == Caller.id),
        exists().where(CallLog.caller_id == Caller.id),
        exists().where(CallbackRequest.caller_id == Caller.id),
    )
    return list(db.scalars(select(Caller.id).where(Caller.created_at < cutoff, ~referred)))


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
    anonymised = int(cast("CursorResult[Any]", result).rowcount or 0)  # an UPDATE's Result is a CursorResult
    # Who was in a live room: the attendance stays (on the registration), the person goes.
    db.execute(update(RoomParticipant)
               .where(RoomParticipant.session_id.in_(ended), RoomParticipant.caller_id.is_not(None))
               .values(caller_id=None).execution_options(synchronize_session=False))
    removed = _delete_callers(db, _orphans(db, cutoff))
    db.flush()
    log.info("purge: %d registrations anonymised, %d callers removed (sessions ended %d+ days ago)",
             anonymised, removed, days)
    return PurgeReport(anonymised, removed)


registrations_cli = AppGroup("registrations", help="Registrations: privacy upkeep.")


@registrations_cli.command("purge")
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(min=0),
              help="Days after a session ended before its registrations lose their person.")
def purge_command(days: int) -> None:
    """Anonymise old registrations and remove callers left with nothing (safe to rerun)."""
    from .db import session_scope

    with session_scope(current_app) as db:
        report = purge(db, now=utcnow(), days=days)
    click.echo(f"{report.anonymised} registrations anonymised, "
               f"{report.callers_removed} callers removed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(registrations_cli)
