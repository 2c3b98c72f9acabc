"""The statements a registration change runs, each built once (building one cost more than
running it): the session loaded under its lock, the place taken and given back, the row
inserted. ``catalogue.registration`` says why they are safe together."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (Boolean, CursorResult, Table, bindparam, case, exists, func, literal,
                        literal_column, or_, select, true, update)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session as DbSession

from . import audit
from .database import attach, load, upsert_once
from .models import Registration, RegistrationStatus, Session
from .registration_rules import SESSION_ROW, registrable

_SESSIONS = cast("Table", Session.__table__)
# Built once (a statement's construction was a tenth of a confirm), on the table's columns
# (``database.load``: the entity's own loading was a sixth).
_LOCK_SESSION = SESSION_ROW.with_for_update()


def locked(db: DbSession, session_id: int) -> Session | None:
    """The session, freshly loaded and locked for this transaction: ``FOR UPDATE`` where rows
    can be locked; on SQLite the BEGIN IMMEDIATE that ``catalogue.registration`` takes first
    already locks the database. An object the session held already takes the row's values."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    return load(db, Session, SESSION_ROW if sqlite else _LOCK_SESSION, {"sid": session_id},
                fresh=True)


def _room(row: Any) -> Any:
    """A place is free in the session (``row``: its columns): the one rule of both UPDATEs."""
    return or_(row.capacity.is_(None), row.confirmed_count < row.capacity)


# A place taken: one more confirmed, only while there is room.
_ONE_MORE = {"confirmed_count": _SESSIONS.c.confirmed_count + 1}
_PLACE = (update(_SESSIONS).where(_SESSIONS.c.id == bindparam("sid"), _room(_SESSIONS.c))
          .values(_ONE_MORE))


def take_place(db: DbSession, session_id: int) -> bool:
    """The atomic conditional UPDATE: True when a place was free and is now ours."""
    result = db.execute(_PLACE, {"sid": session_id})
    return cast("CursorResult[Any]", result).rowcount == 1  # an UPDATE's Result is a CursorResult


_REGISTRATIONS = cast("Table", Registration.__table__)


def _waiting_before(session_id: Any, row_id: Any) -> Any:
    """How many of the session's rows wait before this one (its place in the queue - 1), as a
    subquery of the statement that adds the row: counted under the session's lock with no
    statement of its own (the statement's snapshot does not have the new row; it need not)."""
    earlier = _REGISTRATIONS.alias("earlier")
    waiting = literal(RegistrationStatus.WAITING, _REGISTRATIONS.c.status.type)
    return (select(func.count()).select_from(earlier)
            .where(earlier.c.session_id == session_id, earlier.c.status == waiting,
                   earlier.c.id < row_id).correlate_except(earlier).scalar_subquery())


# The inserted row's columns named with their table: SQLAlchemy writes RETURNING's columns bare,
# which inside the subquery would be its own table's (``earlier``).
_INSERTED: tuple[Any, Any] = (literal_column("registration.session_id"),
                              literal_column("registration.id"))


def insert_registration(db: DbSession,
                        values: dict[str, Any]) -> tuple[Registration | None, int]:
    """The new row, or None when the caller holds an active one already: ``INSERT … ON
    CONFLICT DO NOTHING RETURNING`` on either database, and the rows waiting before it. A Core
    statement, and the row it returns put into the session as loaded (the ORM's bulk INSERT
    path was a fifth of a confirm): the object is as a query would have given it."""
    stmt = upsert_once(db, "registration", lambda insert: insert(_REGISTRATIONS)
                       .on_conflict_do_nothing(index_elements=["session_id", "caller_id",
                                                               "active_key"])
                       .returning(*_REGISTRATIONS.c, _waiting_before(*_INSERTED).label("ahead")))
    row = db.execute(stmt, values).first()
    return (attach(db, Registration, row), int(row.ahead)) if row is not None else (None, 0)


def release_place(db: DbSession, session_id: int) -> None:
    db.execute(update(Session)
               .where(Session.id == session_id, Session.confirmed_count > 0)
               .values(confirmed_count=Session.confirmed_count - 1)
               .execution_options(synchronize_session=False))


_ADDED_COLUMNS = ["session_id", "caller_id", "created_at", "updated_at", "active_key",
                  "registered_by_caller_id", "registered_by_staff", "status"]
_LOGGED_COLUMNS = ["at", "channel", "user_id", "actor", "action", "object_type", "object_id",
                   "event_id", "session_id", "before", "after"]


@dataclass
class Added:
    open: bool  # the session was there and open for registration (``registrable``), and locked
    placed: bool  # a place was taken (the row is confirmed, or the row clashed)
    registration: Registration | None  # None: the person holds an active row, or no waiting
    ahead: int  # waiting rows of the session before the new one (its place in the queue - 1)
    session: dict[str, Any]  # the locked row's columns, as they were before the place was taken


