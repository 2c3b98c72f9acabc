"""A call's first write: the person found or added by number, and the call's record made.

On PostgreSQL that is one statement (data-modifying ``WITH``): one round trip to the server
where it was three, the lookup, the new caller's INSERT and the record's INSERT, each with its
share of the driver's work; under load that was most of what a call's first webhook cost there.
When the webhook has begun nothing else (a new call on the main line), that statement commits
by itself, with no ``BEGIN`` or ``COMMIT`` around it. SQLite has no INSERT inside ``WITH``, so
there the same rows come from the same steps one at a time (``callers.find_or_add``, then
``insert_record``), inside the webhook's transaction. Both make the same rows: the new caller's
values are ``callers.new_row`` in either, and the tests run on both databases.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, literal, select, true, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session as DbSession

from . import callers
from .database import attach, commits_itself, committing_itself, upsert_once
from .models import Caller, CallLog

_CALLS = cast("Table", CallLog.__table__)
_CALLERS = cast("Table", Caller.__table__)


@dataclass
class Started:
    caller: Caller | None
    first: bool  # this call made the person's row: nothing can be waiting to be told yet
    call_id: int | None  # None: the CallSid has a record already (see ``insert_record``)


def start_call(db: DbSession, number: str | None, sid: str, direction: str, line: str,
               now: datetime) -> Started:
    """The person (None for a withheld number) and the call's new record, in the session's
    transaction — or on PostgreSQL, when the session has begun none, committed at once by the
    statement itself (``_committing_itself``). ``call_id`` is None when a record with this
    CallSid exists: Twilio retried the first webhook, or reused the CallSid; the caller decides
    which."""
    record: dict[str, Any] = dict(sid=sid, direction=direction, line=line, now=now, state={})
    if number is not None and db.get_bind().dialect.name == "postgresql":
        if commits_itself(db):
            return _committing_itself(db, number, record)
        return _in_one(db, number, record)
    caller, first = callers.find_or_add(db, number, now) if number else (None, False)
    return Started(caller, first, insert_record(db, caller.id if caller else None, **record))


def insert_record(db: DbSession, caller_id: int | None, *, sid: str, direction: str, line: str,
                  now: datetime, state: dict[str, Any]) -> int | None:
    """The new record's id, or None when the CallSid has one already: one ``INSERT … ON
    CONFLICT DO NOTHING RETURNING id`` on either database, with no savepoint around it."""
    stmt = upsert_once(db, "call_log", lambda insert: insert(_CALLS)
                       .on_conflict_do_nothing(index_elements=[_CALLS.c.call_sid])
                       .returning(_CALLS.c.id))
    return db.scalar(stmt, dict(call_sid=sid, caller_id=caller_id, direction=direction,
                                line=line, started_at=now, state=state))


def _committing_itself(db: DbSession, number: str, record: dict[str, Any]) -> Started:
    """Nothing is in the session's transaction yet (a call's first webhook): the statement runs
    on its own and commits by itself (``database.committing_itself``), two round trips of three;
    it is one statement, so all of it is kept or none. The rest of the webhook then begins a
    transaction of its own, as before."""
    with committing_itself(db):
        return _in_one(db, number, record)


def _in_one(db: DbSession, number: str, record: dict[str, Any]) -> Started:
    row = db.execute(_ONE_STATEMENT, dict(record, phone=number,
                                          national=callers.landline_national(number))).one()
    call_id: int | None = row.call_id
    if row.id is not None:
        person = attach(db, Caller, row)
        return Started(person, bool(row.first), call_id)
    # A first call of the same new number, at the same moment, made the row: this statement's
    # INSERT met it and did nothing, and its snapshot could not see it. The next statement can.
    caller, _ = callers.find_or_add(db, number, record["now"])
    if call_id is not None:
        db.execute(update(_CALLS).where(_CALLS.c.id == call_id).values(caller_id=caller.id))
    return Started(caller, False, call_id)


# SQLAlchemy fills a column's Python-side default in a top-level INSERT only, not in one inside
# WITH: there the model's own value is given by hand (or the column's server default applies).
IN_PROGRESS = cast(Any, _CALLS.c.status.default).arg


def person_in_one(db: DbSession, number: str, now: datetime) -> Caller:
    """PostgreSQL: the person with this number, found or added in one statement (as the
    call's first write finds or adds them, without the record)."""
    row = db.execute(_PERSON_ONLY, {"phone": number, "now": now,
                                    "national": callers.landline_national(number)}).one()
    if row.id is not None:
        return attach(db, Caller, row)
    return callers.find_or_add(db, number, now)[0]  # a concurrent first call's row won


def _one_statement(with_record: bool = True) -> Any:
    """``found`` (the person's row) or ``made`` (added only when none was found, so a known
    caller's call uses no id of the caller sequence), ``person`` (whichever), the record
    inserted with the person's id (``with_record``), and one row back whatever happened."""
    found = select(_CALLERS).where(_CALLERS.c.phone == bindparam("phone")).cte("found")
    made = (postgresql.insert(_CALLERS)
            .from_select(callers.NEW_COLUMNS,
                         callers.new_row().where(~exists(select(found.c.id))),
                         include_defaults=False)  # the server's defaults (see ``IN_PROGRESS``)
            .on_conflict_do_nothing(index_elements=[_CALLERS.c.phone])
            .returning(*_CALLERS.c).cte("made"))
    person = union_all(select(found, literal(False).label("first")),
                       select(made, literal(True).label("first"))).cte("person")
    one = select(literal(1).label("one")).subquery("one")
    if not with_record:
        return select(person).select_from(one.outerjoin(person, true()))
    record = (postgresql.insert(_CALLS)
              .values(call_sid=bindparam("sid"), caller_id=select(person.c.id).scalar_subquery(),
                      direction=bindparam("direction"), line=bindparam("line"),
                      started_at=bindparam("now"), status=IN_PROGRESS,
                      state=bindparam("state", type_=_CALLS.c.state.type))
              .on_conflict_do_nothing(index_elements=[_CALLS.c.call_sid])
              .returning(_CALLS.c.id.label("call_id")).cte("record"))
    return (select(person, record.c.call_id)
            .select_from(one.outerjoin(person, true()).outerjoin(record, true())))


_ONE_STATEMENT = _one_statement()  # built once: building it costs more than running it
_PERSON_ONLY = _one_statement(with_record=False)
