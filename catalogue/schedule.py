"""Programme changes: event codes, creating and editing events and (weekly repeating) sessions,
cancelling and moving. The admin's views call these; so can CLI jobs and tests.

Plain functions on a SQLAlchemy session. They only add and flush (the caller commits), and each
queues ``catalogue.signals.programme_changed`` for the events it touched, sent after the commit.

A moved session: a new session is created, the old one is marked MOVED with ``moved_to_id``
(so the phone and the history both know where it went), and the registrations **follow** to the
new session with ``notify_pending = "moved"``. Callers keep their place and are told the new time;
one who cannot come cancels (by phone or at the reminder call), which frees the place for the
waiting list under the registration service's usual rules. Making everyone register again would
lose places for the people least able to act quickly.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from . import audit, categories, registration
from .models import ACTIVE, Event, Registration, RegistrationStatus, Session, SessionKind, SessionStatus
from .signals import programme_changed, send_after_commit
from .timeutil import LOCAL_TZ, to_utc

# What ``edit_event`` may set; anything else (the code, the id) is the service's own.
EVENT_FIELDS = frozenset({
    "provider_id", "city_id", "category", "venue", "address",
    "venue_sv", "venue_en", "address_sv", "address_en",
    *(f"{name}_{lang}" for name in ("title", "short", "description", "price_text")
      for lang in ("fi", "sv", "en")),
})
SESSION_FIELDS = ("starts_at", "ends_at", "kind", "capacity", "status", "registration_opens_at",
                  "registration_closes_at", "may_be_recorded")
_rng = random.SystemRandom()


def _log_session(db: DbSession, actor: audit.Actor | None, action: str, session: Session,
                 before: dict[str, Any] | None, **extra: Any) -> None:
    after = {**audit.snapshot(session, SESSION_FIELDS), **extra}
    audit.record(db, actor, action, "session", session.id, before=before, after=after,
                 event_id=session.event_id, session_id=session.id)


def new_event_code(db: DbSession) -> str:
    """An unused code: three digits while any are free, then four. Never starting with 0, which
    on the phone is the key for a person. Random rather than sequential, so a mistyped code
    rarely lands on a neighbouring event."""
    used = set(db.scalars(select(Event.code)))
    for low, high in ((100, 999), (1000, 9999)):
        free = [str(n) for n in range(low, high + 1) if str(n) not in used]
        if free:
            return _rng.choice(free)
    raise RuntimeError("no free event codes")


def add_event(db: DbSession, event: Event, attempts: int = 5,
              actor: audit.Actor | None = None) -> Event:
    """Insert ``event`` with a fresh unique code; a code taken meanwhile by another request is
    retried inside a savepoint (the unique index is the real guarantee). A category not in
    the list is refused (``categories.UnknownCategory``)."""
    categories.check(event.category)
    for _ in range(attempts):
        event.code = new_event_code(db)
        try:
            with db.begin_nested():
                db.add(event)
                db.flush()
            audit.record(db, actor, "event.create", "event", event.id, event_id=event.id,
                         after={"code": event.code, "title_fi": event.title_fi})
            _changed(db, event.id)
            return event
        except IntegrityError:
            continue  # the savepoint's rollback took the event out again; try another code
    raise RuntimeError("could not assign a unique event code")


def _changed(db: DbSession, *event_ids: int) -> None:
    send_after_commit(db, programme_changed, event_ids=list(event_ids))


def edit_event(db: DbSession, event: Event, values: Mapping[str, Any],
               actor: audit.Actor | None = None) -> None:
    """Set the event's fields (names in ``EVENT_FIELDS``); a category from the list only."""
    unknown = set(values) - EVENT_FIELDS
    if unknown:
        raise ValueError(f"not event fields: {sorted(unknown)}")
    if "category" in values:
        categories.check(str(values["category"]))
    before = audit.snapshot(event, values)
    for name, value in values.items():
        setattr(event, name, value)
    db.flush()
    after = audit.snapshot(event, values)
    if after != before:
        audit.record(db, actor, "event.edit", "event", event.id, before=before, after=after,
                     event_id=event.id)
    _changed(db, event.id)