def place_and_add(db: DbSession, values: dict[str, Any], *, try_place: bool, waitlist: bool,
                  now: datetime, logs: dict[RegistrationStatus, dict[str, Any]]) -> Added:
    """PostgreSQL, in one statement: the session locked (``FOR UPDATE``) only if it is open for
    registration at ``now`` (``registrable``, on the row as locked: no read before it is
    needed), the place taken if ``try_place`` and one is free and the person holds no active
    row (the same conditional UPDATE as ``take_place``), the row inserted with the status that
    gives (``values`` without it; none if no place and no ``waitlist``), and its audit entry
    (``logs``: the entry for either status; its object, event and session ids the statement's
    own); and the rows waiting before the new one (``_waiting_before``, in the statement's
    snapshot: right when the lock was held before it, see ``registration_once``)."""
    params = {f"r_{k}": v for k, v in values.items()}
    for status, log in logs.items():
        params.update({f"{status.name}_{k}": v for k, v in log.items()})
    row = db.execute(_PLACE_AND_ADD, dict(params, sid=values["session_id"], now=now,
                                          try_place=try_place, waitlist=waitlist)).one()
    reg = attach(db, Registration, row) if row.id is not None else None
    session = {c.name: row._mapping[f"s_{c.name}"] for c in _SESSIONS.c}
    return Added(row.s_id is not None, bool(row.placed), reg, int(row.ahead or 0), session)


def _place_and_add() -> Any:
    status_type = _REGISTRATIONS.c.status.type
    sid = bindparam("sid", type_=_SESSIONS.c.id.type)
    locked = (select(*_SESSIONS.c)
              .where(_SESSIONS.c.id == sid,
                     registrable(_SESSIONS.c, bindparam("now", type_=_SESSIONS.c.starts_at.type)))
              .with_for_update().cte("locked"))
    held = exists(select(_REGISTRATIONS.c.id).where(
        _REGISTRATIONS.c.session_id == sid,
        _REGISTRATIONS.c.caller_id == bindparam("r_caller_id"),
        _REGISTRATIONS.c.active_key == bindparam("r_active_key")))
    # The room as the lock found the row: the statement's snapshot may be older than the lock
    # (a place freed while it waited), the locked row is the newest.
    placed = (update(_SESSIONS)
              .where(_SESSIONS.c.id == sid, _SESSIONS.c.id.in_(select(locked.c.id).where(
                  bindparam("try_place", type_=Boolean), _room(locked.c), ~held)))
              .values(_ONE_MORE).returning(_SESSIONS.c.id).cte("placed"))
    took = exists(select(placed.c.id))
    status = case((took, literal(RegistrationStatus.CONFIRMED, status_type)),
                  else_=literal(RegistrationStatus.WAITING, status_type))
    row = [bindparam(f"r_{name}", type_=_REGISTRATIONS.c[name].type)
           for name in _ADDED_COLUMNS[:-1]]
    added = (postgresql.insert(_REGISTRATIONS)
             .from_select(_ADDED_COLUMNS, select(*row, status)
                          .where(exists(select(locked.c.id)),
                                 or_(bindparam("waitlist", type_=Boolean), took)),
                          include_defaults=False)
             .on_conflict_do_nothing(index_elements=["session_id", "caller_id", "active_key"])
             .returning(*_REGISTRATIONS.c).cte("added"))

    def logged(status: RegistrationStatus) -> Any:
        table = audit.TABLE
        own = {"object_id": added.c.id, "event_id": locked.c.event_id, "session_id": locked.c.id}
        cols = [own.get(name, bindparam(f"{status.name}_{name}", type_=table.c[name].type))
                for name in _LOGGED_COLUMNS]
        return (postgresql.insert(table)
                .from_select(_LOGGED_COLUMNS, select(*cols).select_from(added.join(locked, true()))
                             .where(added.c.status == literal(status, status_type)),
                             include_defaults=False)
                .cte(f"logged_{status.name.lower()}"))

    one = select(literal(1).label("one")).subquery("one")
    placed_count = select(func.count()).select_from(placed).scalar_subquery()
    ahead = _waiting_before(sid, added.c.id)
    return (select(placed_count.label("placed"), *(c.label(f"s_{c.name}") for c in locked.c),
                   added, ahead.label("ahead"))
            .select_from(one.outerjoin(locked, true()).outerjoin(added, true()))
            .add_cte(logged(RegistrationStatus.CONFIRMED), logged(RegistrationStatus.WAITING)))


_PLACE_AND_ADD = _place_and_add()  # built once
