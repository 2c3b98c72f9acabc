"""Never overbooked, never doubled: many callers confirming at the same moment, on real threads,
each with its own database session and connection (SQLite by default, PostgreSQL with
``TEST_DATABASE_URL``)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as DbSession, sessionmaker

from catalogue import registration as reg
from catalogue.db import get_engine
from catalogue.models import Caller, Registration, RegistrationStatus, Session
from catalogue.timeutil import utcnow
from tests import factories as f

T = TypeVar("T")
THREADS = 50


@pytest.fixture
def engine(app: Flask) -> Iterator[Engine]:
    """On PostgreSQL an engine with a connection per thread; SQLite (one writer at a time by
    nature) uses the app's own engine, which sets up BEGIN IMMEDIATE."""
    app_engine = get_engine(app)
    if app_engine.dialect.name == "sqlite":
        yield app_engine
        return
    own = create_engine(app_engine.url, pool_size=THREADS + 5, max_overflow=0)
    yield own
    own.dispose()


def all_at_once(engine: Engine, jobs: list[Callable[[DbSession], T]]) -> list[T]:
    """Run every job on its own thread and session, all released by one barrier."""
    make = sessionmaker(engine, expire_on_commit=False)
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[DbSession], T]) -> T:
        with make() as db:
            barrier.wait(timeout=60)
            return job(db)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [fut.result(timeout=120) for fut in futures]


def people(db: DbSession, n: int, start: int = 0) -> list[int]:
    ids = [f.caller(db, f"+3584030{start + i:05d}", city_slug=None).id for i in range(n)]
    db.commit()
    return ids


def registrar(session_id: int, caller_id: int,
              by_id: bool = False) -> Callable[[DbSession], reg.Result]:
    """A job that registers the person: loaded first (the admin's way: the session's own
    transaction has begun), or ``by_id`` with nothing begun (the phone's confirm: on
    PostgreSQL the statement that commits itself, ``catalogue.registration_once``)."""
    def job(db: DbSession) -> reg.Result:
        if by_id:
            return reg.register(db, session_id, caller_id, now=utcnow())
        caller = db.get(Caller, caller_id)
        assert caller is not None
        return reg.register(db, session_id, caller, now=utcnow())

    return job


BY_ID = pytest.mark.parametrize("by_id", [False, True], ids=["loaded", "by-id"])


def check_invariants(db: DbSession, session_id: int) -> Counter[RegistrationStatus]:
    """confirmed_count equals the confirmed rows, never above capacity, nobody waits while a
    place is free, and waiting positions are 1..n without gaps or ties."""
    db.expire_all()
    s = db.get(Session, session_id)
    assert s is not None
    rows = list(db.scalars(select(Registration).where(Registration.session_id == session_id)))
    by_status = Counter(r.status for r in rows)
    assert by_status[RegistrationStatus.CONFIRMED] == s.confirmed_count
    assert s.capacity is None or s.confirmed_count <= s.capacity
    if by_status[RegistrationStatus.WAITING]:
        assert s.confirmed_count == s.capacity
    positions = sorted(reg.waiting_position(db, r) or 0 for r in rows
                       if r.status == RegistrationStatus.WAITING)
    assert positions == list(range(1, by_status[RegistrationStatus.WAITING] + 1))
    active = Counter(r.caller_id for r in rows if r.status != RegistrationStatus.CANCELLED)
    assert max(active.values(), default=1) == 1
    return by_status


