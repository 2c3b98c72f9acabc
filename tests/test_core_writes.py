"""The turns' hot writes go through Core statements built once, and what they return is put in
the session as loaded (``catalogue.database.attach``): checked as behaviour — the objects are
real, nothing is read back, and the phone's first turn, read-back and confirm read no row they
do not need."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from flask import Flask
from sqlalchemy import Table, event, inspect, insert, select
from sqlalchemy.orm import Session as DbSession

from catalogue import callers, news
from catalogue.database import attach, upsert_once
from catalogue.models import Caller, City, Registration, RegistrationStatus
from catalogue.registration import cancel, register
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.phone import MakePhone
from tests.test_turn_cost import statements


def test_an_attached_row_is_a_persistent_object_that_reads_nothing(app: Flask,
                                                                   db: DbSession) -> None:
    helsinki = f.city(db, "helsinki")
    table = cast("Table", Caller.__table__)
    row = db.execute(insert(table).returning(*table.c),
                     {"phone": "+358401112223", "city_id": helsinki.id, "name": "Aino"}).one()
    seen: list[str] = []
    event.listen(db.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
    caller = attach(db, Caller, row)
    assert inspect(caller).persistent and db.get(Caller, row.id) is caller
    assert (caller.phone, caller.name, caller.city_id, caller.no_calls) == \
        ("+358401112223", "Aino", helsinki.id, False)  # the column defaults came back too
    assert isinstance(caller.created_at, type(utcnow()))
    assert caller.city is helsinki and seen == [], seen  # the relationship from the identity map
    caller.name = "Aino K."  # and it is an ordinary object: a change is flushed
    db.commit()
    db.expire_all()
    assert db.scalar(select(Caller.name).where(Caller.phone == "+358401112223")) == "Aino K."


def test_a_statement_built_once_is_kept_per_name_and_dialect(app: Flask, db: DbSession) -> None:
    built: list[object] = []

    def build(ins: object) -> object:
        built.append(ins)
        insert_of = cast("Callable[[Table], Any]", ins)  # the dialect's own insert
        return insert_of(cast("Table", City.__table__)).on_conflict_do_nothing(
            index_elements=["slug"])

    first = upsert_once(db, "test-city", build)
    assert upsert_once(db, "test-city", build) is first and len(built) == 1


def test_a_new_callers_row_comes_back_from_its_insert(app: Flask, db: DbSession) -> None:
    f.city(db, "helsinki")
    db.commit()
    with statements(app) as seen:
        made = callers.find_or_create(db, "+358912345000")  # a Helsinki landline
    assert made.city is not None and made.city.slug == "helsinki"
    reads = [s for s in seen if s.startswith("SELECT caller.")]
    assert len(reads) == 1 and seen[-1].startswith("INSERT INTO caller"), seen  # no read back
    db.commit()
    assert callers.find_or_create(db, "+358912345000") is made  # and then it is found


def test_a_call_start_the_read_back_and_the_confirm_read_the_caller_once(
        app: Flask, db: DbSession, make_phone: MakePhone) -> None:
    ev = f.event(db, title="Konsertti", code="911")
    f.session(db, ev, starts_in=timedelta(days=2))
    f.caller(db, "+358401234567", language="fi")
    db.commit()
    phone = make_phone(from_number="+358401234567")
    with statements(app) as at_start:
        t = phone.call()
    turns = []
    with statements(app) as seen:
        t = phone.press("1")  # the programme
    turns.append(seen)
    if "paina neljä" in t.text and "Jos haluat kuulla kaikki" in t.text:
        with statements(app) as seen:
            phone.press("1")  # the group of phone events
        turns.append(seen)
    with statements(app) as seen:
        t = phone.press("2")  # register: the read-back
    turns.append(seen)
    assert "Jos haluat vahvistaa ilmoittautumisen" in t.text, t.text
    with statements(app) as at_confirm:
        done = phone.press("1")
    assert "Olet nyt ilmoittautunut" in done.text, done.text
    caller_reads = [s for seen in (at_start, *turns, at_confirm) for s in seen  # the call
                    if s.startswith(("SELECT caller.", "SELECT person."))]  # start's look-up
    assert len(caller_reads) == 1, caller_reads  # the lookup by number at the start, only
    reg = db.scalars(select(Registration)).one()
    assert reg.status == RegistrationStatus.CONFIRMED and reg.caller is not None
    assert reg.caller.phone == "+358401234567"


def test_news_is_looked_for_cheaply_and_still_said(app: Flask, db: DbSession,
                                                   make_phone: MakePhone) -> None:
    ev = f.event(db, title="Konsertti", code="911")
    s = f.session(db, ev, starts_in=timedelta(days=2), capacity=1)
    aino, eino = f.caller(db, "+358401234567"), f.caller(db, "+358401234568")
    db.commit()
    assert news.news_for(db, aino.id, utcnow()) == []
    register(db, s.id, aino, now=utcnow())
    held = register(db, s.id, eino, now=utcnow())
    assert held.waiting and held.registration is not None
    cancel(db, db.scalars(select(Registration).where(Registration.caller_id == aino.id)).one().id,
           now=utcnow())
    assert [r.caller_id for r in news.news_for(db, eino.id, utcnow())] == [eino.id]
    t = make_phone(from_number="+358401234568").call()
    assert "Konsertti" in t.text, t.text  # a place came free: said at the start of the call
    with statements(app) as quiet:
        make_phone(from_number="+358401234567").call()
    eager = [q for q in quiet if q.startswith("SELECT registration.id, registration.session_id")]
    assert eager == [], quiet  # no news mark on Aino's rows: the eager query is not run
    # The first look is inside the call's look-up (``news.any_marked``): no statement of its own.
    assert any(q.startswith("SELECT person.") for q in quiet), quiet
    assert not any(q.startswith("SELECT EXISTS (SELECT") for q in quiet), quiet


def test_a_first_callers_language_choice_looks_for_no_news(app: Flask, db: DbSession,
                                                          make_phone: MakePhone) -> None:
    """A row this call made cannot have news waiting, so the choice of language reads nothing;
    a person known before (registered by staff, no language yet) still hears theirs then."""
    ev = f.event(db, title="Konsertti", code="911")
    s = f.session(db, ev, starts_in=timedelta(days=2), capacity=1)
    first, waiting = f.caller(db, "+358401234567"), f.caller(db, "+358401234568", language=None)
    db.commit()
    register(db, s.id, first, now=utcnow())
    assert register(db, s.id, waiting, now=utcnow()).waiting
    cancel(db, db.scalars(select(Registration).where(Registration.caller_id == first.id))
           .one().id, now=utcnow())  # the waiting person gets the place: news for them
    new = make_phone(from_number="+358405550001")
    assert "Tervetuloa" in new.call().text
    news_look = "SELECT EXISTS (SELECT * FROM registration"  # news.news_for's own first look
    assert new.press("7").gather is not None  # a wrong key, then silence: asked again, no news
    assert new.silence().gather is not None
    with statements(app) as choosing:
        menu = new.press("1")
    assert "Päävalikko" in menu.text, menu.text
    assert not [q for q in choosing if q.startswith(news_look) or "notify_pending" in q], choosing
    known = make_phone(from_number="+358401234568")
    known.call()
    with statements(app) as told:
        menu = known.press("1")
    assert "Konsertti" in menu.text.split("Päävalikko")[0], menu.text
    assert any(q.startswith(news_look) for q in told), told


def test_a_full_session_puts_the_next_on_the_waiting_list_without_trying_for_a_place(
        app: Flask, db: DbSession) -> None:
    """The locked session's count says it is full; the place's UPDATE still decides otherwise.
    PostgreSQL's one statement decides on the row it has locked itself (nothing read before)."""
    s = f.session(db, f.event(db, title="Konsertti", code="912"), starts_in=timedelta(days=2),
                  capacity=1)
    aino, eino = f.caller(db, "+358401234567"), f.caller(db, "+358401234568")
    db.commit()
    # PostgreSQL: the lock, the place, the row and its audit entry in one statement, which
    # reads no count before it: it is asked to try (``try_place``) and decides itself.
    together = db.get_bind().dialect.name == "postgresql"
    tried: list[object] = []
    event.listen(db.get_bind(), "before_cursor_execute", _note_try(tried))
    with statements(app) as placing:
        assert register(db, s.id, aino, now=utcnow()).registration is not None
    assert any(q.startswith("WITH locked AS (SELECT session" if together else "UPDATE session")
               for q in placing), placing
    with statements(app) as waiting:
        held = register(db, s.id, eino, now=utcnow())
    assert held.waiting and held.position == 1
    if together:
        assert tried == [True, True], tried
    else:
        assert not [q for q in waiting if q.startswith("UPDATE session")], waiting
    db.refresh(s)
    assert s.confirmed_count == 1


