"""Registration rules, the one set used by the phone flows and the web admin.

Why it is safe under concurrency:

* **Never overbooked.** A place is taken only by the atomic conditional
  ``UPDATE session SET confirmed_count = confirmed_count + 1 WHERE id = :id AND (capacity IS NULL
  OR confirmed_count < capacity)``; its rowcount says whether the place was ours (on PostgreSQL
  it runs inside the one statement that also inserts the row and its audit entry, and what it
  returned says so: ``registration_sql.place_and_add``). The database
  decides, not a count read earlier in Python (only a session whose count, read under its lock,
  is at capacity skips the UPDATE: nobody else can change it before the commit).
* **One writer per session at a time.** Every change first locks the session: ``SELECT … FOR
  UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` (the database write lock) on SQLite. So a cancel
  that frees a place and a registration that would go on the waiting list cannot interleave and
  leave a free place with people waiting.
* **Never doubled.** The unique constraint ``registration_one_active`` (session, caller,
  active_key) forbids two active rows for one person; the insert is ``ON CONFLICT DO NOTHING``
  on it, and no row back means "already registered" (the place it took is given back).
* **Listeners hear only what is stored.** Each change queues ``registration_changed`` (payload
  ``session_id``), sent by ``catalogue.signals`` after the commit; nothing for a rollback.
* **Told only when stored.** ``register``, ``cancel`` and ``promote`` commit before returning,
  so the admin can only show "registered" for a committed row; on SQLite they first commit what
  the session held (only a fresh transaction can begin IMMEDIATE). ``own_transaction=False``
  (only flush) is for a caller that holds the lock and commits before anything is said or shown:
  a voice webhook that began as the writer (committing before the TwiML is rendered) and the
  demo loader inside ``prepare_database``. The phone's confirm and cancel do not begin as
  writers: they own their unit, so the lock is held only while it runs.
* **On PostgreSQL the phone's confirm is one statement that commits itself** when nothing else
  is begun (``registration_once``): the lock, the checks of ``refusal`` on the locked row, the
  place, the row and its entry, with no round trip to this process while the row is locked.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.attributes import set_committed_value

from . import audit
from .database import begin_write, commits_itself, writing
from .models import ACTIVE, Caller, Registration, RegistrationStatus, Session, SessionStatus
from .registration_rules import (
    Cancelled,
    Kind,
    Result,
    active_registration,
    held_already,
    is_full,
    list_for_session,
    not_added,
    preview,
    refusal,
    upcoming_for,
    waiting_count,
    waiting_order,
    waiting_position,
    window,
)
from .registration_sql import (insert_registration, locked, place_and_add, release_place,
                               take_place)
from .registration_once import changed as _changed
from .registration_once import entries, fields, register_at_once

__all__ = ["ACTIVE", "PROMOTED", "Cancelled", "Kind", "Result", "active_registration", "cancel",
           "is_full", "list_for_session", "preview", "promote", "register", "restore",
           "upcoming_for", "waiting_count", "waiting_position", "window"]

PROMOTED = "promoted"  # Registration.notify_pending: a place came free; the person must be told


def _log(db: DbSession, actor: audit.Actor | None, action: str, reg: Registration,
         session: Session, was: RegistrationStatus | None, now: datetime) -> None:
    """The audit entry of a change to ``reg`` (the person by id: no phone number in the log)."""
    after = fields(reg.status, reg.caller_id)
    audit.record(db, actor, action, "registration", reg.id, now=now, event_id=session.event_id,
                 session_id=session.id, after=after,
                 before=dict(after, status=was) if was else None)


@contextmanager
def _unit(db: DbSession, own_transaction: bool) -> Iterator[None]:
    """One unit of work under the write lock, committed at the end (or only flushed when the
    caller owns the transaction). On SQLite a session that was a writer before is a writer again
    afterwards, so the rest of a webhook keeps its IMMEDIATE semantics."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    was_writer = own_transaction and sqlite and writing(db)
    if own_transaction and sqlite and not was_writer:
        begin_write(db)  # commits what came before: only a fresh transaction begins IMMEDIATE
    yield
    if not own_transaction:
        db.flush()
        return
    db.commit()
    if was_writer:
        begin_write(db)


