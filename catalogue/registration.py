"""Registration rules, the one set used by the phone flows and the web admin.

Why it is safe under concurrency:

* **Never overbooked.** A place is taken only by the atomic conditional
  ``UPDATE session SET confirmed_count = confirmed_count + 1 WHERE id = :id AND (capacity IS NULL
  OR confirmed_count < capacity)``; its rowcount says whether the place was ours. The database
  decides, not a count read earlier in Python.
* **One writer per session at a time.** Every change first locks the session: ``SELECT … FOR
  UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` (the database write lock) on SQLite. So a cancel
  that frees a place and a registration that would go on the waiting list cannot interleave and
  leave a free place with people waiting.
* **Never doubled.** The unique constraint ``registration_one_active`` (session, caller,
  active_key) forbids two active rows for one person; the insert runs in a SAVEPOINT and an
  IntegrityError means "already registered".
* **Told only when stored.** ``register``, ``cancel`` and ``promote`` end their unit of work with a
  ``commit`` before returning, so a flow can only say "you are registered" about a row that is
  committed, and the admin gets the same guarantee. On SQLite, unless the session already began
  as a writer (the voice webhooks do, see ``catalogue.database.begin_write``), they also commit whatever
  the session held before, because only a fresh transaction can begin IMMEDIATE. Pass
  ``own_transaction=False`` only when the caller already holds the database lock and commits
  itself (the demo loader inside ``prepare_database``).
"""
from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from .database import begin_write
from .models import Caller, Event, Registration, RegistrationStatus, Session, SessionStatus

ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
PROMOTED = "promoted"  # Registration.notify_pending: a place came free; the person must be told


class Kind(str, enum.Enum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_WAITING = "already_waiting"
    FULL = "full"  # only with ``waitlist=False``: nothing was written
    NOT_OPEN = "not_open"  # ``opens_at`` says when it opens
    CLOSED = "closed"
    CANCELLED = "cancelled"  # the session is cancelled (or moved elsewhere)
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Result:
    kind: Kind
    session: Session | None = None
    registration: Registration | None = None
    position: int | None = None  # place on the waiting list, 1 = next to get a place
    opens_at: datetime | None = None

    @property
    def registered(self) -> bool:
        """A place or a waiting-list place is held (new or from before)."""
        return self.kind in (Kind.CONFIRMED, Kind.WAITING, Kind.ALREADY_CONFIRMED,
                             Kind.ALREADY_WAITING)

    @property
    def waiting(self) -> bool:
        return self.kind in (Kind.WAITING, Kind.ALREADY_WAITING)


@dataclass(frozen=True)
class Cancelled:
    registration: Registration | None
    was: RegistrationStatus | None  # its status before; None when not found
    promoted: list[Registration] = field(default_factory=list)


class _Full(Exception):
    """Raised inside the savepoint to undo the insert when the caller wants no waiting list."""


# ---- locking ------------------------------------------------------------------------------

@contextmanager
def _unit(db: DbSession, own_transaction: bool) -> Iterator[None]:
    """One unit of work under the write lock, committed at the end (or only flushed when the
    caller owns the transaction). On SQLite a session that was a writer before is a writer again
    afterwards, so the rest of a webhook keeps its IMMEDIATE semantics."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    was_writer = own_transaction and sqlite and _writer(db)
    if own_transaction and sqlite and not was_writer:
        begin_write(db)  # commits what came before: only a fresh transaction begins IMMEDIATE
    yield
    if not own_transaction:
        db.flush()
        return
    db.commit()
    if was_writer:
        begin_write(db)


def _writer(db: DbSession) -> bool:
    """Already inside a BEGIN IMMEDIATE transaction (a voice webhook begins as a writer)."""
    if not db.in_transaction():
        return False
    return db.connection().get_execution_options().get("sqlite_begin") == "IMMEDIATE"


def _locked(db: DbSession, session_id: int) -> Session | None:
    """The session, freshly loaded and locked for this transaction: ``FOR UPDATE`` where rows
    can be locked; SQLite's BEGIN IMMEDIATE (taken by ``_unit``) already locks the database."""
    stmt = select(Session).where(Session.id == session_id).execution_options(populate_existing=True)
    if db.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(of=Session)
    return db.scalar(stmt)


# ---- rules --------------------------------------------------------------------------------

def window(session: Session) -> tuple[datetime | None, datetime]:
    """When registration opens (None: already open) and closes (default: at the start)."""
    return session.registration_opens_at, session.registration_closes_at or session.starts_at


def _blocked(session: Session | None, now: datetime) -> Result | None:
    if session is None:
        return Result(Kind.NOT_FOUND)
    if session.status != SessionStatus.SCHEDULED:
        return Result(Kind.CANCELLED, session)
    opens, closes = window(session)
    if opens is not None and now < opens:
        return Result(Kind.NOT_OPEN, session, opens_at=opens)
    if now >= closes or now >= session.ends_at:
        return Result(Kind.CLOSED, session)
    return None


def active_registration(db: DbSession, session_id: int, caller_id: int) -> Registration | None:
    return db.scalar(select(Registration).where(
        Registration.session_id == session_id, Registration.caller_id == caller_id,
        Registration.status.in_(ACTIVE)))


def _waiting_order() -> tuple[object, ...]:
    """Arrival order. The id, not ``created_at``: rows are inserted one at a time under the
    session's lock, so ids follow the order places were asked for, whatever clock each request
    read before it got the lock."""
    return (Registration.id,)


def waiting_position(db: DbSession, registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == registration.session_id,
        Registration.status == RegistrationStatus.WAITING,
        Registration.id < registration.id)) or 0
    return ahead + 1