def _note_try(tried: list[object]) -> Callable[..., None]:
    def note(_conn: object, _cursor: object, _statement: str, params: Any, *_: object) -> None:
        if isinstance(params, dict) and "try_place" in params:
            tried.append(params["try_place"])
    return note


def test_a_registrations_audit_entry_is_the_same_on_both_databases(db: DbSession) -> None:
    """On PostgreSQL the entry is written by the registration's own statement: the same
    entry, one per new row, none when nothing was added."""
    from catalogue import audit
    from catalogue.models import AuditEntry

    ev = f.event(db, title="Konsertti", code="913")
    s = f.session(db, ev, starts_in=timedelta(days=2), capacity=1)
    aino, eino = f.caller(db, "+358401234567"), f.caller(db, "+358401234568")
    db.commit()
    now = utcnow().replace(microsecond=0)
    placed = register(db, s.id, aino, now=now, actor=audit.PHONE).registration
    waiting = register(db, s.id, eino, now=now, actor=audit.PHONE).registration
    again = register(db, s.id, eino, now=now, actor=audit.PHONE)  # held already: no entry
    full = register(db, s.id, f.caller(db, "+358401234569"), now=now, waitlist=False)
    assert placed is not None and waiting is not None and again.registration is not None
    assert again.registration.id == waiting.id and full.registration is None
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.channel, e.object_type, e.object_id, e.event_id, e.session_id, e.at,
             e.before, e.after) for e in rows] == [
        ("registration.add", "phone", "registration", reg.id, ev.id, s.id, now, {},
         {"status": status, "caller_id": who.id})
        for reg, status, who in ((placed, "confirmed", aino), (waiting, "waiting", eino))]
    db.refresh(s)
    assert s.confirmed_count == 1