def review_event(db: DbSession, event: Event, *, approved: bool,
                 actor: audit.Actor | None = None) -> None:
    """Staff's decision on an imported event: into the programme, or kept out of it for good
    (later imports update it but never change the decision)."""
    before = {"review": event.review}
    event.review = "approved" if approved else "rejected"
    db.flush()
    audit.record(db, actor, "event.review", "event", event.id, before=before,
                 after={"review": event.review}, event_id=event.id)
    _changed(db, event.id)


def weekly_starts(first_local: datetime, weeks: int) -> list[datetime]:
    """UTC starts for ``weeks`` sessions a week apart at the same Helsinki wall-clock time (so a
    14:00 concert stays at 14:00 across the change to or from summer time)."""
    first = first_local.replace(tzinfo=None)
    return [to_utc((first + timedelta(weeks=k)).replace(tzinfo=LOCAL_TZ)) for k in range(weeks)]


def add_sessions(db: DbSession, event: Event, *, first_local: datetime, minutes: int,
                 kind: SessionKind, capacity: int | None, opens_local: datetime | None,
                 closes_local: datetime | None, weeks: int = 1,
                 may_be_recorded: bool = False, actor: audit.Actor | None = None) -> list[Session]:
    """``weeks`` sessions, weekly; the registration window keeps its distance from the start."""
    created: list[Session] = []
    first_utc = to_utc(first_local)
    for start in weekly_starts(first_local, weeks):
        shift = start - first_utc
        created.append(Session(
            event=event, starts_at=start, ends_at=start + timedelta(minutes=minutes), kind=kind,
            capacity=capacity, status=SessionStatus.SCHEDULED, confirmed_count=0,
            may_be_recorded=may_be_recorded,
            registration_opens_at=to_utc(opens_local) + shift if opens_local else None,
            registration_closes_at=to_utc(closes_local) + shift if closes_local else None,
        ))
    db.add_all(created)
    db.flush()
    for new in created:
        _log_session(db, actor, "session.create", new, None)
    _changed(db, event.id)
    return created


class SessionOver(ValueError):
    """A session that has ended is history: it is not edited, cancelled or moved."""


def is_over(session: Session, now: datetime) -> bool:
    """The one rule for "past": the session has ended (the admin then offers no change)."""
    return session.ends_at <= now


def _not_over(session: Session, now: datetime | None) -> None:
    if now is not None and is_over(session, now):
        raise SessionOver(f"session {session.id} has ended")


def edit_session(db: DbSession, session: Session, *, minutes: int, kind: SessionKind,
                 capacity: int | None, opens_at: datetime | None, closes_at: datetime | None,
                 now: datetime, may_be_recorded: bool | None = None,
                 actor: audit.Actor | None = None) -> int:
    """Change a session's length, kind, capacity and registration window (UTC). More places
    move the waiting list up under the registration service's rules, which commits; returns
    how many were promoted. An ended session is refused (``SessionOver``)."""
    _not_over(session, now)
    old_capacity = session.capacity
    before = audit.snapshot(session, SESSION_FIELDS)
    session.ends_at = session.starts_at + timedelta(minutes=minutes)
    session.kind = kind
    session.capacity = capacity
    session.registration_opens_at = opens_at
    session.registration_closes_at = closes_at
    if may_be_recorded is not None:
        session.may_be_recorded = may_be_recorded
    db.flush()
    if audit.snapshot(session, SESSION_FIELDS) != before:
        _log_session(db, actor, "session.edit", session, before)
    _changed(db, session.event_id)
    if capacity is None or (old_capacity is not None and capacity > old_capacity):
        return len(registration.promote(db, session.id, now=now, actor=actor))
    return 0


