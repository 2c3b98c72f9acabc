"""A call's first write (``catalogue.call_start``): the same rows on both databases, in one
statement on PostgreSQL, a known caller costing no new id, a retried first webhook finding its
record, and two first calls of one new number at once both ending with the same person."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session as DbSession

from catalogue import call_start
from catalogue.database import begin_write
from catalogue.db import get_sessionmaker
from catalogue.models import Caller, CallLog, City
from catalogue.timeutil import utcnow
from tests import factories as f

SID = "CA" + "1" * 32


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    engine = app.extensions["lampio_engine"]
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def _start(db: DbSession, number: str | None, sid: str = SID,
           now: datetime | None = None) -> call_start.Started:
    return call_start.start_call(db, number, sid, "inbound", "main", now or utcnow())


def _person(started: call_start.Started) -> Caller:
    assert started.caller is not None
    return started.caller


def _postgres(db: DbSession) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def test_a_new_callers_first_call_makes_the_person_and_the_record(
        db: DbSession, statements: list[str]) -> None:
    now = utcnow().replace(microsecond=0)
    started = _start(db, "+358912345000", now=now)  # a Helsinki landline
    db.commit()
    if _postgres(db):
        assert len(statements) == 1, statements  # the lookup and both INSERTs in one
    assert started.first and started.caller is not None and started.call_id is not None
    person = db.scalars(select(Caller)).one()
    assert person is started.caller  # in the session as if loaded: no read back
    assert (person.phone, person.created_at, person.no_calls, person.pin_failures,
            person.slow_speech) == ("+358912345000", now, False, 0, False)
    assert person.city is not None and person.city.slug == "helsinki"
    record = db.get(CallLog, started.call_id)
    assert record is not None
    assert (record.call_sid, record.caller_id, record.direction, record.line, record.started_at,
            record.status, record.state) == (SID, person.id, "inbound", "main", now,
                                             "in-progress", {})


def test_a_known_caller_is_found_and_uses_no_new_id(db: DbSession,
                                                    statements: list[str]) -> None:
    known = f.caller(db, "+358401234567", city_slug="oulu")
    db.commit()
    statements.clear()
    started = _start(db, "+358401234567")
    db.commit()
    if _postgres(db):
        assert len(statements) == 1, statements
    assert not started.first and started.caller is not None and started.caller.id == known.id
    assert db.scalars(select(CallLog.caller_id)).one() == known.id
    assert db.scalar(select(func.count()).select_from(Caller)) == 1
    # The next new person's id follows the known one's: the known caller's call drew none.
    assert _person(_start(db, "+358401234568", sid="CA" + "2" * 32)).id == known.id + 1


def test_a_mobile_or_foreign_number_suggests_no_city_and_the_longest_code_wins(
        db: DbSession) -> None:
    assert _person(_start(db, "+358401234567")).city_id is None
    assert _person(_start(db, "+4681234567", sid="CA" + "2" * 32)).city_id is None
    db.add(City(slug="test-one", area_code="1", name_fi="Yksi", name_sv="Ett", name_en="One"))
    db.commit()
    try:
        caller = _person(_start(db, "+358141234567", sid="CA" + "3" * 32))  # 014: Jyväskylä
        assert caller.city is not None
        assert caller.city.slug == "jyvaskyla"  # not the city whose code is "1"
    finally:
        db.rollback()
        db.execute(delete(CallLog))
        db.execute(delete(Caller))
        db.execute(delete(City).where(City.slug == "test-one"))
        db.commit()


def test_a_withheld_number_makes_a_record_without_a_person(db: DbSession) -> None:
    started = _start(db, None)
    db.commit()
    assert started.caller is None and not started.first and started.call_id is not None
    assert db.scalars(select(CallLog.caller_id)).one() is None


def test_a_retried_first_webhook_finds_its_record(db: DbSession) -> None:
    first = _start(db, "+358401234567")
    db.commit()
    again = _start(db, "+358401234567")
    db.commit()
    assert first.call_id is not None and again.call_id is None  # the CallSid has its record
    assert _person(again).id == _person(first).id
    assert not again.first
    assert db.scalar(select(func.count()).select_from(CallLog)) == 1


def test_two_first_calls_of_one_new_number_at_once_share_the_person(app: Flask,
                                                                      db: DbSession) -> None:
    """The second call's start waits for the first's new row: on PostgreSQL its statement waits
    on the row and then cannot see it (its snapshot), so it finds the person in a statement of
    its own and gives the record their id; on SQLite it waits for the write lock and then finds
    the row. Either way one person, and the second call is not their first."""
    make = get_sessionmaker(app)
    other = make()
    begin_write(other)  # as a webhook begins
    other.execute(text("SELECT 1"))  # in a transaction: the start's statement stays in it
    holder = call_start.start_call(other, "+358401234599", "CA" + "a" * 32, "inbound", "main",
                                   utcnow())  # its row is written, not committed
    result: list[call_start.Started] = []
    second = threading.Thread(target=lambda: result.append(_in_own_session(app)))
    second.start()
    _wait_until_blocked(db, second)
    other.commit()
    other.close()
    second.join(timeout=10)
    assert result, "the second call's start did not finish"
    started = result[0]
    assert holder.first and not started.first and started.call_id is not None
    assert _person(started).id == _person(holder).id
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Caller)) == 1
    record = db.get(CallLog, started.call_id)
    assert record is not None and record.caller_id == _person(holder).id


def _in_own_session(app: Flask) -> call_start.Started:
    with get_sessionmaker(app)() as session:
        begin_write(session)
        started = call_start.start_call(session, "+358401234599", "CA" + "b" * 32, "inbound",
                                        "main", utcnow())
        session.commit()
        return started


def _wait_until_blocked(db: DbSession, second: threading.Thread) -> None:
    """Until the second start waits: on PostgreSQL, a connection waiting on a lock; on SQLite,
    a thread still unfinished a while after it began (the write lock is not in a view)."""
    if not _postgres(db):
        second.join(timeout=0.3)
        assert second.is_alive(), "the second call's start did not wait for the first's commit"
        return
    for _ in range(200):
        waiting = db.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE wait_event_type = 'Lock' AND datname = current_database()"))
        db.rollback()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second call's start never waited on the first's row")


def test_a_first_webhooks_statement_commits_by_itself_only_on_postgresql(
        app: Flask, db: DbSession) -> None:
    """PostgreSQL, nothing begun yet: the one statement is sent on a connection in autocommit
    (no BEGIN before it, no COMMIT after it: two round trips fewer), and what the webhook does
    next is in a transaction again. SQLite: every step stays in the webhook's own transaction
    (its BEGIN IMMEDIATE), which commits once at the end."""
    postgres = _postgres(db)
    autocommit: list[tuple[str, bool]] = []

    def note(conn: Any, _cursor: object, statement: str, *_args: object) -> None:
        raw = conn.connection.driver_connection
        on_its_own = raw.autocommit if postgres else not raw.in_transaction
        autocommit.append((statement.split()[0], bool(on_its_own)))

    event.listen(app.extensions["lampio_engine"], "before_cursor_execute", note)
    with get_sessionmaker(app)() as session:
        begin_write(session)  # as a webhook begins
        started = call_start.start_call(session, "+358401234567", SID, "inbound", "main",
                                        utcnow())
        person_id = _person(started).id
        assert session.in_transaction() is not postgres
        session.execute(select(CallLog.id))
        assert session.in_transaction()
        session.commit()
    if postgres:
        assert autocommit == [("WITH", True), ("SELECT", False)], autocommit
    else:  # BEGIN IMMEDIATE, then the steps: none on a connection outside a transaction
        steps = [(word, alone) for word, alone in autocommit if word != "BEGIN"]
        assert [word for word, _ in steps] == ["SELECT", "INSERT", "INSERT", "SELECT"], steps
        assert not any(alone for _, alone in steps), autocommit
    assert db.scalar(select(CallLog.caller_id)) == person_id  # kept
