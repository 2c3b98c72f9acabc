"""Odd input on the phone (issue 11, finding 7): Unicode digits, CallSids that cannot be
Twilio's, and a CallSid reused by another number — each a spoken way on, never an apology loop
or another caller's data."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration as service
from catalogue.models import CallLog, Caller
from catalogue.timeutil import utcnow
from ivr_flows.matching import ascii_digits, typed_number
from tests import factories as f
from tests.phone import MakePhone, Phone

APOLOGY = "jokin meni vikaan"


def calls(db: DbSession) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(CallLog)) or 0


def test_ascii_digits_only() -> None:
    assert ascii_digits("0123456789") and not ascii_digits("")
    for odd in ("²", "٣", "1²", "１２", "12 ", "-1"):
        assert not ascii_digits(odd), odd
    assert typed_number("٣٣#", "", "fi") is None and typed_number("", "² kolme", "fi") == "3"


@pytest.mark.parametrize("keys", ["²", "٣", "²#", "1٣#", "\x00", "1" * 300])
def test_unicode_digits_are_a_wrong_key_not_an_apology(phone: Phone, db: DbSession,
                                                       keys: str) -> None:
    f.caller(db, "+358912345678", language="fi", name="Aino")  # straight to the main menu
    db.commit()
    t = phone.call()
    assert "Päävalikko" in t.text
    t = phone.press(keys)  # the main menu
    assert t.status == 200 and APOLOGY not in t.text and t.gather is not None, t.body
    phone.press("4")  # an event code
    t = phone.press(keys)
    assert t.status == 200 and APOLOGY not in t.text and t.gather is not None, t.body
    t = phone.say(keys)
    assert t.status == 200 and APOLOGY not in t.text and t.gather is not None, t.body


@pytest.mark.parametrize("sid", ["CA" + "a" * 63, "CA" + "0" * 31 + "\x00", "", "CA1",
                                 "CA" + "g" * 32, "x" * 5000])
def test_a_callsid_that_is_not_twilios_gets_an_apology_without_database_writes(
        client: FlaskClient, db: DbSession, phone: Phone, sid: str) -> None:
    phone.call_sid = sid
    for path in ("/voice/incoming", "/voice/provider/incoming", "/voice/turn?s=db",
                 "/voice/turn?event=timeout"):
        t = phone.post(path)
        assert t.status == 200 and APOLOGY in t.text, t.body
        assert t.gather is not None and not t.hangs_up and "paina nolla" in t.text
        t = phone.press("1")  # the apology's way on answers too
        assert t.status == 200 and not t.hangs_up
    assert phone.callback("/voice/status", {"CallSid": sid, "CallStatus": "completed"}) == 204
    assert phone.post("/voice/fallback").status == 200
    assert calls(db) == 0
    assert db.scalar(select(func.count()).select_from(Caller)) == 0


def test_a_callsid_reused_by_another_number_is_a_new_call(db: DbSession,
                                                          make_phone: MakePhone) -> None:
    aino = f.caller(db, "+358912345678", language="fi", name="Aino")
    f.caller(db, "+358401234567", language="fi", name="Eero")
    ev = f.event(db, title="Runotuokio", code="101")
    s = f.session(db, ev, capacity=10, starts_in=timedelta(days=1))
    db.commit()
    service.register(db, s.id, aino, now=utcnow())
    db.commit()
    first = make_phone(from_number="+358912345678")
    first.call()
    t = first.press("3")
    assert "Runotuokio" in t.text
    first_action = first.next_action

    other = make_phone(from_number="+358401234567")
    other.call_sid = first.call_sid
    t = other.call()
    assert "Runotuokio" not in t.text and t.gather is not None
    t = other.press("3")
    assert "Runotuokio" not in t.text and "Sinulla ei ole tulevia ilmoittautumisia" in t.text
    # Even the first caller's own turn URL (signed by Twilio) does not reach their place.
    other.next_action = first_action
    t = other.press("1")  # "1 cancel" in the first caller's registration
    assert "Peruaksesi" not in t.text and "Sinulla on paikka" not in t.text
    assert "Tämän viikon ohjelma" in t.text  # a new call: 1 in the main menu, the programme
    db.rollback()
    rows = db.scalars(select(CallLog).order_by(CallLog.id)).all()
    assert len(rows) == 2 and rows[0].caller_id == aino.id and rows[1].caller_id != aino.id
    assert rows[1].call_sid == first.call_sid and rows[0].call_sid.startswith(first.call_sid + "~")
    # Twilio retrying the first webhook of the same caller is still the same call.
    assert other.call().status == 200
    assert calls(db) == 2


def test_a_long_duration_in_a_status_callback_is_ignored(phone: Phone, db: DbSession) -> None:
    phone.call()
    for duration in ("²", "9" * 40, "\x00"):
        assert phone.callback("/voice/status", {"CallSid": phone.call_sid,
                                                 "CallStatus": "completed",
                                                 "CallDuration": duration}) == 204
    db.rollback()
    assert db.scalars(select(CallLog)).one().duration_seconds is None
