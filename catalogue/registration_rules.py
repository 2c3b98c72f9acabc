"""The registration rules that only read: results, the registration window, waiting-list
positions, the preview before a caller confirms, and the lists the phone and the admin show.
The writes (and why they are safe under concurrency) are in ``catalogue.registration``, which
re-exports these names."""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (ColumnElement, Select, Table, and_, bindparam, func, literal, or_,
                        select)
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from .database import attach, commits_itself, committing_itself, load
from .models import ACTIVE, Caller, Event, Registration, RegistrationStatus, Session, SessionStatus


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


def window(session: Session) -> tuple[datetime | None, datetime]:
    """When registration opens (None: already open) and closes (default: at the start)."""
    return session.registration_opens_at, session.registration_closes_at or session.starts_at


def refusal(session: Session | None, now: datetime) -> Result | None:
    """Why no one can register now (not found, cancelled, not open, closed), or None."""
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


def registrable(row: Any, now: Any) -> ColumnElement[bool]:
    """``refusal``'s rule as SQL, on a session's columns (``row``: a table's or a CTE's ``.c``)
    at ``now`` (a bound parameter): true exactly when ``refusal`` would give None. A statement
    that checks it on the row it has locked needs no read of the row before it."""
    return and_(row.status == literal(SessionStatus.SCHEDULED, row.status.type),
                or_(row.registration_opens_at.is_(None), row.registration_opens_at <= now),
                func.coalesce(row.registration_closes_at, row.starts_at) > now,
                row.ends_at > now)


# The statements a confirm runs, built once: building one cost more than running it. The counts
# on the table, not the entity: a Core statement skips the ORM's execution path (a third of a
# count's time); the session still autoflushes before it (SQLAlchemy 2.1), so a change of this
# transaction is counted.
_T = cast("Table", Registration.__table__)


def _waiting_in(table: Any) -> Select[Any]:
    """The count of the session's waiting list, on ``table`` (the table or an alias of it)."""
    return (select(func.count()).select_from(table)
            .where(table.c.session_id == bindparam("sid"),
                   table.c.status == RegistrationStatus.WAITING))


_WAITING = _waiting_in(_T)
_AHEAD = _WAITING.where(_T.c.id < bindparam("rid"))
# Rows on the tables' columns, made objects by ``database.load`` (the entity's own loading
# cost more than the statement): a registration, and a session (as read, or locked:
# ``registration_sql.locked``).
_SESSIONS = cast("Table", Session.__table__)
SESSION_ROW = select(*_SESSIONS.c).where(_SESSIONS.c.id == bindparam("sid"))
_OWN = and_(_T.c.session_id == bindparam("sid"), _T.c.caller_id == bindparam("cid"),
            _T.c.status.in_(ACTIVE))
_ACTIVE_OF = select(*_T.c).where(_OWN)
_W = _T.alias("w")
# The read-back's one statement: the session, the person's active row in it (if any, its columns
# as ``r_…``), the waiting list's length and the rows ahead of the person's own on it.
_READ_BACK = (select(*_SESSIONS.c, *(c.label(f"r_{c.name}") for c in _T.c),
                     _waiting_in(_W).scalar_subquery().label("waiting"),
                     _waiting_in(_W).where(_W.c.id < _T.c.id).scalar_subquery().label("ahead"))
              .select_from(_SESSIONS.outerjoin(_T, _OWN & (_T.c.session_id == _SESSIONS.c.id)))
              .where(_SESSIONS.c.id == bindparam("sid")))


def _count(db: DbSession, stmt: Select[int], params: dict[str, int]) -> int:
    return db.scalar(stmt, params) or 0


def active_registration(db: DbSession, session_id: int, caller_id: int) -> Registration | None:
    return load(db, Registration, _ACTIVE_OF, {"sid": session_id, "cid": caller_id})


def waiting_order() -> tuple[InstrumentedAttribute[int], ...]:
    """Arrival order. The id, not ``created_at``: rows are inserted one at a time under the
    session's lock, so ids follow the order places were asked for, whatever clock each request
    read before it got the lock."""
    return (Registration.id,)


def waiting_position(db: DbSession, registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    return _count(db, _AHEAD, {"sid": registration.session_id, "rid": registration.id}) + 1


def waiting_count(db: DbSession, session_id: int) -> int:
    return _count(db, _WAITING, {"sid": session_id})


def is_full(session: Session) -> bool:
    return session.capacity is not None and session.confirmed_count >= session.capacity


def held_already(db: DbSession, session: Session, caller_id: int) -> Result | None:
    """The caller's place or waiting-list place in the session, as a result, or None."""
    reg = active_registration(db, session.id, caller_id)
    return None if reg is None else _held(session, reg, lambda: waiting_position(db, reg))


def _held(session: Session, reg: Registration, position: Callable[[], int | None]) -> Result:
    if reg.status == RegistrationStatus.CONFIRMED:
        return Result(Kind.ALREADY_CONFIRMED, session, reg)
    return Result(Kind.ALREADY_WAITING, session, reg, position=position())


def not_added(db: DbSession, session: Session, caller_id: int, *, may_be_full: bool) -> Result:
    """A registration whose row was not added: the person's own row, which it clashed with, or
    ``Kind.FULL`` when ``may_be_full`` (no place, and no waiting list asked for). A clash whose
    row is gone again (cancelled meanwhile, rare) is an error: the caller is told nothing."""
    held = held_already(db, session, caller_id)
    if held is not None:
        return held
    if may_be_full:
        return Result(Kind.FULL, session)
    raise RuntimeError(f"registration of {caller_id} for {session.id}: the clash is gone")


def preview(db: DbSession, session_id: int, caller: Caller | int | None, *,
            now: datetime) -> Result:
    """What ``register`` would most likely answer, without writing anything: for the read-back
    before the caller confirms. The real answer comes from ``register`` (places can go meanwhile).
    ``caller`` (or only their id) may be None for a person not yet known (nobody can be
    registered already). One statement (``_READ_BACK``) where it was up to three, each a round
    trip on PostgreSQL; there, with nothing begun (the phone's read-back), it commits by itself,
    with no ``BEGIN`` or ``COMMIT`` round trip (a lone read sees what a read-committed
    transaction's would)."""
    caller_id = caller if isinstance(caller, int) or caller is None else caller.id
    params = {"sid": session_id, "cid": caller_id}
    if commits_itself(db):  # PostgreSQL, nothing begun (the phone's read-back): no BEGIN, COMMIT
        with committing_itself(db):
            row = db.execute(_READ_BACK, params).first()
    else:
        row = db.execute(_READ_BACK, params).first()
    session = None if row is None else attach(db, Session, row)
    refused = refusal(session, now)
    if refused is not None:
        return refused
    assert session is not None and row is not None
    if row.r_id is not None:
        reg = attach(db, Registration, {c.name: row._mapping[f"r_{c.name}"] for c in _T.c})
        return _held(session, reg, lambda: row.ahead + 1)
    if is_full(session):
        return Result(Kind.WAITING, session, position=row.waiting + 1)
    return Result(Kind.CONFIRMED, session)


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
                      .order_by(*waiting_order())).all()
    rank = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITING: 1,
            RegistrationStatus.CANCELLED: 2}
    return sorted(rows, key=lambda r: rank[r.status])  # stable: keeps the order they came in