def _id(db: DbSession, person: Caller | int) -> int:
    """A person's id; a new one is flushed first."""
    if isinstance(person, int):
        return person
    if person.id is None:
        db.flush()
    return person.id


def register(db: DbSession, session_id: int, caller: Caller | int, *,
             by_caller: Caller | int | None = None, by_staff: bool = False, now: datetime,
             waitlist: bool = True, own_transaction: bool = True,
             actor: audit.Actor | None = None) -> Result:
    """Register ``caller`` (the person, or only their id: the phone keeps that) for the
    session: a place if one is free, else the waiting list (or ``Kind.FULL`` and nothing
    written when ``waitlist`` is False). ``by_caller`` is the relative or carer who registered
    someone else; ``by_staff`` marks staff in the admin. Commits before returning (see the
    module docstring)."""
    caller_id = _id(db, caller)
    by = _id(db, by_caller) if by_caller is not None else None
    values = dict(session_id=session_id, caller_id=caller_id, created_at=now, updated_at=now,
                  active_key=1, registered_by_caller_id=by if by != caller_id else None,
                  registered_by_staff=by_staff)
    if own_transaction and commits_itself(db):  # PostgreSQL, nothing begun: the phone's confirm
        at_once = register_at_once(db, values, waitlist=waitlist, now=now, actor=actor)
        if at_once is not None:
            return at_once
    with _unit(db, own_transaction):
        result = _register(db, values, now=now, waitlist=waitlist, actor=actor)
        if result.kind in (Kind.CONFIRMED, Kind.WAITING):
            _changed(db, session_id)
    return result


def _register(db: DbSession, values: dict[str, Any], *, now: datetime, waitlist: bool,
              actor: audit.Actor | None) -> Result:
    session_id: int = values["session_id"]
    caller_id: int = values["caller_id"]
    session = locked(db, session_id)
    refused = refusal(session, now)
    if refused is not None:
        return refused
    assert session is not None
    # The place first, then the row with its final status, with no savepoint: an INSERT that
    # meets the unique constraint (the duplicate guard) adds nothing and gives the place back.
    # Under the session's lock its count is this transaction's own, so a full session is seen
    # full without asking; a free place is still taken only by the conditional UPDATE.
    if db.get_bind().dialect.name == "postgresql":  # the three steps in one statement there
        added = place_and_add(db, values, try_place=not is_full(session), waitlist=waitlist,
                              now=now, logs=entries(actor, caller_id, now))
        placed, reg, ahead = added.placed, added.registration, added.ahead
        if not placed and not waitlist:  # nothing was inserted
            return not_added(db, session, caller_id, may_be_full=True)
    else:
        placed = not is_full(session) and take_place(db, session_id)
        if not placed and not waitlist:
            return not_added(db, session, caller_id, may_be_full=True)
        reg, ahead = insert_registration(db, dict(values, status=RegistrationStatus.CONFIRMED
                                                  if placed else RegistrationStatus.WAITING))
        if reg is not None:
            _log(db, actor, "registration.add", reg, session, None, now)
    if reg is None:
        if placed:
            release_place(db, session_id)
        return not_added(db, session, caller_id, may_be_full=False)
    if placed:  # the count the UPDATE left, without reading the row again (it is locked)
        set_committed_value(session, "confirmed_count", session.confirmed_count + 1)
        return Result(Kind.CONFIRMED, session, reg)
    return Result(Kind.WAITING, session, reg, position=ahead + 1)  # counted by its INSERT


def _first_waiting(db: DbSession, session_id: int) -> Registration | None:
    return db.scalar(select(Registration)
                     .where(Registration.session_id == session_id,
                            Registration.status == RegistrationStatus.WAITING)
                     .order_by(*waiting_order()).limit(1))


def _fill(db: DbSession, session: Session, now: datetime) -> list[Registration]:
    """Give free places to the waiting list in order; each promoted person is marked to be told."""
    promoted: list[Registration] = []
    if session.ends_at <= now or session.status != SessionStatus.SCHEDULED:
        return promoted
    while (first := _first_waiting(db, session.id)) is not None and take_place(db, session.id):
        first.status = RegistrationStatus.CONFIRMED
        first.notify_pending = PROMOTED
        first.updated_at = now
        db.flush()
        promoted.append(first)
    return promoted


