"""A main-line call whose first webhook writes nothing (``catalogue.call_records``): one read,
then the person and the record made by the batch, by any process's batch, by the call's end, or
at once by a turn that needs them — the same rows as the first write made before."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as DbSession

from catalogue.database import attach, reading_alone
from catalogue.db import get_sessionmaker
from catalogue.models import Caller, CallLog, MenuVisit, Registration, RegistrationStatus
from catalogue.registration import register
from catalogue.timeutil import epoch, utcnow
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of
from voice.visits import VisitBuffer

LANDLINE = "+358912345000"  # Helsinki's area code: the person's suggested city


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:60])

    engine = app.extensions["lampio_engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def buffer(app: Flask) -> Iterator[VisitBuffer]:
    """The app's batch, written only when a test says (as a busy process's, between periods);
    what is left is dropped with the test's database."""
    visits: VisitBuffer = app.extensions["lampio_visits"]
    visits.flush_every = 3600.0
    yield visits
    visits.take()


def _count(db: DbSession, model: type[Any]) -> int:
    db.rollback()  # a fresh snapshot
    return db.scalar(select(func.count()).select_from(model)) or 0


def _record(db: DbSession, phone: Phone) -> CallLog:
    db.rollback()
    db.expire_all()
    return db.scalars(select(CallLog).where(CallLog.call_sid == phone.call_sid)).one()