def active_registrations(db: DbSession, session: Session) -> list[Registration]:
    return list(db.scalars(
        select(Registration)
        .where(Registration.session_id == session.id, Registration.status.in_(ACTIVE))
        .order_by(Registration.created_at, Registration.id)
    ))


def count_active(db: DbSession, session: Session) -> dict[str, int]:
    regs = active_registrations(db, session)
    confirmed = sum(1 for r in regs if r.status == RegistrationStatus.CONFIRMED)
    return {"confirmed": confirmed, "waiting": len(regs) - confirmed, "total": len(regs)}


def _claim(db: DbSession, session: Session, status: SessionStatus) -> None:
    """Change a scheduled session's status first, with a conditional UPDATE: that takes the
    row's write lock (the database's on SQLite) before the registrations are read, so a phone
    registration cannot slip in between, and the registration service, which locks the session
    too, then sees it is no longer scheduled."""
    done = db.execute(
        update(Session)
        .where(Session.id == session.id, Session.status == SessionStatus.SCHEDULED)
        .values(status=status)
        .execution_options(synchronize_session=False))
    if cast("CursorResult[Any]", done).rowcount != 1:  # an UPDATE's Result is a CursorResult
        raise ValueError("only a scheduled session can be changed so")
    db.refresh(session)


def cancel_session(db: DbSession, session: Session, actor: audit.Actor | None = None, *,
                   now: datetime | None = None) -> int:
    """Cancel; each active registration is marked to be told. Registrations keep their status,
    so the list of whom to call stays intact and the phone can say "this was cancelled".
    With ``now``, an ended session is refused (``SessionOver``)."""
    _not_over(session, now)
    before = audit.snapshot(session, SESSION_FIELDS)
    _claim(db, session, SessionStatus.CANCELLED)
    regs = active_registrations(db, session)
    for reg in regs:
        reg.notify_pending = "cancelled"
    db.flush()
    _log_session(db, actor, "session.cancel", session, before, to_be_told=len(regs))
    _changed(db, session.event_id)
    return len(regs)


def move_session(db: DbSession, session: Session, *, new_start_local: datetime,
                 minutes: int, actor: audit.Actor | None = None, move_window: bool = True,
                 now: datetime | None = None) -> tuple[Session, int]:
    """Move to a new time (see the module's docstring); returns the new session and how many
    registrations were moved and marked to be told, logged on both sessions. ``move_window``:
    the registration window moves by the same amount, else it stays as it was (staff choose).
    With ``now``, an ended session is refused (``SessionOver``)."""
    _not_over(session, now)
    before = audit.snapshot(session, SESSION_FIELDS)
    _claim(db, session, SessionStatus.MOVED)
    start = to_utc(new_start_local)
    shift = start - session.starts_at if move_window else timedelta(0)
    new = Session(
        event_id=session.event_id, starts_at=start, ends_at=start + timedelta(minutes=minutes),
        kind=session.kind, capacity=session.capacity, status=SessionStatus.SCHEDULED,
        confirmed_count=session.confirmed_count, may_be_recorded=session.may_be_recorded,
        registration_opens_at=session.registration_opens_at + shift if session.registration_opens_at else None,
        registration_closes_at=session.registration_closes_at + shift if session.registration_closes_at else None,
    )
    db.add(new)
    db.flush()
    regs = active_registrations(db, session)
    if regs:
        db.execute(
            update(Registration)
            .where(Registration.id.in_([r.id for r in regs]))
            .values(session_id=new.id, notify_pending="moved")
        )
    session.moved_to_id = new.id
    session.confirmed_count = 0
    db.flush()
    for reg in regs:
        db.refresh(reg)
    _log_session(db, actor, "session.move", session, before, moved_to_id=new.id,
                 to_be_told=len(regs))
    _log_session(db, actor, "session.move_in", new, {**before, "status": None},
                 moved_from_id=session.id, to_be_told=len(regs))
    _changed(db, session.event_id)
    return new, len(regs)