def _log_promoted(db: DbSession, actor: audit.Actor | None, promoted: list[Registration],
                  session: Session, now: datetime) -> None:
    for reg in promoted:
        _log(db, actor, "registration.promoted", reg, session, RegistrationStatus.WAITING, now)


def promote(db: DbSession, session_id: int, *, now: datetime, own_transaction: bool = True,
            actor: audit.Actor | None = None) -> list[Registration]:
    """Fill free places from the waiting list (after a cancellation, or when staff raise the
    capacity). Returns the promoted registrations. Commits."""
    with _unit(db, own_transaction):
        session = locked(db, session_id)
        promoted = _fill(db, session, now) if session is not None else []
        if promoted and session is not None:
            _log_promoted(db, actor, promoted, session, now)
            _changed(db, session_id)
    return promoted


def cancel(db: DbSession, registration_id: int, *, now: datetime, own_transaction: bool = True,
           actor: audit.Actor | None = None) -> Cancelled:
    """Cancel a registration or a waiting-list place; a freed place goes to the first waiting
    (``notify_pending="promoted"``) at once. Cancelling twice is harmless. Commits."""
    found = db.get(Registration, registration_id)
    if found is None:
        return Cancelled(None, None)
    with _unit(db, own_transaction):
        session = locked(db, found.session_id)
        reg = db.scalar(select(Registration).where(Registration.id == registration_id)
                        .execution_options(populate_existing=True))
        assert reg is not None and session is not None
        was = reg.status
        promoted: list[Registration] = []
        if was in ACTIVE:
            reg.status = RegistrationStatus.CANCELLED
            reg.active_key = None
            reg.notify_pending = None
            reg.updated_at = now
            db.flush()
            if was == RegistrationStatus.CONFIRMED:
                release_place(db, session.id)
                promoted = _fill(db, session, now)
            db.refresh(session)
            _log(db, actor, "registration.cancel", reg, session, was, now)
            _log_promoted(db, actor, promoted, session, now)
            _changed(db, session.id)
    return Cancelled(reg, was, promoted)


def restore(db: DbSession, registration_id: int, *, now: datetime,
            actor: audit.Actor | None = None) -> Result:
    """Undo a cancellation: the same registration (so its place in the order it came) gets a
    place if one is free, else a waiting-list place. A place that the cancellation gave to the
    waiting list stays with the person who got it (they may have been told already), so then
    the result is ``WAITING`` with the position. Until the session ends, whatever the window
    says (staff put right a mistake); never for a cancelled or moved session. Commits."""
    found = db.get(Registration, registration_id)
    if found is None:
        return Result(Kind.NOT_FOUND)
    with _unit(db, True):
        session = locked(db, found.session_id)
        reg = db.scalar(select(Registration).where(Registration.id == registration_id)
                        .execution_options(populate_existing=True))
        assert reg is not None and session is not None
        if session.status != SessionStatus.SCHEDULED:
            return Result(Kind.CANCELLED, session, reg)
        if session.ends_at <= now:
            return Result(Kind.CLOSED, session, reg)
        held = held_already(db, session, reg.caller_id) if reg.caller_id is not None else None
        if held is not None:  # active already, or the person registered again meanwhile
            return held
        reg.status, reg.active_key, reg.updated_at = RegistrationStatus.WAITING, 1, now
        db.flush()
        others = [r for r in _fill(db, session, now) if r.id != reg.id]
        reg.notify_pending = None  # staff put it right; nothing came about to be told
        db.flush()
        db.refresh(session)
        _log(db, actor, "registration.restore", reg, session, RegistrationStatus.CANCELLED, now)
        _log_promoted(db, actor, others, session, now)
        _changed(db, session.id)
        kind = Kind.CONFIRMED if reg.status == RegistrationStatus.CONFIRMED else Kind.WAITING
        return Result(kind, session, reg, position=waiting_position(db, reg))