def waiting_count(db: DbSession, session_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session_id,
        Registration.status == RegistrationStatus.WAITING)) or 0


def is_full(session: Session) -> bool:
    return session.capacity is not None and session.confirmed_count >= session.capacity


def _existing(db: DbSession, session: Session, caller_id: int) -> Result | None:
    reg = active_registration(db, session.id, caller_id)
    if reg is None:
        return None
    if reg.status == RegistrationStatus.CONFIRMED:
        return Result(Kind.ALREADY_CONFIRMED, session, reg)
    return Result(Kind.ALREADY_WAITING, session, reg, position=waiting_position(db, reg))


def preview(db: DbSession, session_id: int, caller: Caller | None, *, now: datetime) -> Result:
    """What ``register`` would most likely answer, without writing anything: for the read-back
    before the caller confirms. The real answer comes from ``register`` (places can go meanwhile).
    ``caller`` may be None for a person not yet known (nobody can be registered already)."""
    session = db.get(Session, session_id)
    blocked = _blocked(session, now)
    if blocked is not None:
        return blocked
    assert session is not None
    if caller is not None and caller.id is not None:
        existing = _existing(db, session, caller.id)
        if existing is not None:
            return existing
    if is_full(session):
        return Result(Kind.WAITING, session, position=waiting_count(db, session.id) + 1)
    return Result(Kind.CONFIRMED, session)


