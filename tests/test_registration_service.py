"""The registration rules (catalogue.registration), privacy purge and demo registrations."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration as reg
from catalogue.demo import load_demo
from catalogue.demo_registrations import load_demo_registrations
from catalogue.models import Caller, CallLog, Event, Registration, RegistrationStatus, Session, SessionStatus
from catalogue.privacy import purge
from catalogue.timeutil import utcnow
from tests import factories as f

Kind = reg.Kind


@pytest.fixture
def now() -> datetime:
    return utcnow().replace(microsecond=0)


def people(db: DbSession, n: int, start: int = 0) -> list[Caller]:
    found = [f.caller(db, f"+3584010{start + i:05d}", city_slug=None) for i in range(n)]
    db.commit()
    return found


def phone_session(db: DbSession, now: datetime, capacity: int | None = 2, **fields: object) -> Session:
    s = f.session(db, f.event(db, title="Runopiiri"), capacity=capacity, now=now)
    for k, v in fields.items():
        setattr(s, k, v)
    db.commit()
    return s


def rows(db: DbSession, session_id: int) -> list[Registration]:
    db.expire_all()
    return list(db.scalars(select(Registration).where(Registration.session_id == session_id)
                           .order_by(Registration.id)))


def count(db: DbSession, session_id: int) -> int:
    db.expire_all()
    return db.get_one(Session, session_id).confirmed_count


def test_places_then_waiting_list_with_positions(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=2)
    a, b, c, d = people(db, 4)
    results = [reg.register(db, s.id, p, now=now) for p in (a, b, c, d)]
    assert [r.kind for r in results] == [Kind.CONFIRMED, Kind.CONFIRMED, Kind.WAITING, Kind.WAITING]
    assert [r.position for r in results] == [None, None, 1, 2]
    assert count(db, s.id) == 2
    assert [r.status for r in rows(db, s.id)] == [RegistrationStatus.CONFIRMED] * 2 + [
        RegistrationStatus.WAITING] * 2


def test_no_capacity_means_no_limit(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=None)
    for p in people(db, 5):
        assert reg.register(db, s.id, p, now=now).kind == Kind.CONFIRMED
    assert count(db, s.id) == 5


def test_duplicate_is_refused_by_the_constraint_and_reported(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b = people(db, 2)
    reg.register(db, s.id, a, now=now)
    reg.register(db, s.id, b, now=now)
    again_a = reg.register(db, s.id, a, now=now)
    again_b = reg.register(db, s.id, b, now=now)
    assert again_a.kind == Kind.ALREADY_CONFIRMED and again_a.registered
    assert again_b.kind == Kind.ALREADY_WAITING and again_b.position == 1
    assert len(rows(db, s.id)) == 2 and count(db, s.id) == 1


def test_full_without_waiting_list_writes_nothing(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b = people(db, 2)
    reg.register(db, s.id, a, now=now)
    result = reg.register(db, s.id, b, now=now, waitlist=False)
    assert result.kind == Kind.FULL and not result.registered
    assert len(rows(db, s.id)) == 1


def test_window_not_open_closed_and_cancelled(db: DbSession, now: datetime) -> None:
    (a,) = people(db, 1)
    later = phone_session(db, now, registration_opens_at=now + timedelta(hours=2))
    closed = phone_session(db, now, registration_closes_at=now - timedelta(minutes=1))
    started = f.session(db, f.event(db), starts_in=timedelta(minutes=-5), now=now)
    cancelled = phone_session(db, now, status=SessionStatus.CANCELLED)
    db.commit()
    r = reg.register(db, later.id, a, now=now)
    assert r.kind == Kind.NOT_OPEN and r.opens_at == now + timedelta(hours=2)
    assert reg.register(db, closed.id, a, now=now).kind == Kind.CLOSED
    assert reg.register(db, started.id, a, now=now).kind == Kind.CLOSED  # default: closes at start
    assert reg.register(db, cancelled.id, a, now=now).kind == Kind.CANCELLED
    assert reg.register(db, 999999, a, now=now).kind == Kind.NOT_FOUND
    assert db.scalar(select(func.count()).select_from(Registration)) == 0
    # once the window opens, the same caller gets in
    assert reg.register(db, later.id, a, now=now + timedelta(hours=3)).kind == Kind.CONFIRMED


def test_preview_writes_nothing_and_predicts(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b, c = people(db, 3)
    assert reg.preview(db, s.id, a, now=now).kind == Kind.CONFIRMED
    reg.register(db, s.id, a, now=now)
    assert reg.preview(db, s.id, a, now=now).kind == Kind.ALREADY_CONFIRMED
    assert reg.preview(db, s.id, b, now=now).kind == Kind.WAITING
    reg.register(db, s.id, b, now=now)
    p = reg.preview(db, s.id, c, now=now)
    assert (p.kind, p.position) == (Kind.WAITING, 2)
    assert reg.preview(db, s.id, None, now=now).kind == Kind.WAITING
    assert len(rows(db, s.id)) == 2
    reg.register(db, s.id, c, now=now)
    ids, session_id = [person.id for person in (a, b, c)], s.id
    db.expunge_all()  # read from the rows, as a new request would
    held = [reg.preview(db, session_id, person, now=now) for person in ids]
    assert [(p.kind, p.position) for p in held] == [
        (Kind.ALREADY_CONFIRMED, None), (Kind.ALREADY_WAITING, 1), (Kind.ALREADY_WAITING, 2)]
    assert held[2].registration is not None and held[2].registration.caller_id == ids[2]
    assert held[2].session is not None and held[2].session.confirmed_count == 1
    assert reg.preview(db, 999999, ids[0], now=now).kind == Kind.NOT_FOUND


def test_cancel_promotes_the_first_waiting_and_marks_it_to_be_told(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b, c = people(db, 3)
    first = f.registered(reg.register(db, s.id, a, now=now))
    reg.register(db, s.id, b, now=now + timedelta(seconds=1))
    reg.register(db, s.id, c, now=now + timedelta(seconds=2))
    done = reg.cancel(db, first.id, now=now)
    assert done.was == RegistrationStatus.CONFIRMED
    assert [p.caller_id for p in done.promoted] == [b.id]
    by_caller = {r.caller_id: r for r in rows(db, s.id)}
    assert by_caller[a.id].status == RegistrationStatus.CANCELLED and by_caller[a.id].active_key is None
    assert by_caller[b.id].status == RegistrationStatus.CONFIRMED
    assert by_caller[b.id].notify_pending == reg.PROMOTED
    assert reg.waiting_position(db, by_caller[c.id]) == 1
    assert count(db, s.id) == 1
    # cancelling again changes nothing; registering again after a cancel is allowed
    assert reg.cancel(db, first.id, now=now).promoted == []
    assert reg.register(db, s.id, a, now=now).kind == Kind.WAITING


def test_cancel_waiting_place_promotes_nobody(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b, c = people(db, 3)
    reg.register(db, s.id, a, now=now)
    w1 = f.registered(reg.register(db, s.id, b, now=now))
    w2 = f.registered(reg.register(db, s.id, c, now=now))
    done = reg.cancel(db, w1.id, now=now)
    assert done.was == RegistrationStatus.WAITING and done.promoted == []
    db.expire_all()
    assert reg.waiting_position(db, db.get_one(Registration, w2.id)) == 1
    assert count(db, s.id) == 1


def test_cancel_without_waiting_list_frees_the_place(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    a, b = people(db, 2)
    r = f.registered(reg.register(db, s.id, a, now=now))
    reg.cancel(db, r.id, now=now)
    assert count(db, s.id) == 0
    assert reg.register(db, s.id, b, now=now).kind == Kind.CONFIRMED


def test_promote_after_staff_raise_capacity(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=1)
    for p in people(db, 4):
        reg.register(db, s.id, p, now=now)
    db.get_one(Session, s.id).capacity = 3
    db.commit()
    promoted = reg.promote(db, s.id, now=now)
    assert len(promoted) == 2 and all(p.notify_pending == reg.PROMOTED for p in promoted)
    assert count(db, s.id) == 3
    statuses = [r.status for r in reg.list_for_session(db, s.id)]
    assert statuses == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITING]


def test_registered_by_someone_else_and_by_staff(db: DbSession, now: datetime) -> None:
    s = phone_session(db, now, capacity=5)
    relative, mother, friend = people(db, 3)
    r1 = f.registered(reg.register(db, s.id, mother, by_caller=relative, now=now))
    r2 = f.registered(reg.register(db, s.id, friend, by_staff=True, now=now))
    r3 = f.registered(reg.register(db, s.id, relative, by_caller=relative, now=now))
    assert (r1.caller_id, r1.registered_by_caller_id, r1.registered_by_staff) == (mother.id, relative.id, False)
    assert r2.registered_by_staff is True and r2.registered_by_caller_id is None
    assert r3.registered_by_caller_id is None  # registering oneself is not "by someone else"


def test_upcoming_for_lists_active_places_in_time_order(db: DbSession, now: datetime) -> None:
    (a,) = people(db, 1)
    ev = f.event(db, title="Laulu")
    later = f.session(db, ev, starts_in=timedelta(days=3), now=now)
    sooner = f.session(db, ev, starts_in=timedelta(days=1), now=now)
    gone = f.session(db, ev, starts_in=timedelta(days=2), now=now)
    ended = f.session(db, ev, starts_in=timedelta(hours=-3), minutes=60, now=now)
    db.commit()
    for s in (later, sooner, gone):
        reg.register(db, s.id, a, now=now)
    db.add(Registration(session_id=ended.id, caller_id=a.id, status=RegistrationStatus.CONFIRMED,
                        active_key=1))
    db.commit()
    cancel_me = reg.active_registration(db, gone.id, a.id)
    assert cancel_me is not None
    reg.cancel(db, cancel_me.id, now=now)
    db.get_one(Session, later.id).status = SessionStatus.CANCELLED  # staff cancelled it: still told
    db.commit()
    assert [r.session_id for r in reg.upcoming_for(db, a, now)] == [sooner.id, later.id]


def test_purge_anonymises_old_registrations_and_removes_callers_left_with_nothing(
        db: DbSession, now: datetime, caplog: pytest.LogCaptureFixture) -> None:
    old = phone_session(db, now)
    old.starts_at, old.ends_at = now - timedelta(days=40), now - timedelta(days=40, minutes=-60)
    recent = phone_session(db, now)
    recent.starts_at, recent.ends_at = now - timedelta(days=3), now - timedelta(days=3, minutes=-60)
    db.commit()
    gone, caller_with_calls, recent_one = people(db, 3)
    for c in (gone, caller_with_calls, recent_one):
        c.created_at = now - timedelta(days=60)
    db.add(Registration(session_id=old.id, caller_id=gone.id, status=RegistrationStatus.CONFIRMED,
                        active_key=1, registered_by_caller_id=caller_with_calls.id, attended=True))
    db.add(Registration(session_id=old.id, caller_id=caller_with_calls.id,
                        status=RegistrationStatus.CONFIRMED, active_key=1))
    db.add(Registration(session_id=recent.id, caller_id=recent_one.id,
                        status=RegistrationStatus.CONFIRMED, active_key=1))
    db.add(CallLog(call_sid="CA-purge", caller_id=caller_with_calls.id))
    db.commit()
    with caplog.at_level(logging.DEBUG):
        report = purge(db, now=now, days=30)
        db.commit()
    assert (report.anonymised, report.callers_removed) == (2, 1)
    db.expire_all()
    old_rows = rows(db, old.id)
    assert all(r.caller_id is None and r.registered_by_caller_id is None for r in old_rows)
    assert any(r.attended for r in old_rows)  # figures stay
    assert rows(db, recent.id)[0].caller_id == recent_one.id
    phones = set(db.scalars(select(Caller.phone)))
    assert gone.phone not in phones and {caller_with_calls.phone, recent_one.phone} <= phones
    assert "+358" not in caplog.text and "4010" not in caplog.text
    assert purge(db, now=now, days=30) == type(report)(0, 0)  # rerun: nothing left to do


def test_purge_cli_command(app: Flask, db: DbSession, now: datetime) -> None:
    s = phone_session(db, now)
    s.starts_at, s.ends_at = now - timedelta(days=10), now - timedelta(days=10, minutes=-60)
    (a,) = people(db, 1)
    db.add(Registration(session_id=s.id, caller_id=a.id, status=RegistrationStatus.CONFIRMED,
                        active_key=1))
    db.commit()
    out = app.test_cli_runner().invoke(args=["registrations", "purge", "--days", "30"])
    assert out.exit_code == 0 and "0 registrations anonymised" in out.output
    out = app.test_cli_runner().invoke(args=["registrations", "purge", "--days", "7"])
    assert out.exit_code == 0 and "1 registrations anonymised" in out.output
    assert "+358" not in out.output


def test_demo_registrations_are_idempotent_and_fill_a_session_with_a_waiting_list(db: DbSession,
                                                                                  now: datetime) -> None:
    load_demo(db, now)
    first = load_demo_registrations(db, now)
    db.commit()
    assert first["registrations"] >= 5
    assert load_demo_registrations(db, now) == {"registrations": 0}
    db.commit()
    full = db.scalars(select(Session).join(Session.event).where(Event.code == "107",
                                                                Session.starts_at > now)
                      .order_by(Session.starts_at)).first()
    assert full is not None
    listed = reg.list_for_session(db, full.id)
    assert full.confirmed_count == full.capacity == 3
    assert [r.status for r in listed].count(RegistrationStatus.WAITING) == 2
    aino = db.scalars(select(Caller).where(Caller.phone == "+358912345678")).one()
    assert len(reg.upcoming_for(db, aino, now)) >= 2
