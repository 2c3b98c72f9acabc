"""A main-line call that writes nothing on its first webhook: its record and a new person's row
come later, in the channel's batch, or at once when a turn needs them.

A call's first webhook used to write the person (on a first call) and the call's record before
it answered: under load a third of the service's CPU went to that one write in nine turns. Now
it only reads (``look_up``: the person, a new number's suggested city, and whether the CallSid
has a record already). The rows are made from what every webhook of the call carries — the
CallSid and the number in Twilio's form, the start in the URL — by statements that make them
only when missing (``ensure_people``, ``ensure_records``), so any process may make them, in any
order, as often as it likes: the batch that writes a call's menu visits makes its record first
(the visits' foreign key), and a turn that needs the record's id or the person's (a state kept
in the record, a registration, a live room) makes them in its own transaction (``made_now``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, literal, select, true
from sqlalchemy.orm import Session as DbSession

from . import call_start, callers, news
from .database import attach, reading_alone, upsert_once, writing_now
from .models import Caller, CallLog

_CALLS = cast("Table", CallLog.__table__)
_CALLERS = cast("Table", Caller.__table__)


@dataclass
class Seen:
    """What a call's first webhook reads: the person's row (None: a new number), the city a
    new landline's area code suggests, and whether the CallSid has a record already (Twilio
    retried the first webhook, or the CallSid is reused): then the record is made at once;
    and whether a known person has news to be told (``news.any_marked``)."""

    caller: Caller | None
    city_id: int | None
    recorded: bool
    news: bool = False


def _look_up() -> Any:
    one = select(literal(1).label("one")).subquery("one")
    person = select(_CALLERS).where(_CALLERS.c.phone == bindparam("phone")).subquery("person")
    recorded = exists().where(_CALLS.c.call_sid == bindparam("sid"))
    return (select(person, callers.city_of(bindparam("national")).label("suggested"),
                   recorded.label("recorded"), news.any_marked(person.c.id).label("news_marked"))
            .select_from(one.outerjoin(person, true())))


_LOOK_UP = _look_up()  # built once


def look_up(db: DbSession, number: str, sid: str) -> Seen:
    """One read, no write; on PostgreSQL with nothing begun, with no BEGIN or COMMIT either."""
    params = {"phone": number, "sid": sid, "national": callers.landline_national(number)}
    # On a connection: the session's ORM layer around a Core statement cost a third of it.
    with reading_alone(db) as conn:  # the person attached inside: nothing is left begun
        row = conn.execute(_LOOK_UP, params).one()
        caller = attach(db, Caller, row) if row.id is not None else None
    return Seen(caller, None if caller is not None else row.suggested, bool(row.recorded),
                caller is not None and bool(row.news_marked))


def person_row(number: str, at: datetime) -> dict[str, Any]:
    """``ensure_people``'s parameters for a number (``at``: the row's time if it is new)."""
    return {"phone": number, "national": callers.landline_national(number), "now": at}


def ensure_people(db: DbSession, rows: list[dict[str, Any]]) -> None:
    """Each number's person, made when missing (``person_row``s), in one executemany."""
    if rows:
        db.execute(callers.added_if_missing(db), rows)


def record_row(sid: str, number: str | None, direction: str, line: str, at: datetime,
               new: bool = True) -> dict[str, Any]:
    """``ensure_records``' parameters for a call (``number`` None: no person); ``new``: the
    person's row may not be made yet (``ensure_people`` first), False when it is known made."""
    return {"sid": sid, "phone": number, "direction": direction, "line": line, "now": at,
            "new": new}


def _records(insert: Any) -> Any:
    person = select(_CALLERS.c.id).where(_CALLERS.c.phone == bindparam("phone"))
    values = select(bindparam("sid", type_=_CALLS.c.call_sid.type), person.scalar_subquery(),
                    bindparam("direction", type_=_CALLS.c.direction.type),
                    bindparam("line", type_=_CALLS.c.line.type),
                    bindparam("now", type_=_CALLS.c.started_at.type),
                    literal(call_start.IN_PROGRESS),
                    bindparam("state", {}, type_=_CALLS.c.state.type))
    return (insert(_CALLS)
            .from_select(["call_sid", "caller_id", "direction", "line", "started_at", "status",
                          "state"], values.where(true()))
            .on_conflict_do_nothing(index_elements=[_CALLS.c.call_sid]))


def ensure_records(db: DbSession, rows: list[dict[str, Any]]) -> None:
    """Each call's record, made when its CallSid has none (``record_row``s; their people made
    first by ``ensure_people``), in one executemany."""
    if rows:
        db.execute(upsert_once(db, "call_log_ensured", _records),
                   [dict(row, state={}) for row in rows])


_ID_BY_SID = select(_CALLS.c.id).where(_CALLS.c.call_sid == bindparam("sid"))


def made_now(db: DbSession, record: dict[str, Any]) -> tuple[int, int | None]:
    """The call's record id and its person's, both made now if no batch has yet, as the
    call's first write makes them (``call_start.start_call``: one statement on PostgreSQL),
    with ``database.writing_now``."""
    with writing_now(db):
        started = call_start.start_call(db, record["phone"], record["sid"], record["direction"],
                                        record["line"], record["now"])
        call_id = started.call_id
        if call_id is None:  # made already, by a batch
            call_id = int(db.execute(_ID_BY_SID, {"sid": record["sid"]}).scalar_one())
        return call_id, started.caller.id if started.caller is not None else None


def person_now(db: DbSession, number: str, at: datetime) -> Caller:
    """The person with this number, made now if no batch has yet (``database.writing_now``):
    on PostgreSQL in one statement that commits by itself, so that the phone's read-back and
    the confirm after it still run as statements that commit by themselves."""
    with writing_now(db):
        if db.get_bind().dialect.name == "postgresql":
            return call_start.person_in_one(db, number, at)
        return callers.find_or_add(db, number, at)[0]