@BY_ID
def test_fifty_confirmations_for_the_last_five_places(db: DbSession, engine: Engine,
                                                    by_id: bool) -> None:
    s = f.session(db, f.event(db, title="Pieni runopiiri"), capacity=10)
    db.commit()
    for caller_id in people(db, 5, start=900):
        reg.register(db, s.id, db.get_one(Caller, caller_id), now=utcnow())
    callers = people(db, THREADS)

    results = all_at_once(engine, [registrar(s.id, c, by_id) for c in callers])

    kinds = Counter(r.kind for r in results)
    assert kinds == {reg.Kind.CONFIRMED: 5, reg.Kind.WAITING: THREADS - 5}
    assert sorted(r.position for r in results
                  if r.kind == reg.Kind.WAITING and r.position is not None) == list(
        range(1, THREADS - 5 + 1))
    by_status = check_invariants(db, s.id)
    assert by_status == {RegistrationStatus.CONFIRMED: 10, RegistrationStatus.WAITING: THREADS - 5}


@BY_ID
def test_the_same_caller_pressing_confirm_many_times_at_once_registers_once(
        db: DbSession, engine: Engine, by_id: bool) -> None:
    s = f.session(db, f.event(db), capacity=3)
    db.commit()
    (caller_id,) = people(db, 1)

    results = all_at_once(engine, [registrar(s.id, caller_id, by_id) for _ in range(20)])

    kinds = Counter(r.kind for r in results)
    assert kinds == {reg.Kind.CONFIRMED: 1, reg.Kind.ALREADY_CONFIRMED: 19}
    assert check_invariants(db, s.id) == {RegistrationStatus.CONFIRMED: 1}


@BY_ID
def test_cancellations_and_registrations_at_once_leave_no_free_place_while_people_wait(
        db: DbSession, engine: Engine, by_id: bool) -> None:
    s = f.session(db, f.event(db), capacity=10)
    db.commit()
    holders = people(db, 10, start=100)
    waiting = people(db, 5, start=200)
    for c in holders + waiting:
        reg.register(db, s.id, db.get_one(Caller, c), now=utcnow())
    to_cancel = [active.id for c in holders[:8]
                 if (active := reg.active_registration(db, s.id, c)) is not None]
    assert len(to_cancel) == 8
    newcomers = people(db, 30, start=300)

    def canceller(registration_id: int) -> Callable[[DbSession], Any]:
        return lambda db: reg.cancel(db, registration_id, now=utcnow())

    jobs = [canceller(r) for r in to_cancel] + [registrar(s.id, c, by_id) for c in newcomers]
    results = all_at_once(engine, jobs)

    promoted = sum(len(r.promoted) for r in results[:8])
    assert promoted >= 5  # everyone who waited before got a place
    by_status = check_invariants(db, s.id)
    assert by_status[RegistrationStatus.CONFIRMED] == 10
    assert by_status[RegistrationStatus.CANCELLED] == 8
    assert by_status[RegistrationStatus.WAITING] == 5 + 30 - 8  # 37 active, 10 places


def test_callers_pressing_confirm_at_once_through_the_webhooks(app: Flask, db: DbSession) -> None:
    """The same race through the real webhooks: every caller who hears "you are registered" has
    a place, the others hear their waiting-list position, and nobody hears an apology."""
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
    from tests.phone import Phone

    s = f.session(db, f.event(db, title="Pieni runopiiri", code="107"), capacity=5)
    db.commit()
    phones = []
    for i in range(20):
        number = f"+3584040{i:05d}"
        f.caller(db, number, language="fi", city_slug=None)
        phones.append(Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number))
    db.commit()
    for phone in phones:
        phone.call()
        phone.press("4")
        phone.press("107#")
        assert "Jos haluat vahvistaa ilmoittautumisen, paina yksi" in phone.press("2").text

    barrier = threading.Barrier(len(phones))

    def confirm(phone: Phone) -> str:
        barrier.wait(timeout=60)
        return phone.press("1").text

    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        heard = list(pool.map(confirm, phones))

    assert sum("Olet nyt ilmoittautunut" in t for t in heard) == 5
    assert sum("varasijalla" in t for t in heard) == 15
    assert not any("Pahoittelemme" in t for t in heard)
    by_status = check_invariants(db, s.id)
    assert by_status == {RegistrationStatus.CONFIRMED: 5, RegistrationStatus.WAITING: 15}
