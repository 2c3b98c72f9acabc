"""Issue 12, the catalogue side of staff's desk: the audit log written where changes happen
(admin, phone, jobs), undoing a cancellation honestly, the worklists' queries, a caller's name
changed only on purpose, and a call-back request that knows what it was about."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import audit, callers, news, pins, registration, schedule, worklists
from catalogue.models import (AuditEntry, CallbackRequest, Caller, Provider, Registration,
                              RegistrationStatus)
from catalogue.registration import Kind
from catalogue.timeutil import to_utc, utcnow
from tests import factories as f
from tests.phone import MakePhone, Phone

STAFF = audit.Actor("admin", None, "staff@example.test")


def entries(db: DbSession, **where: object) -> list[AuditEntry]:
    db.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, name) == value)
    return list(db.scalars(stmt))


def _two(db: DbSession, capacity: int = 1) -> tuple[int, Registration, Caller]:
    """A session with capacity 1: Aino has the place; Bertta is given for the waiting list."""
    s = f.session(db, f.event(db), capacity=capacity)
    aino, bertta = f.caller(db, "+358912345678", name="Aino"), f.caller(db, "+358401234567")
    db.commit()
    first = f.registered(registration.register(db, s.id, aino, now=utcnow(), actor=STAFF))
    return s.id, first, bertta


def test_record_keeps_only_what_changed_and_names_no_number(db: DbSession) -> None:
    audit.record(db, STAFF, "session.edit", "session", 7, event_id=3, session_id=7,
                 before={"capacity": 10, "kind": "phone",
                         "starts_at": datetime(2026, 12, 1, 12, 0)},
                 after={"capacity": 12, "kind": "phone",
                        "starts_at": datetime(2026, 12, 1, 12, 0)})
    db.commit()
    (e,) = audit.for_object(db, event_id=3)
    assert (e.before, e.after) == ({"capacity": 10}, {"capacity": 12})
    assert e.channel == "admin" and e.actor == "staff@example.test"
    assert audit.for_object(db, event_id=3) == [e] and audit.for_object(db, session_id=8) == []
    found, total = audit.search(db, audit.Filter(channel="admin", action="edit"))
    assert (found, total) == ([e], 1)
    assert audit.search(db, audit.Filter(channel="phone"))[1] == 0
    assert audit.search(db, audit.Filter(since=utcnow() + timedelta(days=1)))[1] == 0


def test_cancel_by_phone_and_admin_is_logged_with_the_promotion(db: DbSession) -> None:
    sid, first, bertta = _two(db)
    waiting = f.registered(registration.register(db, sid, bertta, now=utcnow(),
                                                 actor=audit.PHONE))
    registration.cancel(db, first.id, now=utcnow(), actor=STAFF)
    log = entries(db, session_id=sid)
    assert [(e.action, e.channel) for e in log] == [
        ("registration.add", "admin"), ("registration.add", "phone"),
        ("registration.cancel", "admin"), ("registration.promoted", "admin")]
    assert log[2].before == {"status": "confirmed"} and log[2].after == {"status": "cancelled"}
    assert log[3].object_id == waiting.id and log[3].after == {"status": "confirmed"}
    text = json.dumps([(e.before, e.after, e.actor) for e in log])
    assert "+358" not in text and "Aino" not in text  # people by id only


def test_restore_gives_the_place_back_while_it_is_free(db: DbSession) -> None:
    sid, first, _ = _two(db)
    registration.cancel(db, first.id, now=utcnow(), actor=STAFF)
    result = registration.restore(db, first.id, now=utcnow(), actor=STAFF)
    assert result.kind == Kind.CONFIRMED and result.registration is not None
    assert result.registration.id == first.id and result.session is not None
    assert result.session.confirmed_count == 1
    assert result.registration.notify_pending is None
    assert entries(db)[-1].action == "registration.restore"
    again = registration.restore(db, first.id, now=utcnow(), actor=STAFF)
    assert again.kind == Kind.ALREADY_CONFIRMED  # twice is harmless


def test_restore_when_the_place_went_to_the_waiting_list_keeps_it_theirs(db: DbSession) -> None:
    sid, first, bertta = _two(db)
    promoted = f.registered(registration.register(db, sid, bertta, now=utcnow()))
    done = registration.cancel(db, first.id, now=utcnow(), actor=STAFF)
    assert [r.id for r in done.promoted] == [promoted.id]
    result = registration.restore(db, first.id, now=utcnow(), actor=STAFF)
    assert (result.kind, result.position) == (Kind.WAITING, 1)
    db.expire_all()
    assert db.get_one(Registration, promoted.id).status == RegistrationStatus.CONFIRMED
    assert db.get_one(Registration, promoted.id).notify_pending == registration.PROMOTED
    assert db.get_one(Registration, first.id).status == RegistrationStatus.WAITING


def test_restore_refuses_a_cancelled_or_ended_session_and_a_new_registration(
        db: DbSession) -> None:
    sid, first, _ = _two(db)
    registration.cancel(db, first.id, now=utcnow())
    # the person registered again meanwhile: the old row stays cancelled
    aino = db.get_one(Caller, first.caller_id)
    registration.register(db, sid, aino, now=utcnow())
    assert registration.restore(db, first.id, now=utcnow()).kind == Kind.ALREADY_CONFIRMED
    assert registration.restore(db, first.id, now=utcnow() + timedelta(days=2)).kind == Kind.CLOSED
    session = db.get_one(registration.Session, sid)
    schedule.cancel_session(db, session, actor=STAFF)
    db.commit()
    assert registration.restore(db, first.id, now=utcnow()).kind == Kind.CANCELLED
    assert registration.restore(db, 999999, now=utcnow()).kind == Kind.NOT_FOUND


def test_schedule_changes_are_logged_before_and_after(db: DbSession) -> None:
    ev = f.event(db, title="Lauluilta")
    schedule.edit_event(db, ev, {"title_fi": "Lauluilta 2", "category": "music"}, actor=STAFF)
    s = f.session(db, ev, capacity=5)
    schedule.edit_session(db, s, minutes=90, kind=s.kind, capacity=8, opens_at=None,
                          closes_at=None, now=utcnow(), actor=STAFF)
    new, _ = schedule.move_session(db, s, new_start_local=datetime(2030, 1, 2, 14, 0),
                                   minutes=60, actor=STAFF)
    db.commit()
    log = entries(db, event_id=ev.id)
    assert [e.action for e in log] == ["event.edit", "session.edit", "session.move",
                                       "session.move_in"]
    assert log[0].before == {"title_fi": "Lauluilta"} and log[0].after == {"title_fi": "Lauluilta 2"}
    assert log[1].before["capacity"] == 5 and log[1].after["capacity"] == 8
    assert log[2].after["moved_to_id"] == new.id and log[3].session_id == new.id
    assert log[3].after["starts_at"] == "2030-01-02 14:00"  # Helsinki wall-clock time


def test_to_be_told_across_sessions_cleared_by_staff_or_by_a_call(db: DbSession) -> None:
    one = f.session(db, f.event(db, title="Yksi"))
    two = f.session(db, f.event(db, title="Kaksi"), starts_in=timedelta(days=2))
    a, b = f.caller(db, "+358912345678"), f.caller(db, "+358401234567")
    db.commit()
    ra = f.registered(registration.register(db, one.id, a, now=utcnow()))
    rb = f.registered(registration.register(db, two.id, b, now=utcnow()))
    schedule.cancel_session(db, one, actor=STAFF)
    schedule.move_session(db, two, new_start_local=datetime(2030, 1, 2, 14, 0), minutes=60)
    db.commit()
    told = worklists.to_be_told(db, utcnow())
    assert [(r.id, r.notify_pending) for r in told] == [(ra.id, "cancelled"), (rb.id, "moved")]
    assert worklists.counts(db, utcnow())["told"] == 2
    news.told(db, [told[0]], utcnow(), actor=STAFF, how="staff")
    db.commit()
    assert [r.id for r in worklists.to_be_told(db, utcnow())] == [rb.id]
    last = entries(db, action="registration.told")[-1]
    assert (last.channel, last.after) == ("admin", {"how": "staff"})


def test_locked_pins_listed_and_unlocked_with_an_entry(db: DbSession) -> None:
    p = f.provider(db, "Teatteri", pin="2468")
    other = f.provider(db, "Museo", pin="1357")
    now = utcnow()
    p.own_pin_locked_until = now + timedelta(minutes=10)
    p.own_pin_failures = 5
    other.pin_locked_until = now - timedelta(minutes=1)  # lifted already
    db.commit()
    assert worklists.locked_pins(db, now) == [p]
    pins.unlock(db, p, STAFF, now)
    db.commit()
    db.expire_all()
    assert worklists.locked_pins(db, now) == []
    assert db.get_one(Provider, p.id).own_pin_failures == 0
    assert entries(db, action="provider.pin_unlock")[0].object_id == p.id


def test_rename_only_on_purpose_and_logged(db: DbSession) -> None:
    c = f.caller(db, name="Aino")
    assert not callers.rename(db, c, " Aino ", STAFF)
    assert callers.rename(db, c, "Aino Virtanen", STAFF)
    db.commit()
    e = entries(db, object_type="caller")[0]
    assert (e.before, e.after) == ({"name": "Aino"}, {"name": "Aino Virtanen"})


def test_callback_done_keeps_the_note_once(db: DbSession) -> None:
    c = f.caller(db)
    req = CallbackRequest(caller_id=c.id, created_at=utcnow(), lang="sv", topic="main_menu")
    db.add(req)
    db.commit()
    assert worklists.callbacks(db) == [req]
    assert worklists.callback_done(db, req, " Soitettu, asia selvä ", STAFF, utcnow())
    assert not worklists.callback_done(db, req, "again", STAFF, utcnow())
    db.commit()
    assert worklists.callbacks(db) == [] and req.note == "Soitettu, asia selvä"
    assert "Soitettu" not in json.dumps(entries(db, action="callback.done")[0].after)


@pytest.fixture
def closed(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Monday 19:00 in Helsinki: nobody in the office."""
    monkeypatch.setattr("voice.calls.utcnow", lambda: to_utc(datetime(2026, 11, 30, 19, 0)))


def test_a_call_back_request_knows_the_item_it_was_about(app: Flask, db: DbSession,
                                                         make_phone: MakePhone,
                                                         closed: None) -> None:
    ev = f.event(db, title="Runotuokio")
    s = f.session(db, ev, starts_in=timedelta(days=2), now=to_utc(datetime(2026, 11, 30, 12, 0)))
    f.caller(db, "+358401234567", language="sv", city_slug=None)
    db.commit()
    phone: Phone = make_phone("+358401234567")
    phone.call()
    t = phone.press("1")
    assert "Runotuokio" in t.text, t.text  # one group: the walk starts at its first item
    phone.press("0")
    phone.press("1")
    db.rollback()
    req = db.scalars(select(CallbackRequest)).one()
    assert (req.lang, req.topic, req.session_id) == ("sv", "item", s.id)
