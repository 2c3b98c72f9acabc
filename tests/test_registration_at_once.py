"""The phone's confirm on PostgreSQL: one statement that commits itself
(``catalogue.registration_once``). Its snapshot is taken before it waits for the session's lock,
so each race is staged for real: another transaction holds the lock and changes what matters,
the confirm starts and waits (seen in ``pg_stat_activity``), the other commits. The rule that
lets the statement refuse nothing a read would not (``registrable``) is checked against
``refusal`` on both databases."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from flask import Flask
from sqlalchemy import Connection, Table, event, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as DbSession, sessionmaker

from catalogue import registration as reg
from catalogue.db import get_engine
from catalogue.models import Registration, RegistrationStatus, Session, SessionStatus
from catalogue.registration_rules import refusal, registrable
from catalogue.timeutil import utcnow
from tests import factories as f

SESSIONS = cast("Table", Session.__table__)
REGISTRATIONS = cast("Table", Registration.__table__)


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine = get_engine(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("a statement that commits itself is PostgreSQL's (SQLite: BEGIN IMMEDIATE)")
    return engine


def _waiting_on_a_lock(engine: Engine, deadline: float = 20.0) -> None:
    """Until a backend of this database waits for a lock (the confirm, behind the holder)."""
    stop = time.monotonic() + deadline
    with engine.connect() as watch:
        while time.monotonic() < stop:
            if watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND wait_event_type = 'Lock'")).scalar():
                return
            watch.rollback()
            time.sleep(0.01)
    raise AssertionError("the confirm never waited for the session's lock")


def _confirm_behind(engine: Engine, session_id: int, caller_id: int,
                    holder: Callable[[Connection], None]) -> reg.Result:
    """``holder`` runs in a transaction that has locked the session; the confirm (by id, with
    nothing begun: the phone's) starts while it holds the lock, then the holder commits."""
    results: list[reg.Result] = []
    errors: list[BaseException] = []
    make = sessionmaker(engine, expire_on_commit=False)

    def confirm() -> None:
        try:
            with make() as db:
                results.append(reg.register(db, session_id, caller_id, now=utcnow()))
        except BaseException as exc:  # noqa: BLE001 - shown by the test
            errors.append(exc)

    with engine.connect() as other:
        other.execute(select(SESSIONS.c.id).where(SESSIONS.c.id == session_id).with_for_update())
        holder(other)
        thread = threading.Thread(target=confirm)
        thread.start()
        _waiting_on_a_lock(engine)
        other.commit()
    thread.join(30)
    assert not errors, errors
    (result,) = results
    return result


def _row(session_id: int, caller_id: int, status: RegistrationStatus) -> dict[str, Any]:
    now = utcnow()
    return dict(session_id=session_id, caller_id=caller_id, status=status, created_at=now,
                updated_at=now, active_key=1, registered_by_staff=False)


def test_a_place_freed_while_the_confirm_waited_is_the_confirms(db: DbSession,
                                                                engine: Engine) -> None:
    """The holder cancels the one confirmed place; the statement decides on the row as it
    locked it, not as its older snapshot had it (full): a place, nobody waiting."""
    s = f.session(db, f.event(db), capacity=1)
    first, second = (f.caller(db, f"+35840555000{i}") for i in range(2))
    db.commit()
    held = reg.register(db, s.id, first.id, now=utcnow()).registration
    assert held is not None

    def cancel(conn: Connection) -> None:
        conn.execute(update(REGISTRATIONS).where(REGISTRATIONS.c.id == held.id)
                     .values(status=RegistrationStatus.CANCELLED, active_key=None))
        conn.execute(update(SESSIONS).where(SESSIONS.c.id == s.id).values(confirmed_count=0))

    result = _confirm_behind(engine, s.id, second.id, cancel)
    assert result.kind == reg.Kind.CONFIRMED, result
    assert result.session is not None and result.session.confirmed_count == 1
    db.expire_all()
    assert db.get_one(Session, s.id).confirmed_count == 1


def test_rows_added_while_the_confirm_waited_count_in_its_position(db: DbSession,
                                                                   engine: Engine) -> None:
    """Two join the waiting list while the confirm waits: it is told it is third."""
    s = f.session(db, f.event(db), capacity=1)
    people = [f.caller(db, f"+35840555100{i}") for i in range(4)]
    db.commit()
    assert reg.register(db, s.id, people[0].id, now=utcnow()).kind == reg.Kind.CONFIRMED

    def two_wait(conn: Connection) -> None:
        conn.execute(insert(REGISTRATIONS), [_row(s.id, p.id, RegistrationStatus.WAITING)
                                             for p in people[1:3]])

    result = _confirm_behind(engine, s.id, people[3].id, two_wait)
    assert result.kind == reg.Kind.WAITING and result.position == 3, result


def test_the_persons_own_row_added_while_the_confirm_waited_gives_the_place_back(
        db: DbSession, engine: Engine) -> None:
    """The same person's row comes while the confirm waits (its snapshot misses it): the place
    it took is given back at once and the answer is the row that was there first."""
    s = f.session(db, f.event(db), capacity=3)
    aino = f.caller(db, "+358405552000")
    db.commit()

    def own_row(conn: Connection) -> None:
        conn.execute(insert(REGISTRATIONS), [_row(s.id, aino.id, RegistrationStatus.CONFIRMED)])
        conn.execute(update(SESSIONS).where(SESSIONS.c.id == s.id).values(confirmed_count=1))

    result = _confirm_behind(engine, s.id, aino.id, own_row)
    assert result.kind == reg.Kind.ALREADY_CONFIRMED, result
    db.expire_all()
    assert db.get_one(Session, s.id).confirmed_count == 1
    assert len(db.scalars(select(Registration).where(Registration.session_id == s.id)).all()) == 1


def test_a_session_cancelled_while_the_confirm_waited_is_refused(db: DbSession,
                                                                 engine: Engine) -> None:
    """The statement checks the locked row: nothing written, and the refusal said."""
    s = f.session(db, f.event(db), capacity=3)
    aino = f.caller(db, "+358405553000")
    db.commit()

    def cancel_session(conn: Connection) -> None:
        conn.execute(update(SESSIONS).where(SESSIONS.c.id == s.id)
                     .values(status=SessionStatus.CANCELLED))

    result = _confirm_behind(engine, s.id, aino.id, cancel_session)
    assert result.kind == reg.Kind.CANCELLED, result
    assert not db.scalars(select(Registration).where(Registration.session_id == s.id)).all()


def test_the_phones_confirm_commits_in_its_own_statement(app: Flask, db: DbSession,
                                                         engine: Engine) -> None:
    """Nothing begun: the one statement, on a connection that commits each statement (no
    round trip while the session's row is locked); the signal is sent after it."""
    from catalogue.signals import registration_changed

    s = f.session(db, f.event(db), capacity=3)
    aino = f.caller(db, "+358405554000")
    db.commit()
    db.close()
    seen: list[tuple[str, Any]] = []
    heard: list[int] = []

    def note(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((" ".join(statement.split()[:3]),
                     conn.get_execution_options().get("isolation_level")))

    def told(_sender: Any, session_id: int) -> None:
        heard.append(session_id)

    event.listen(engine, "before_cursor_execute", note)
    registration_changed.connect(told)
    try:
        result = reg.register(db, s.id, aino.id, now=utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", note)
        registration_changed.disconnect(told)
    assert result.kind == reg.Kind.CONFIRMED
    assert seen == [("WITH locked AS", "AUTOCOMMIT")], seen
    assert heard == [s.id] and not db.in_transaction()


def _sessions(db: DbSession, now: datetime) -> Iterator[Session]:
    """Sessions around ``now`` in every way ``refusal`` looks at them."""
    ev = f.event(db)
    hour = timedelta(hours=1)
    for starts, ends, opens, closes, status in [
            (now + hour, now + 2 * hour, None, None, SessionStatus.SCHEDULED),
            (now + hour, now + 2 * hour, None, None, SessionStatus.CANCELLED),
            (now + hour, now + 2 * hour, now + hour / 2, None, SessionStatus.SCHEDULED),
            (now + hour, now + 2 * hour, now, None, SessionStatus.SCHEDULED),
            (now + hour, now + 2 * hour, now - hour, now, SessionStatus.SCHEDULED),
            (now + hour, now + 2 * hour, None, now + hour / 4, SessionStatus.SCHEDULED),
            (now - hour, now + hour, None, None, SessionStatus.SCHEDULED),
            (now - hour, now + hour, None, now + hour / 2, SessionStatus.SCHEDULED),
            (now - 2 * hour, now, None, now + hour, SessionStatus.SCHEDULED),
            (now - 2 * hour, now - hour, None, None, SessionStatus.SCHEDULED)]:
        s = f.session(db, ev, capacity=5)
        s.starts_at, s.ends_at, s.status = starts, ends, status
        s.registration_opens_at, s.registration_closes_at = opens, closes
        yield s


def test_registrable_is_refusals_rule(db: DbSession) -> None:
    """On either database: the SQL rule holds for exactly the sessions ``refusal`` lets be."""
    now = utcnow().replace(microsecond=0)
    sessions = list(_sessions(db, now))
    db.commit()
    open_in_sql = set(db.scalars(select(SESSIONS.c.id).where(registrable(SESSIONS.c, now))))
    open_in_python = {s.id for s in sessions if refusal(s, now) is None}
    assert open_in_sql == open_in_python
    assert 0 < len(open_in_python) < len(sessions)
