"""Which calls the service owes people, and what became of them (no Flask, no Twilio).

``plan`` turns the registrations into due ``OutboundCall`` rows: the day before a session, a few
minutes before a phone performance, a place freed from the waiting list, a session staff cancelled
or moved (``Registration.notify_pending``). It is idempotent: the unique constraint
(registration, kind, session) with ``INSERT … ON CONFLICT DO NOTHING`` lets any number of job
runners plan at once. ``catalogue.outbound_claim`` hands the due rows out one at a time; the
functions here record the outcomes that the voice channel reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as DbSession

from . import audit

from .models import (ACTIVE, CallKind, Caller, CallStatus, OutboundCall, Registration,
                     RegistrationStatus, Session, SessionKind, SessionStatus)
from .timeutil import LOCAL_TZ, to_local, to_utc

NEWS = {"promoted": CallKind.PROMOTED, "cancelled": CallKind.CANCELLED, "moved": CallKind.MOVED}
DAY_BEFORE_CUTOFF = timedelta(hours=2)  # a "day before" call later than this is no use
STARTING_GRACE = timedelta(minutes=10)  # "take part now" still makes sense this long after start
STALE_CLAIM = timedelta(minutes=5)  # a claim never followed by a placed call: unsure, to staff


@dataclass(frozen=True)
class QuietHours:
    """No calls from ``start`` to ``end`` local time (wrapping midnight when start > end)."""

    start: time = time(20, 0)
    end: time = time(9, 0)

    @classmethod
    def parse(cls, spec: str) -> "QuietHours":
        """ "20:00-09:00" → QuietHours; ValueError for anything else."""
        try:
            a, b = (part.strip() for part in spec.split("-"))
            start, end = time.fromisoformat(a), time.fromisoformat(b)
        except ValueError as exc:
            raise ValueError(f"{spec!r} is not HH:MM-HH:MM") from exc
        if start == end:
            raise ValueError(f"{spec!r}: start and end are the same")
        return cls(start, end)

    def quiet(self, now_utc: datetime) -> bool:
        t = to_local(now_utc).time()
        if self.start > self.end:
            return t >= self.start or t < self.end
        return self.start <= t < self.end


@dataclass(frozen=True)
class CallRules:
    reminder_minutes: int = 10
    quiet: QuietHours = field(default_factory=QuietHours)
    day_before_at: time = time(12, 0)  # local time of the day-before call
    retry_minutes: int = 10
    retries: int = 2


def day_before_due(starts_at: datetime, rules: CallRules) -> datetime:
    day = to_local(starts_at).date() - timedelta(days=1)
    return to_utc(datetime.combine(day, rules.day_before_at, tzinfo=LOCAL_TZ))


# ---- planning ------------------------------------------------------------------------------

def _rows(db: DbSession, now: datetime, rules: CallRules) -> list[dict[str, Any]]:
    base = (select(Registration, Session)
            .join(Session, Registration.session_id == Session.id)
            .join(Caller, Registration.caller_id == Caller.id)
            .where(Caller.no_calls.is_(False), Registration.status.in_(ACTIVE)))
    rows: list[dict[str, Any]] = []

    def add(reg: Registration, kind: CallKind, due: datetime) -> None:
        rows.append({"kind": kind, "registration_id": reg.id, "session_id": reg.session_id,
                     "caller_id": reg.caller_id, "status": CallStatus.DUE, "due_at": due,
                     "attempts": 0, "needs_staff": False, "created_at": now})

    news = db.execute(base.where(Registration.notify_pending.in_(list(NEWS)),
                                 Session.ends_at > now)).all()
    for reg, session in news:
        if news_valid(reg, session):
            add(reg, NEWS[reg.notify_pending or ""], now)
    lead = timedelta(minutes=rules.reminder_minutes)
    soon = db.execute(base.where(Registration.status == RegistrationStatus.CONFIRMED,
                                 Session.status == SessionStatus.SCHEDULED,
                                 Session.kind == SessionKind.PHONE,
                                 Session.starts_at > now, Session.starts_at <= now + lead)).all()
    for reg, session in soon:
        add(reg, CallKind.STARTING, session.starts_at - lead)
    tomorrow = db.execute(base.where(Registration.status == RegistrationStatus.CONFIRMED,
                                     Session.status == SessionStatus.SCHEDULED,
                                     Session.kind != SessionKind.RECORDING,
                                     Session.starts_at > now + DAY_BEFORE_CUTOFF,
                                     Session.starts_at <= now + timedelta(days=2))).all()
    recent = _recently_told(db, now)
    for reg, session in tomorrow:
        due = day_before_due(session.starts_at, rules)
        if (due <= now and reg.created_at <= due and reg.notify_pending is None
                and (reg.id, reg.session_id) not in recent):
            add(reg, CallKind.DAY_BEFORE, due)
    return rows


def _recently_told(db: DbSession, now: datetime) -> set[tuple[int, int]]:
    """Registrations called in the last day about a freed place or a new time: that call read
    the session back already, so no day-before call follows it."""
    rows = db.execute(select(OutboundCall.registration_id, OutboundCall.session_id)
                      .where(OutboundCall.kind.in_([CallKind.PROMOTED, CallKind.MOVED]),
                             OutboundCall.created_at >= now - timedelta(days=1))).all()
    return {(r, s) for r, s in rows}


def news_valid(reg: Registration, session: Session) -> bool:
    if reg.notify_pending == "cancelled":
        return session.status == SessionStatus.CANCELLED
    if reg.notify_pending == "promoted":
        return reg.status == RegistrationStatus.CONFIRMED and session.status == SessionStatus.SCHEDULED
    return session.status == SessionStatus.SCHEDULED  # moved: the registration follows


def plan(db: DbSession, now: datetime, rules: CallRules,
         kinds: frozenset[CallKind] = frozenset(CallKind)) -> int:
    """Create the calls of ``kinds`` that are due by ``now``; returns how many were new.
    Commits."""
    _stale_claims(db, now)
    rows = [row for row in _rows(db, now, rules) if row["kind"] in kinds]
    if rows:  # only what is not there yet; the constraint settles a race with another runner
        have = set(db.execute(select(OutboundCall.registration_id, OutboundCall.kind,
                                     OutboundCall.session_id)
                              .where(OutboundCall.registration_id.in_(
                                  {r["registration_id"] for r in rows}))).all())
        rows = [r for r in rows if (r["registration_id"], r["kind"], r["session_id"]) not in have]
    if rows:
        if db.get_bind().dialect.name == "postgresql":
            stmt: Any = postgresql.insert(OutboundCall).on_conflict_do_nothing(
                constraint="outbound_call_once")
        else:
            stmt = sqlite.insert(OutboundCall).on_conflict_do_nothing()
        db.execute(stmt, rows)
    db.commit()
    return len(rows)


def _stale_claims(db: DbSession, now: datetime) -> None:
    """A runner that died between claiming and placing: we cannot know whether the call went
    out, so nobody calls again; staff see it instead."""
    db.execute(update(OutboundCall)
               .where(OutboundCall.status == CallStatus.PLACING,
                      OutboundCall.claimed_at < now - STALE_CLAIM)
               .values(status=CallStatus.STAFF, needs_staff=True, last_result="unsure", done_at=now)
               .execution_options(synchronize_session=False))


def still_wanted(call: OutboundCall, now: datetime) -> bool:
    """Checked again when the call is claimed: things change between planning and placing."""
    reg, session = call.registration, call.session
    if call.caller.no_calls or reg.status not in ACTIVE or reg.session_id != call.session_id:
        return False
    if call.kind == CallKind.DAY_BEFORE:
        return (reg.notify_pending is None and reg.status == RegistrationStatus.CONFIRMED and session.status == SessionStatus.SCHEDULED
                and now < session.starts_at - DAY_BEFORE_CUTOFF)
    if call.kind == CallKind.STARTING:
        return (reg.status == RegistrationStatus.CONFIRMED and session.status == SessionStatus.SCHEDULED
                and now < session.starts_at + STARTING_GRACE)
    return (reg.notify_pending is not None and NEWS.get(reg.notify_pending) == call.kind
            and now < session.ends_at and news_valid(reg, session))


# ---- outcomes ------------------------------------------------------------------------------

def _retry_or_staff(call: OutboundCall, now: datetime, rules: CallRules, result: str) -> None:
    call.last_result = result[:30]
    if call.attempts <= rules.retries:
        call.status = CallStatus.DUE
        call.due_at = now + timedelta(minutes=rules.retry_minutes)
    else:
        call.status = CallStatus.STAFF
        call.needs_staff = True
        call.done_at = now


def placed(db: DbSession, call: OutboundCall, sid: str, now: datetime) -> None:
    """Twilio took the call. Conditional: its first webhook may have come (and recorded the
    call as placed, or even heard) before this runner got here."""
    done = db.execute(update(OutboundCall)
                      .where(OutboundCall.id == call.id, OutboundCall.status == CallStatus.PLACING)
                      .values(status=CallStatus.PLACED, call_sid=sid, placed_at=now,
                              attempts=OutboundCall.attempts + 1)
                      .execution_options(synchronize_session=False))
    if done.rowcount == 0:  # type: ignore[attr-defined]  # CursorResult has rowcount
        db.execute(update(OutboundCall)
                   .where(OutboundCall.id == call.id, OutboundCall.call_sid.is_(None))
                   .values(call_sid=sid).execution_options(synchronize_session=False))
    db.commit()


def reached(call: OutboundCall, sid: str, now: datetime) -> None:
    """A webhook of the call arrived: if the runner has not yet recorded it as placed, the
    webhook does (the runner's conditional update then finds nothing to do)."""
    if call.status == CallStatus.PLACING:
        call.status = CallStatus.PLACED
        call.call_sid = sid
        call.placed_at = now
        call.attempts += 1


def place_failed(db: DbSession, call: OutboundCall, now: datetime, rules: CallRules,
                 result: str) -> None:
    """The REST request itself failed (not a 429): counted like a failed call."""
    call.attempts += 1
    _retry_or_staff(call, now, rules, result)
    db.commit()


def throttled(db: DbSession, call: OutboundCall) -> None:
    """HTTP 429: nothing was placed; the call goes back, not counted as an attempt."""
    call.status, call.last_result = CallStatus.DUE, "429"
    db.commit()


def finished(db: DbSession, call: OutboundCall, twilio_status: str, now: datetime,
             rules: CallRules) -> None:
    """Twilio's status callback at the end of the call (the caller commits)."""
    reached(call, call.call_sid or "", now)
    if call.status != CallStatus.PLACED:  # heard or machine said so already, or a late repeat
        call.done_at = call.done_at or now
        return
    if twilio_status in ("busy", "no-answer", "failed", "canceled"):
        _retry_or_staff(call, now, rules, twilio_status)
    else:
        call.status = CallStatus.ANSWERED
        call.last_result = twilio_status[:30]
        call.done_at = now


def heard(db: DbSession, call: OutboundCall, now: datetime) -> None:
    """The person answered the call's question: the news is told (``notify_pending`` cleared,
    and so off the staff's list of people to be told)."""
    call.status, call.done_at = CallStatus.HEARD, now
    reg = call.registration
    if reg.notify_pending is not None and NEWS.get(reg.notify_pending) == call.kind:
        log_told(db, audit.PHONE, reg, now, "call")
        reg.notify_pending = None


def log_told(db: DbSession, actor: audit.Actor | None, reg: Registration, now: datetime,
              how: str) -> None:
    audit.record(db, actor, "registration.told", "registration", reg.id, now=now,
                 before={"notify_pending": reg.notify_pending}, after={"how": how},
                 event_id=reg.session.event_id, session_id=reg.session_id)


def machine(db: DbSession, call: OutboundCall, answered_by: str, now: datetime) -> None:
    call.status, call.last_result, call.done_at = CallStatus.MACHINE, answered_by[:30], now


def stop_calls(db: DbSession, caller: Caller, now: datetime) -> None:
    """ "Don't call me": the flag, and every call not yet placed is dropped."""
    caller.no_calls = True
    db.execute(update(OutboundCall)
               .where(OutboundCall.caller_id == caller.id, OutboundCall.status == CallStatus.DUE)
               .values(status=CallStatus.SKIPPED, last_result="no_calls", done_at=now)
               .execution_options(synchronize_session=False))
