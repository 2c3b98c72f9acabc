"""The statements a registration change runs, each built once (building one cost more than
running it): the session loaded under its lock, the place taken and given back, the row
inserted. ``catalogue.registration`` says why they are safe together."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session as DbSession

from .database import attach, upsert_once
from .models import Registration, Session

# Built once (a statement's construction was a tenth of a confirm): as read, and locked.
_SELECT_SESSION = (select(Session).where(Session.id == bindparam("sid"))
                   .execution_options(populate_existing=True))
_LOCK_SESSION = _SELECT_SESSION.with_for_update(of=Session)


def locked(db: DbSession, session_id: int) -> Session | None:
    """The session, freshly loaded and locked for this transaction: ``FOR UPDATE`` where rows
    can be locked; on SQLite the BEGIN IMMEDIATE that ``catalogue.registration`` takes first
    already locks the database."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    return db.scalar(_SELECT_SESSION if sqlite else _LOCK_SESSION, {"sid": session_id})


_SESSIONS = cast("Table", Session.__table__)  # the place's UPDATE: on the table, built once
_TAKE_PLACE = (update(_SESSIONS)
               .where(_SESSIONS.c.id == bindparam("sid"),
                      or_(_SESSIONS.c.capacity.is_(None),
                          _SESSIONS.c.confirmed_count < _SESSIONS.c.capacity))
               .values(confirmed_count=_SESSIONS.c.confirmed_count + 1))


def take_place(db: DbSession, session_id: int) -> bool:
    """The atomic conditional UPDATE: True when a place was free and is now ours."""
    result = db.execute(_TAKE_PLACE, {"sid": session_id})
    return cast("CursorResult[Any]", result).rowcount == 1  # an UPDATE's Result is a CursorResult


_REGISTRATIONS = cast("Table", Registration.__table__)


def insert_registration(db: DbSession, values: dict[str, Any]) -> Registration | None:
    """The new row, or None when the caller holds an active one already: ``INSERT … ON
    CONFLICT DO NOTHING RETURNING`` on either database. A Core statement, and the row it
    returns put into the session as loaded (the ORM's bulk INSERT path was a fifth of a
    confirm): the object is as a query would have given it."""
    stmt = upsert_once(db, "registration", lambda insert: insert(_REGISTRATIONS)
                       .on_conflict_do_nothing(index_elements=["session_id", "caller_id",
                                                               "active_key"])
                       .returning(*_REGISTRATIONS.c))
    row = db.execute(stmt, values).first()
    return attach(db, Registration, row) if row is not None else None


def release_place(db: DbSession, session_id: int) -> None:
    db.execute(update(Session)
               .where(Session.id == session_id, Session.confirmed_count > 0)
               .values(confirmed_count=Session.confirmed_count - 1)
               .execution_options(synchronize_session=False))
