"""The calls the service makes, through the signed webhooks and a fake REST transport that
records every request (never the network): each kind answered, machines, busy and retries,
quiet hours, don't-call-me and the next-own-call preface."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration, schedule
from catalogue.models import Session
from catalogue.models import (CallKind, Caller, CallStatus, OutboundCall, Registration,
                              RegistrationStatus, SessionKind)
from tests import factories as f
from tests.fake_twilio import RecordingTwilio
from tests.outbound_support import (SERVICE_NUMBER, answer, days_ahead, ended, local, room_stub,
                                    run, use_fake_twilio)
from tests.phone import MakePhone, gather_of

DAY = days_ahead(3)  # the session's day; the day-before call is at 12:00 on DAY - 1
NOON_BEFORE = local(DAY - timedelta(days=1), 12, 5)


@pytest.fixture
def twilio(app: Flask) -> RecordingTwilio:
    return use_fake_twilio(app)


def _session(db: DbSession, *, hour: int = 14, capacity: int | None = 10,
             kind: SessionKind = SessionKind.PHONE, title: str = "Runotuokio") -> Session:
    ev = f.event(db, title=title, code=None)
    start = local(DAY, hour)
    return f.session(db, ev, starts_in=start - local(DAY, 0), now=local(DAY, 0), kind=kind,
                     capacity=capacity)


def _register(db: DbSession, session: Session, phone: str,
              at: datetime | None = None) -> registration.Result:
    caller = db.scalar(select(Caller).where(Caller.phone == phone)) or f.caller(db, phone)
    db.commit()
    return registration.register(db, session.id, caller, now=at or local(DAY, 0) - timedelta(days=3))


def _rows(db: DbSession) -> list[OutboundCall]:
    db.rollback()
    db.expire_all()
    return list(db.scalars(select(OutboundCall).order_by(OutboundCall.id)))


def test_day_before_call_still_coming(app: Flask, client: FlaskClient, db: DbSession,
                                      twilio: RecordingTwilio) -> None:
    s = _session(db)
    _register(db, s, "+358912345678")
    assert run(app, NOON_BEFORE - timedelta(hours=1)).placed == 0  # 11:05: not yet
    report = run(app, NOON_BEFORE)
    assert report.placed == 1
    sent = twilio.calls[0]
    assert sent.data["To"] == "+358912345678" and sent.data["From"] == SERVICE_NUMBER
    assert sent.data["MachineDetection"] == "Enable"
    assert "/voice/outbound?call=" in sent.data["Url"] and sent.data["StatusCallback"]
    phone, t = answer(client, sent)
    assert "Muistutus" in t.text and "Runotuokio" in t.text
    assert "Jos tulet, paina yksi." in t.text and "paina kolme" in t.text
    assert int(gather_of(t).get("timeout") or 0) >= 6
    t = phone.press("1")
    assert "Tervetuloa huomenna" in t.text and t.hangs_up
    ended(client, sent)
    assert [r.status for r in _rows(db)] == [CallStatus.HEARD]
    assert run(app, NOON_BEFORE + timedelta(minutes=1)).placed == 0  # exactly once


def test_cannot_come_cancels_and_the_promoted_person_is_called(app: Flask, client: FlaskClient,
                                                               db: DbSession,
                                                               twilio: RecordingTwilio) -> None:
    s = _session(db, capacity=1, kind=SessionKind.IN_PERSON)
    first = _register(db, s, "+358912345678")
    waiting = _register(db, s, "+358401234567")
    assert waiting.kind == registration.Kind.WAITING
    run(app, NOON_BEFORE)
    assert [c.data["To"] for c in twilio.calls] == ["+358912345678"]  # only a confirmed place
    phone, _ = answer(client, twilio.calls[0])
    t = phone.press("2")
    assert "Olet perumassa paikkasi" in t.text and "Jos haluat perua sen, paina yksi." in t.text
    t = phone.press("1")
    assert "Paikkasi on peruttu" in t.text and t.hangs_up
    db.rollback()
    db.expire_all()
    assert db.get_one(Registration, f.registered(first).id).status == RegistrationStatus.CANCELLED
    promoted = db.get_one(Registration, f.registered(waiting).id)
    assert promoted.status == RegistrationStatus.CONFIRMED and promoted.notify_pending == "promoted"
    run(app, NOON_BEFORE + timedelta(minutes=2))
    sent = twilio.calls[1]
    assert sent.data["To"] == "+358401234567"
    phone, t = answer(client, sent)
    assert "paikka vapautui" in t.text and "Jos haluat pitää paikan, paina yksi." in t.text
    t = phone.press("1")
    assert "Paikkasi säilyy" in t.text and t.hangs_up
    db.rollback()
    db.expire_all()
    assert db.get_one(Registration, f.registered(waiting).id).notify_pending is None


def test_promoted_can_give_the_place_up_after_a_read_back(app: Flask, client: FlaskClient,
                                                          db: DbSession,
                                                          twilio: RecordingTwilio) -> None:
    s = _session(db, capacity=1)
    first = _register(db, s, "+358912345678")
    waiting = _register(db, s, "+358401234567")
    third = _register(db, s, "+358401111111")
    registration.cancel(db, f.registered(first).id, now=NOON_BEFORE)
    run(app, NOON_BEFORE)
    promoted_call = next(c for c in twilio.calls if c.data["To"] == "+358401234567")
    phone, _ = answer(client, promoted_call)
    assert "Olet perumassa" in phone.press("2").text
    assert "Paikkasi on peruttu" in phone.press("1").text
    db.rollback()
    db.expire_all()
    assert db.get_one(Registration, f.registered(third).id).notify_pending == "promoted"
    assert db.get_one(Registration, f.registered(waiting).id).status == RegistrationStatus.CANCELLED


def test_starting_call_one_key_takes_part(app: Flask, client: FlaskClient, db: DbSession,
                                          twilio: RecordingTwilio) -> None:
    s = _session(db, hour=15)
    _register(db, s, "+358912345678")
    with room_stub() as stubbed:
        run(app, local(DAY, 14, 49))
        assert twilio.calls == []  # 11 minutes before: not yet
        run(app, local(DAY, 14, 50))
        assert len(twilio.calls) == 1
        row = _rows(db)[0]
        assert row.kind == CallKind.STARTING and row.due_at == local(DAY, 14, 50)
        phone, t = answer(client, twilio.calls[0])
        assert "alkaa muutaman minuutin päästä" in t.text
        assert "Jos haluat osallistua nyt, paina yksi." in t.text
        t = phone.press("1")
        assert t.status == 200 and "Pahoittelemme, jokin meni vikaan" not in t.text
        if stubbed:
            assert f"ROOM {s.id}" in t.text  # Goto("join_room", {"session_id": id})


def test_no_starting_calls_without_a_room(app: Flask, db: DbSession, twilio: RecordingTwilio,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr_flows import engine

    s = _session(db, hour=15)
    _register(db, s, "+358912345678")
    monkeypatch.setattr(engine, "has_node", lambda name: name != "join_room")
    assert run(app, local(DAY, 14, 55)).planned == 0 and twilio.calls == []


def test_staff_cancel_and_move_call_everyone_registered(app: Flask, client: FlaskClient,
                                                        db: DbSession,
                                                        twilio: RecordingTwilio) -> None:
    gone = _session(db, title="Lauluilta")
    moved = _session(db, hour=16, title="Museokierros")
    _register(db, gone, "+358912345678")
    _register(db, gone, "+358401234567")
    _register(db, moved, "+358401111111")
    schedule.cancel_session(db, gone)
    schedule.move_session(db, moved, new_start_local=datetime.combine(DAY, time(18, 0)),
                          minutes=60)
    db.commit()
    run(app, NOON_BEFORE - timedelta(hours=2))
    by_to = {c.data["To"]: c for c in twilio.calls}
    assert set(by_to) == {"+358912345678", "+358401234567", "+358401111111"}
    phone, t = answer(client, by_to["+358912345678"])
    assert "tilaisuus on peruttu" in t.text and "Lauluilta" in t.text
    assert "Pahoittelemme" in phone.press("1").text
    phone, t = answer(client, by_to["+358401111111"])
    assert "siirretty uuteen aikaan" in t.text and "kahdeksantoista" in t.text
    assert "Paikkasi säilyy" in t.text
    assert "Tervetuloa" in phone.press("1").text
    db.rollback()
    db.expire_all()
    pending = {(r.caller.phone if r.caller else None): r.notify_pending
               for r in db.scalars(select(Registration))}
    assert pending == {"+358912345678": None, "+358401234567": "cancelled", "+358401111111": None}


def test_answering_machine_gets_a_short_message_with_the_number(app: Flask, client: FlaskClient,
                                                                db: DbSession,
                                                                twilio: RecordingTwilio) -> None:
    s = _session(db)
    _register(db, s, "+358912345678")
    schedule.cancel_session(db, s)
    db.commit()
    run(app, NOON_BEFORE)
    sent = twilio.calls[0]
    _, t = answer(client, sent, answered_by="machine_end_beep")
    assert t.hangs_up and t.gather is None
    assert "Soita meille numeroon" in t.text and "nolla, yhdeksän, neljä, kaksi" in t.text
    ended(client, sent)
    assert _rows(db)[0].status == CallStatus.MACHINE
    assert db.scalars(select(Registration)).one().notify_pending == "cancelled"  # still to tell
    assert run(app, NOON_BEFORE + timedelta(hours=1)).placed == 0  # a machine is not retried


def test_busy_and_no_answer_retry_twice_then_staff(app: Flask, client: FlaskClient, db: DbSession,
                                                   twilio: RecordingTwilio,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    s = _session(db)
    _register(db, s, "+358912345678")
    at = NOON_BEFORE
    run(app, at)
    for n, status in enumerate(["busy", "no-answer", "failed"], start=1):
        assert len(twilio.calls) == n
        monkeypatch.setattr("voice.outbound_views.utcnow", lambda: at)  # the callback's clock
        ended(client, twilio.calls[-1], status)
        row = _rows(db)[0]
        if n < 3:
            assert row.status == CallStatus.DUE and row.due_at == at + timedelta(minutes=10)
            assert run(app, at + timedelta(minutes=9)).placed == 0  # ten minutes apart
            at += timedelta(minutes=10)
            assert run(app, at).placed == 1
    row = _rows(db)[0]
    assert row.status == CallStatus.STAFF and row.needs_staff and row.attempts == 3
    assert run(app, at + timedelta(hours=1)).placed == 0
    assert len(twilio.calls) == 3


def test_quiet_hours_nothing_at_21_placed_at_9(app: Flask, client: FlaskClient, db: DbSession,
                                               twilio: RecordingTwilio) -> None:
    s = _session(db, capacity=1)
    first = _register(db, s, "+358912345678")
    _register(db, s, "+358401234567")
    evening = local(DAY - timedelta(days=2), 21, 0)
    registration.cancel(db, f.registered(first).id, now=evening)
    assert run(app, evening).placed == 0 and twilio.calls == []
    assert run(app, local(DAY - timedelta(days=1), 8, 59)).placed == 0
    assert run(app, local(DAY - timedelta(days=1), 9, 0)).placed == 1
    assert twilio.calls[0].data["To"] == "+358401234567"


def test_dont_call_me(app: Flask, client: FlaskClient, db: DbSession,
                      twilio: RecordingTwilio) -> None:
    s = _session(db)
    _register(db, s, "+358912345678")
    other = _session(db, hour=17, title="Toinen")
    _register(db, other, "+358912345678")
    run(app, NOON_BEFORE, limit=1)
    phone, t = answer(client, twilio.calls[0])
    t = phone.press("3")
    assert "Pyysit, ettemme soita sinulle enää." in t.text and "Jos olet varma, paina yksi." in t.text
    assert "Muistutus" in phone.press("2").text  # back to the call's own question
    phone.press("3")
    t = phone.press("1")
    assert "Emme soita sinulle enää" in t.text and t.hangs_up
    db.rollback()
    db.expire_all()
    assert db.scalars(select(Caller)).one().no_calls is True
    schedule.cancel_session(db, other)
    db.commit()
    assert run(app, NOON_BEFORE + timedelta(minutes=5)).placed == 0
    assert len(twilio.calls) == 1


def test_next_own_call_says_the_news_first_and_no_call_is_placed(app: Flask, db: DbSession,
                                                                 make_phone: MakePhone,
                                                                 twilio: RecordingTwilio) -> None:
    s = _session(db, capacity=1)
    first = _register(db, s, "+358912345678")
    _register(db, s, "+358401234567")
    registration.cancel(db, f.registered(first).id, now=NOON_BEFORE)
    t = make_phone("+358401234567").call()
    head = t.text.split("Päävalikko")[0]
    assert "Hyviä uutisia: paikka vapautui" in head and "Runotuokio" in head
    assert "Päävalikko" in t.text
    run(app, NOON_BEFORE)
    assert CallKind.PROMOTED not in {r.kind for r in _rows(db)}  # told already: no call for it
    again = make_phone("+358401234567").call()
    assert "paikka vapautui" not in again.text  # told once
