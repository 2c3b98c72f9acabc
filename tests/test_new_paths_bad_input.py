"""Silence and wrong keys on the paths this round added — the calls the service makes, the
take-part list, the hand menu and the recordings list — get the shared rules through the signed
webhooks: a simpler reprompt, help and a person after the second failure, never a hang-up."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as DbSession

from catalogue import registration
from catalogue.models import SessionKind
from tests import factories as f
from tests.outbound_support import answer, days_ahead, local, run, use_fake_twilio
from tests.phone import Phone, gather_of
from voice.simulator import Turn

HELP = "Paina numeroa tai sano valinta ääneen."  # the second failure: how to answer (issue 10)


def _twice_wrong_then_silent(phone: Phone, wrong: str) -> list[Turn]:
    """A wrong key, then silence twice (failures are counted per kind, as VoiceXML does): the
    answers to the wrong key and to the second silence. The first failures repeat only the
    choices (no error line); the second silence says briefly how to answer, then the choices."""
    turns = [phone.press(wrong), phone.silence()]
    first_silence = turns[1].text
    assert HELP not in first_silence and turns[0].text == first_silence
    turns[1] = phone.silence()
    for t in turns:
        gather_of(t)
        assert not t.hangs_up
    assert HELP not in turns[0].text
    assert turns[1].text.startswith(HELP) and turns[1].text.endswith(first_silence)
    return turns


def test_a_call_we_make_survives_silence_and_wrong_keys(app: Flask, client: FlaskClient,
                                                          db: DbSession) -> None:
    twilio = use_fake_twilio(app)
    day = days_ahead(3)
    s = f.session(db, f.event(db, title="Runotuokio"), starts_in=local(day, 14) - local(day, 0),
                  now=local(day, 0), kind=SessionKind.PHONE, capacity=10)
    caller = f.caller(db, "+358912345678")
    db.commit()
    registration.register(db, s.id, caller, now=local(day, 0) - timedelta(days=3))
    assert run(app, local(day - timedelta(days=1), 12, 5)).placed == 1
    phone, first = answer(client, twilio.calls[0])
    assert "Muistutus" in first.text
    wrong, _ = _twice_wrong_then_silent(phone, "7")
    assert "Jos tulet, paina yksi." in wrong.text and "Muistutus" not in wrong.text
    t = phone.press("*")  # repeats the call's message, not an error line
    assert t.text == first.text
    assert "Tervetuloa huomenna" in phone.press("1").text


def test_take_part_and_the_hand_menu_survive_silence_and_wrong_keys(phone: Phone,
                                                                      db: DbSession) -> None:
    s = f.session(db, f.event(db, title="Laulutuokio"), starts_in=timedelta(minutes=5))
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    assert s.kind == SessionKind.PHONE
    phone.call()
    listed = phone.press("2")
    assert "Laulutuokio" in listed.text
    wrong, _ = _twice_wrong_then_silent(phone, "7")  # 8 is "slower"
    assert wrong.text == "Osallistu yksi, seuraava kolme."
    phone.press("1")  # into the room
    menu = phone.star()
    assert "Jos haluat nostaa käden, paina yksi." in menu.text
    wrong, _ = _twice_wrong_then_silent(phone, "7")
    assert wrong.text.startswith("Jos haluat nostaa käden, paina yksi.")
    t = phone.press("9")  # the way back works in the hand menu too: out of the room
    assert t.text.startswith("Päävalikko.") and t.find("Dial") is None


def test_the_recordings_list_survives_silence(phone: Phone, db: DbSession) -> None:
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    phone.call()
    t = phone.press("2")  # nothing live, no recordings: said so, back in the main menu
    gather_of(t)
    assert "Nyt ei ole kuunneltavia tallenteita." in t.text and "Päävalikko" in t.text
    t = phone.silence()
    gather_of(t)
    assert t.text.startswith("Jos haluat kuulla tämän viikon ohjelman, paina yksi.")
    assert not t.hangs_up


def test_nine_in_a_call_we_make_leads_to_the_main_menu(app: Flask, client: FlaskClient,
                                                       db: DbSession) -> None:
    """The help in a call we make names 9 like everywhere: it leads to the main menu, and the
    place is untouched (neither coming nor cancelled)."""
    twilio = use_fake_twilio(app)
    day = days_ahead(3)
    s = f.session(db, f.event(db, title="Runotuokio"), starts_in=local(day, 14) - local(day, 0),
                  now=local(day, 0), kind=SessionKind.PHONE, capacity=10)
    caller = f.caller(db, "+358912345678")
    db.commit()
    registration.register(db, s.id, caller, now=local(day, 0) - timedelta(days=3))
    assert run(app, local(day - timedelta(days=1), 12, 5)).placed == 1
    phone, _ = answer(client, twilio.calls[0])
    t = phone.say("päävalikkoon")
    assert t.text.startswith("Päävalikko.") and "paina yksi" in t.text
    gather_of(t)
    db.rollback()
    assert db.get_one(type(s), s.id).confirmed_count == 1
