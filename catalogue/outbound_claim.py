"""Handing out due calls exactly once, on one host or many, at a shared pace.

A runner claims one due call in a short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL (other runners skip the locked row and take the next), the database write lock on
SQLite (``begin_write``). The claim marks the row ``placing`` and commits *before* the REST
request, so a second runner can never pick it up again. In the same transaction the runner takes
the next slot from ``outbound_pace`` (locked ``FOR UPDATE``), which keeps one call per interval
across every runner, and lets a 429 push every runner back.
"""
from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from .database import begin_write, upsert_insert
from .models import CallKind, CallStatus, OutboundCall, OutboundPace
from .outbound import QuietHours, still_wanted

PACE_ROW = 1


def _pg(db: DbSession) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _pace_row(db: DbSession) -> OutboundPace:
    db.execute(upsert_insert(db, OutboundPace).values(id=PACE_ROW, next_at=0.0).on_conflict_do_nothing())
    stmt = select(OutboundPace).where(OutboundPace.id == PACE_ROW).execution_options(
        populate_existing=True)
    if _pg(db):
        stmt = stmt.with_for_update()
    row = db.scalar(stmt)
    assert row is not None
    return row


def claim(db: DbSession, now: datetime, quiet: QuietHours, interval: float,
          wall: float | None = None) -> tuple[OutboundCall, float] | None:
    """The next due call, now ours, and the wall-clock time (epoch seconds) to place it at;
    None when nothing is due. Calls no longer wanted are skipped here. In quiet hours only the
    call a few minutes before a phone performance goes out: the person chose that hour by
    registering, and was told "we will call you a few minutes before it starts"."""
    quiet_now = quiet.quiet(now)
    while True:
        begin_write(db)
        stmt = (select(OutboundCall)
                .where(OutboundCall.status == CallStatus.DUE, OutboundCall.due_at <= now)
                .order_by(OutboundCall.due_at, OutboundCall.id).limit(1)
                .execution_options(populate_existing=True))
        if quiet_now:
            stmt = stmt.where(OutboundCall.kind == CallKind.STARTING)
        if _pg(db):
            stmt = stmt.with_for_update(skip_locked=True, of=OutboundCall)
        call = db.scalar(stmt)
        if call is None:
            db.commit()
            return None
        if not still_wanted(call, now):
            call.status = CallStatus.SKIPPED
            call.last_result = "not_needed"
            call.done_at = now
            db.commit()
            continue
        call.status = CallStatus.PLACING
        call.claimed_at = now
        pace = _pace_row(db)
        slot = max(pace.next_at, time.time() if wall is None else wall)
        pace.next_at = slot + interval
        db.commit()
        return call, slot


def back_off(db: DbSession, seconds: float) -> None:
    """Twilio said 429: no runner places a call for ``seconds``."""
    begin_write(db)
    pace = _pace_row(db)
    pace.next_at = max(pace.next_at, time.time() + seconds)
    db.commit()