def _take_place(db: DbSession, session_id: int) -> bool:
    """The atomic conditional UPDATE: True when a place was free and is now ours."""
    result = db.execute(
        update(Session)
        .where(Session.id == session_id,
               or_(Session.capacity.is_(None), Session.confirmed_count < Session.capacity))
        .values(confirmed_count=Session.confirmed_count + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _release_place(db: DbSession, session_id: int) -> None:
    db.execute(update(Session)
               .where(Session.id == session_id, Session.confirmed_count > 0)
               .values(confirmed_count=Session.confirmed_count - 1)
               .execution_options(synchronize_session=False))


def register(db: DbSession, session_id: int, caller: Caller, *, by_caller: Caller | None = None,
             by_staff: bool = False, now: datetime, waitlist: bool = True,
             own_transaction: bool = True) -> Result:
    """Register ``caller`` for the session: a place if one is free, else the waiting list
    (or ``Kind.FULL`` and nothing written when ``waitlist`` is False). ``by_caller`` is the
    relative or carer who registered someone else; ``by_staff`` marks staff in the admin.
    Commits before returning (see the module docstring)."""
    if caller.id is None:
        db.flush()
    with _unit(db, own_transaction):
        result = _register(db, session_id, caller, by_caller=by_caller, by_staff=by_staff,
                           now=now, waitlist=waitlist)
    return result


def _register(db: DbSession, session_id: int, caller: Caller, *, by_caller: Caller | None,
              by_staff: bool, now: datetime, waitlist: bool) -> Result:
    session = _locked(db, session_id)
    blocked = _blocked(session, now)
    if blocked is not None:
        return blocked
    assert session is not None
    by = by_caller.id if by_caller is not None and by_caller.id != caller.id else None
    reg = Registration(session_id=session_id, caller_id=caller.id, status=RegistrationStatus.WAITING,
                       created_at=now, updated_at=now, active_key=1,
                       registered_by_caller_id=by, registered_by_staff=by_staff)
    try:
        with db.begin_nested():
            db.add(reg)
            db.flush()  # the unique constraint is the duplicate guard
            if _take_place(db, session_id):
                reg.status = RegistrationStatus.CONFIRMED
                db.flush()
            elif not waitlist:
                raise _Full
    except IntegrityError:
        existing = _existing(db, session, caller.id)
        if existing is None:  # the row that clashed is gone again (cancelled meanwhile): rare
            raise
        return existing
    except _Full:
        return Result(Kind.FULL, session)
    db.refresh(session)
    if reg.status == RegistrationStatus.CONFIRMED:
        return Result(Kind.CONFIRMED, session, reg)
    return Result(Kind.WAITING, session, reg, position=waiting_position(db, reg))


def _first_waiting(db: DbSession, session_id: int) -> Registration | None:
    return db.scalar(select(Registration)
                     .where(Registration.session_id == session_id,
                            Registration.status == RegistrationStatus.WAITING)
                     .order_by(*_waiting_order()).limit(1))


def _fill(db: DbSession, session: Session, now: datetime) -> list[Registration]:
    """Give free places to the waiting list in order; each promoted person is marked to be told."""
    promoted: list[Registration] = []
    if session.ends_at <= now or session.status != SessionStatus.SCHEDULED:
        return promoted
    while (first := _first_waiting(db, session.id)) is not None and _take_place(db, session.id):
        first.status = RegistrationStatus.CONFIRMED
        first.notify_pending = PROMOTED
        first.updated_at = now
        db.flush()
        promoted.append(first)
    return promoted


def promote(db: DbSession, session_id: int, *, now: datetime,
            own_transaction: bool = True) -> list[Registration]:
    """Fill free places from the waiting list (after a cancellation, or when staff raise the
    capacity). Returns the promoted registrations. Commits."""
    with _unit(db, own_transaction):
        session = _locked(db, session_id)
        promoted = _fill(db, session, now) if session is not None else []
    return promoted


def cancel(db: DbSession, registration_id: int, *, now: datetime,
           own_transaction: bool = True) -> Cancelled:
    """Cancel a registration or a waiting-list place; a freed place goes to the first waiting
    (``notify_pending="promoted"``) at once. Cancelling twice is harmless. Commits."""
    found = db.get(Registration, registration_id)
    if found is None:
        return Cancelled(None, None)
    with _unit(db, own_transaction):
        session = _locked(db, found.session_id)
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
                _release_place(db, session.id)
                promoted = _fill(db, session, now)
            db.refresh(session)
    return Cancelled(reg, was, promoted)


# ---- lists --------------------------------------------------------------------------------

def upcoming_for(db: DbSession, caller: Caller, now: datetime) -> list[Registration]:
    """The caller's places and waiting-list places in sessions that have not ended, in time
    order (cancelled sessions included, so that the caller hears they are cancelled)."""
    stmt = (select(Registration)
            .join(Registration.session)
            .where(Registration.caller_id == caller.id, Registration.status.in_(ACTIVE),
                   Session.ends_at > now)
            .options(joinedload(Registration.session).joinedload(Session.event)
                     .joinedload(Event.city))
            .order_by(Session.starts_at, Registration.id))
    return list(db.scalars(stmt).unique())


def list_for_session(db: DbSession, session_id: int, *,
                     include_cancelled: bool = False) -> list[Registration]:
    """For the admin: confirmed first (in the order they came), then the waiting list in order,
    then (optionally) the cancelled ones."""
    statuses = list(ACTIVE) + ([RegistrationStatus.CANCELLED] if include_cancelled else [])
    rows = db.scalars(select(Registration)
                      .where(Registration.session_id == session_id,
                             Registration.status.in_(statuses))
                      .options(joinedload(Registration.caller))
                      .order_by(*_waiting_order())).all()
    rank = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITING: 1,
            RegistrationStatus.CANCELLED: 2}
    return sorted(rows, key=lambda r: rank[r.status])  # stable: keeps the order they came in