def test_a_session_read_under_its_lock_takes_the_rows_values_into_the_object_held(
        app: Flask, db: DbSession) -> None:
    """``registration_sql.locked`` reads the row on the table's columns (``database.load``); an
    object the session already holds, stale since another writer's commit, takes the row's
    values as ``populate_existing`` would: a full session is seen full."""
    from catalogue.database import begin_write
    from catalogue.models import Session
    from catalogue.registration_sql import locked

    s = f.session(db, f.event(db), capacity=3)
    db.commit()  # the object stays loaded (expire_on_commit is off), its count 0
    with app.extensions["lampio_engine"].connect() as other:  # another process's confirms
        table = cast("Table", Session.__table__)
        other.execute(table.update().where(table.c.id == s.id).values(confirmed_count=3))
        other.commit()
    assert s.confirmed_count == 0
    begin_write(db)
    assert locked(db, s.id) is s and s.confirmed_count == 3 and s not in db.dirty
    second = register(db, s.id, f.caller(db, "+358401234560"), now=utcnow())
    assert second.kind.name == "WAITING"


def test_a_row_loaded_by_its_columns_sees_what_the_session_holds_unsaved(
        app: Flask, db: DbSession) -> None:
    """``database.load`` sees what an ORM query would (the session autoflushes before a Core
    statement too): a registration added to the session and not yet written is found, as the
    object added."""
    from catalogue.registration_rules import Kind, active_registration, preview

    s = f.session(db, f.event(db), capacity=3)
    aino = f.caller(db, "+358401234561")
    db.commit()
    added = Registration(session_id=s.id, caller_id=aino.id, status=RegistrationStatus.CONFIRMED,
                         created_at=utcnow(), updated_at=utcnow())
    db.add(added)
    assert active_registration(db, s.id, aino.id) is added
    seen = preview(db, s.id, aino.id, now=utcnow())  # the read-back's one statement, as well
    assert (seen.kind, seen.session, seen.registration) == (Kind.ALREADY_CONFIRMED, s, added)
    assert preview(db, s.id + 999, aino.id, now=utcnow()).kind == Kind.NOT_FOUND


def test_a_waiting_places_position_comes_with_its_row(app: Flask, db: DbSession) -> None:
    """Under the session's lock only what decides the place runs: on SQLite the queue
    position the caller is told is counted by the INSERT … RETURNING that adds the row, not by
    a statement of its own; on PostgreSQL the lock lives only inside the one statement that
    commits itself, and the position is counted after it (``registration_once``: its snapshot
    may be older than the lock). Other sessions' queues and earlier rows that no longer wait do
    not count."""
    s, other = (f.session(db, f.event(db), capacity=1) for _ in range(2))
    first, second, third, fourth = (f.caller(db, f"+35840123457{i}") for i in range(4))
    db.commit()
    register(db, other.id, first, now=utcnow())
    register(db, other.id, second, now=utcnow())  # waiting for the other session
    register(db, s.id, first, now=utcnow())
    gone = register(db, s.id, second, now=utcnow()).registration  # waiting, then cancelled
    register(db, s.id, third, now=utcnow())  # waiting
    assert gone is not None
    cancel(db, gone.id, now=utcnow())
    order: list[str] = []
    engine = app.extensions["lampio_engine"]

    def note(*args: Any) -> None:  # a statement's first words, or a commit
        order.append(" ".join(args[2].split()[:2]) if len(args) > 2 else "COMMIT")

    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", note)
    try:
        result = register(db, s.id, fourth, now=utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", note)
    assert result.kind.name == "WAITING" and result.position == 2, result
    if db.get_bind().dialect.name == "postgresql":
        assert order[:2] == ["WITH locked", "SELECT count(*)"], order
    else:
        assert order[-1] == "COMMIT" and not [q for q in order if q.startswith("SELECT count")], \
            order