def test_the_first_webhook_reads_once_and_the_batch_makes_the_rows(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    phone = make_phone(LANDLINE)
    with statements(app) as seen:
        t = phone.call()
    assert "Suomeksi, paina yksi" in t.text  # a new number: the language choice
    # One read, no write (on SQLite in a deferred transaction: no write lock; on PostgreSQL
    # in autocommit, ``database.reading_alone``).
    assert [s for s in seen if s != "BEGIN DEFERRED"] == seen[-1:], seen
    assert seen[-1].startswith("SELECT person."), seen
    assert _count(db, Caller) == 0 and _count(db, CallLog) == 0
    buffer.flush()
    record = _record(db, phone)
    person = db.scalars(select(Caller)).one()
    assert person.phone == LANDLINE and person.city is not None
    assert person.city.slug == "helsinki" and person.created_at == record.started_at
    assert (record.caller_id, record.direction, record.line, record.status, record.state) == (
        person.id, "inbound", "main", "in-progress", {})
    assert [v.node for v in db.scalars(select(MenuVisit))] == ["language"]


def test_a_known_callers_first_webhook_writes_nothing_either(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    known = f.caller(db, "+358401234567", language="sv", name="Greta")
    db.commit()
    phone = make_phone("+358401234567")
    with statements(app) as seen:
        t = phone.call()
    assert "Greta" in t.text, t.text
    # One read: the look-up says too whether anything waits to be told (``news.any_marked``).
    assert [s for s in seen if s != "BEGIN DEFERRED"] == seen[-1:], seen
    assert seen[-1].startswith("SELECT person."), seen
    buffer.flush()
    assert _record(db, phone).caller_id == known.id and _count(db, Caller) == 1


def test_news_marked_in_the_look_up_are_read_and_told_with_no_other_check(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    known = f.caller(db, "+358401234567", language="fi")
    s = f.session(db, f.event(db, title="Runotuokio"), capacity=5)
    db.commit()
    reg = f.registered(register(db, s.id, known.id, now=utcnow()))
    reg.notify_pending = "promoted"
    db.commit()
    with statements(app) as seen:
        t = make_phone("+358401234567").call()
    assert "paikka vapautui" in t.text, t.text
    # The look-up, then the news themselves (with their sessions), with no check between.
    reads = [s for s in seen if s.startswith("SELECT")]
    assert reads[0].startswith("SELECT person.") and len(reads) == 2, seen
    assert not reads[1].startswith("SELECT EXISTS"), seen
    db.rollback()
    db.expire_all()
    assert db.get_one(Registration, reg.id).notify_pending is None  # told, so cleared


def test_another_process_batch_makes_the_record_its_visits_need(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    """The first webhook's batch is another process's and not written yet (here: taken away);
    the next turn's visits bring the record along, its start from the URL."""
    phone = make_phone(LANDLINE)
    phone.call()
    lost = buffer.take()
    assert list(lost.records) == [phone.call_sid]
    phone.press("1")  # Finnish
    phone.press("1")  # the programme
    buffer.flush()
    record = _record(db, phone)
    assert epoch(record.started_at) == epoch(lost.records[phone.call_sid]["now"])
    visits = [v.node for v in db.scalars(select(MenuVisit).where(MenuVisit.call_id == record.id)
                                         .order_by(MenuVisit.id))]
    assert visits[0] == "main_menu" and len(visits) >= 2
    assert db.scalars(select(Caller)).one().language == "fi"  # chosen by the new number
    # The other process's batch comes later: nothing made twice, its visit added.
    other = VisitBuffer(get_sessionmaker(app), flush_every=0)
    other.restore(lost)
    other.flush()
    assert _count(db, CallLog) == 1 and _count(db, Caller) == 1
    assert _count(db, MenuVisit) == len(visits) + 1


def test_a_hang_up_before_any_batch_makes_the_record_with_its_end(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    phone = make_phone(LANDLINE)
    phone.call()
    buffer.take()  # the first webhook's batch: another process's, not written
    assert phone.hang_up(duration=12).status == 204
    buffer.flush()
    record = _record(db, phone)
    assert record.status == "completed" and record.duration_seconds == 12
    assert record.ended_at is not None
    assert (record.ended_at - record.started_at).total_seconds() == pytest.approx(12, abs=1)
    assert record.caller_id == db.scalars(select(Caller.id)).one()


def test_a_registration_before_any_batch_makes_the_person_at_once(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    """A new number confirms a place before its rows were written: the confirm makes the person
    in its own transaction, and the batch later finds it there."""
    ev = f.event(db, title="Runotuokio", code="101")
    session = f.session(db, ev, capacity=10)
    db.commit()
    phone = make_phone(LANDLINE)
    phone.call()
    phone.press("1")  # Finnish
    phone.press("4")  # an event by its code
    phone.press("101#")
    phone.press("2")  # register: the read-back
    t = phone.press("1")  # confirm
    assert "Olet nyt ilmoittautunut" in t.text, t.text
    db.rollback()
    reg = db.scalars(select(Registration)).one()
    person = db.scalars(select(Caller)).one()
    assert (reg.session_id, reg.caller_id, reg.status) == (
        session.id, person.id, RegistrationStatus.CONFIRMED)
    assert person.phone == LANDLINE
    buffer.flush()
    assert _count(db, Caller) == 1 and _record(db, phone).caller_id == person.id


def test_a_retried_first_webhook_after_the_batch_keeps_one_record(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    phone = make_phone(LANDLINE)
    phone.call()
    buffer.flush()
    again = phone.call()  # Twilio's retry: the record exists, so it is found, as before
    assert again.status == 200 and again.gather is not None
    buffer.flush()
    assert _count(db, CallLog) == 1 and _count(db, Caller) == 1


def test_the_calls_own_part_names_its_start_and_a_new_number(
        make_phone: MakePhone, buffer: VisitBuffer) -> None:
    """``w=``: ``t`` and the start while the record waits, ``p`` for a person still to be
    made; no number in it."""
    t = make_phone(LANDLINE).call()
    assert t.gather is not None
    action = t.gather.get("action") or ""
    who = action.split("w=")[1].split("&")[0]
    call, person, fp = who.split(".")
    assert call.startswith("t") and call[1:].isdigit() and person == "p" and fp.isalpha()
    assert "358" not in action


def test_a_state_kept_in_the_record_before_any_batch_makes_the_record_at_once(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    """A typed number never travels in a URL: the turn keeps the state in the call's record
    (``s=db``), which it makes itself when its first webhook left it to a batch not written
    yet; the next turn reads the state back from it."""
    ev = f.event(db, title="Runotuokio", code="101")
    f.session(db, ev, capacity=10)
    db.commit()
    phone = make_phone(LANDLINE)
    phone.call()
    buffer.take()  # the first webhook's batch: another process's, not written
    for key in ("1", "4", "101#", "2", "3"):  # Finnish, by code, register, someone else
        phone.press(key)
    t = phone.press("0401234567#")
    assert "Näppäilit numeron" in t.text and "s=db" in (gather_of(t).get("action") or "")
    record = _record(db, phone)  # made by that turn, before any batch
    assert record.state and record.state.get("data", {}).get("number") == "+358401234567"
    person = db.scalars(select(Caller).where(Caller.phone == LANDLINE)).one()
    assert record.caller_id == person.id
    t = phone.press("1")  # the number is right: the read-back for someone else
    assert "Ilmoitat toisen ihmisen" in t.text, t.text
    buffer.flush()
    assert _count(db, CallLog) == 1


def test_a_new_number_s_silence_wrong_key_and_full_session_before_any_batch(
        app: Flask, db: DbSession, make_phone: MakePhone, buffer: VisitBuffer) -> None:
    """The bad inputs of a call whose rows wait for the batch, through the webhooks: silence
    and a wrong key at the language choice are asked again (the call is never dropped), and a
    full session puts the new number on its waiting list, with the person made at the
    read-back."""
    ev = f.event(db, title="Runotuokio", code="101")
    session = f.session(db, ev, capacity=1)
    db.commit()
    first = f.caller(db, "+358401230000")
    db.commit()
    register(db, session.id, first, now=utcnow())
    phone = make_phone(LANDLINE)
    phone.call()
    buffer.take()  # the first webhook's batch: another process's, not written
    t = phone.silence()
    assert "Suomeksi, paina yksi" in t.text and gather_of(t) is not None
    t = phone.press("7")  # no such language
    assert "Suomeksi, paina yksi" in t.text and not t.hangs_up
    for key in ("1", "4", "101#"):
        phone.press(key)
    t = phone.press("2")  # register: the session is full
    assert "Kaikki paikat on varattu" in t.text and "ensimmäisenä varasijalla" in t.text, t.text
    t = phone.press("1")
    assert not t.hangs_up and gather_of(t) is not None
    db.rollback()
    person = db.scalars(select(Caller).where(Caller.phone == LANDLINE)).one()
    reg = db.scalars(select(Registration).where(Registration.caller_id == person.id)).one()
    assert reg.status == RegistrationStatus.WAITING
    buffer.flush()
    assert _count(db, CallLog) == 1 and _record(db, phone).caller_id == person.id


def test_a_read_alone_begins_nothing_on_postgresql_and_reads_as_usual_on_sqlite(
        app: Flask, db: DbSession) -> None:
    """``database.reading_alone``: on PostgreSQL nothing begun before or after its statement
    (an object attached inside included), and the session's next statement in a transaction
    of its own; on SQLite the read is the session's, in its deferred transaction (cheaper there
    than a checkout of its own). What the session holds unsaved is read as a query reads it."""
    db.rollback()
    sqlite = db.get_bind().dialect.name == "sqlite"
    with statements(app) as seen:
        with reading_alone(db) as conn:
            assert conn.execute(select(literal(7))).scalar() == 7
            attach(db, Caller, {c.name: None for c in Caller.__table__.columns} | {"id": 99})
        assert db.in_transaction() == sqlite
        assert db.scalar(select(func.count()).select_from(Caller)) == 0
        assert db.in_transaction()
    assert [s for s in seen if s != "BEGIN DEFERRED"] == [
        "SELECT ? AS anon_1" if sqlite else "SELECT %(param_1)s::INTEGER AS anon_1",
        "SELECT count(*) AS count_1 FROM caller"] and seen.count("BEGIN DEFERRED") == sqlite, seen
    db.rollback()
    db.expunge_all()
    db.add(Caller(phone="+358401111111"))
    with reading_alone(db) as conn:  # unsaved: flushed first, and read in its transaction
        assert conn.scalar(select(func.count()).select_from(Caller)) == 1
    db.rollback()
    with pytest.raises(DBAPIError), reading_alone(db) as conn:  # no such column, either database
        conn.execute(select(literal(1)).where(text("no_such_column = 1")))
    db.rollback()
    assert not db.in_transaction() or sqlite
    assert db.scalar(select(literal(2))) == 2  # usable after
