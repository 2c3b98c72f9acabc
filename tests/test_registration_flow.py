"""Registering by phone through the real webhooks (issue 3): every path and the bad inputs."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration as service
from catalogue.models import Caller, Registration, RegistrationStatus, Session, SessionKind, SessionStatus
from catalogue.timeutil import utcnow
from ivr_flows import speak
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of
from voice.simulator import Turn

AINO = "+358912345678"


def waits(turn: Turn) -> None:
    """The caller is never hung up on: the turn waits for keys, and silence is handled."""
    assert turn.status == 200, turn.body
    assert not turn.hangs_up
    assert int(gather_of(turn).get("timeout", "0")) >= 6
    assert turn.verbs()[-1] == "Redirect"


def registrations(db: DbSession) -> list[Registration]:
    db.rollback()
    db.expire_all()
    return list(db.scalars(select(Registration).order_by(Registration.id)))


def n_callers(db: DbSession) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Caller)) or 0


@pytest.fixture
def aino(db: DbSession) -> Caller:
    c = f.caller(db, AINO, language="fi", name="Aino")
    db.commit()
    return c


def make_session(db: DbSession, *, code: str = "101", title: str = "Runotuokio", capacity: int | None = 10,
                 city_slug: str | None = None, **fields: Any) -> Session:
    extra = {k: fields.pop(k) for k in ("venue", "address") if k in fields}
    ev = f.event(db, title=title, code=code, city_slug=city_slug, **extra)
    s = f.session(db, ev, capacity=capacity, starts_in=fields.pop("starts_in", timedelta(days=1)),
                  kind=fields.pop("kind", None), minutes=fields.pop("minutes", 60))
    for k, v in fields.items():
        setattr(s, k, v)
    db.commit()
    return s


def fill(db: DbSession, s: Session, n: int, start: int = 0) -> list[Caller]:
    people = [f.caller(db, f"+3584020{start + i:05d}", city_slug=None) for i in range(n)]
    db.commit()
    for p in people:
        service.register(db, s.id, p, now=utcnow())
    return people


def to_item(phone: Phone, code: str = "101") -> Turn:
    """Call, press 4, type the event code: the programme item."""
    phone.call()
    phone.press("4")
    return phone.press(f"{code}#")


def to_readback(phone: Phone, code: str = "101") -> Turn:
    to_item(phone, code)
    return phone.press("2")


# ---- register -----------------------------------------------------------------------------

def test_read_back_then_confirm_says_what_happens_next(phone: Phone, aino: Caller, db: DbSession) -> None:
    s = make_session(db)
    t = to_readback(phone)
    waits(t)
    assert "Ilmoittaudut tapahtumaan" in t.text
    assert "Runotuokio" in t.text and speak.when(s.starts_at, "fi") in t.text
    assert "Osallistut puhelimella" in t.text
    for choice in ("Jos haluat vahvistaa ilmoittautumisen, paina yksi", "Jos haluat palata, paina kaksi",
                   "Jos ilmoitat toisen ihmisen, paina kolme"):
        assert choice in t.text
    assert registrations(db) == []  # nothing until the spoken confirmation
    t = phone.press("1")
    waits(t)
    assert "Olet nyt ilmoittautunut" in t.text
    assert "Soitamme sinulle juuri ennen alkua" in t.text
    assert "Tapahtuman koodi on yksi, nolla, yksi" in t.text
    (r,) = registrations(db)
    assert (r.caller_id, r.status, r.registered_by_caller_id) == (aino.id, RegistrationStatus.CONFIRMED, None)
    assert db.get_one(Session, s.id).confirmed_count == 1
    # star repeats the confirmation
    assert "Olet nyt ilmoittautunut" in phone.press("*").text


def test_register_by_speech(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db)
    to_item(phone)
    t = phone.say("ilmoittaudu")
    assert "Ilmoittaudut tapahtumaan" in t.text
    t = phone.say("kyllä")
    assert "Olet nyt ilmoittautunut" in t.text
    assert len(registrations(db)) == 1


def test_in_person_confirmation_gives_place_and_address(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db, code="104", title="Konsertti", city_slug="helsinki", venue="Musiikkitalo",
                 address="Mannerheimintie 13")
    t = to_readback(phone, "104")
    assert "Paikan päällä: Musiikkitalo, Mannerheimintie kolmetoista, Helsinki" in t.text
    t = phone.press("1")
    assert "Olet nyt ilmoittautunut" in t.text
    assert "Paikka on Musiikkitalo, Mannerheimintie kolmetoista, Helsinki" in t.text
    assert "Soitamme" not in t.text


def test_wrong_keys_and_silence_on_the_read_back_never_register_nor_hang_up(phone: Phone, aino: Caller,
                                                                            db: DbSession) -> None:
    make_session(db)
    to_readback(phone)
    t = phone.press("7")
    waits(t)
    assert t.text == "Vahvista yksi, takaisin kaksi."  # the choices again, no error line
    t = phone.silence()
    waits(t)
    assert t.text == "Vahvista yksi, takaisin kaksi."
    t = phone.silence()
    waits(t)
    # second failure: how to answer, a person, the way back, then the choices
    assert t.text.startswith("Paina numeroa tai sano valinta ääneen.")
    assert "Nollalla puhut ihmisen kanssa" in t.text and t.text.endswith("Vahvista yksi, takaisin kaksi.")
    assert registrations(db) == []
    assert "Olet nyt ilmoittautunut" in phone.press("1").text
    assert len(registrations(db)) == 1


def test_back_returns_to_the_item_without_registering(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db)
    to_readback(phone)
    t = phone.press("2")
    waits(t)
    assert "Runotuokio" in t.text and "Jos haluat ilmoittautua, paina kaksi" in t.text
    assert registrations(db) == []


def test_full_session_offers_the_waiting_list_with_position(phone: Phone, aino: Caller,
                                                            db: DbSession) -> None:
    s = make_session(db, capacity=2)
    fill(db, s, 3)  # two places taken, one already waiting
    t = to_readback(phone)
    assert "Kaikki paikat on varattu" in t.text and "Olisit toisena varasijalla" in t.text
    assert "Jos haluat varasijalle, paina yksi" in t.text
    t = phone.press("1")
    waits(t)
    assert "varasijalla" in t.text and "Olet toisena varasijalla" in t.text
    mine = [r for r in registrations(db) if r.caller_id == aino.id]
    assert [r.status for r in mine] == [RegistrationStatus.WAITING]
    assert db.get_one(Session, s.id).confirmed_count == 2


def test_place_taken_between_read_back_and_confirm_gives_waiting_list(phone: Phone, aino: Caller,
                                                                      db: DbSession) -> None:
    s = make_session(db, capacity=1)
    to_readback(phone)
    fill(db, s, 1)  # someone else took the last place meanwhile
    t = phone.press("1")
    assert "Olet ensimmäisenä varasijalla" in t.text
    assert db.get_one(Session, s.id).confirmed_count == 1


def test_closed_window(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db, registration_closes_at=utcnow() - timedelta(minutes=5))
    t = to_readback(phone)
    waits(t)
    assert "Ilmoittautuminen tähän tapahtumaan on jo päättynyt" in t.text
    assert "Vahvista" not in t.text
    assert registrations(db) == []


def test_window_not_open_yet_says_when_it_opens(phone: Phone, aino: Caller, db: DbSession) -> None:
    opens = utcnow().replace(second=0, microsecond=0) + timedelta(hours=5)
    make_session(db, registration_opens_at=opens, starts_in=timedelta(days=2))
    t = to_readback(phone)
    waits(t)
    assert "ei ole vielä alkanut" in t.text
    assert f"Se alkaa {speak.when(opens, 'fi')}" in t.text
    assert registrations(db) == []


def test_cancelled_session_cannot_be_registered_for(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db, status=SessionStatus.CANCELLED)
    t = to_readback(phone)
    waits(t)
    # The item says it is cancelled and offers no 2 at all (register only where it exists);
    # 2 is then a choice that is not there: the choices again, nothing written.
    assert "ilmoittaudu" not in t.text.lower() and "paina kaksi" not in t.text
    assert registrations(db) == []


def test_already_registered_hears_so_and_nothing_is_doubled(phone: Phone, make_phone: MakePhone, aino: Caller,
                                                            db: DbSession) -> None:
    s = make_session(db, capacity=1)
    service.register(db, s.id, aino, now=utcnow())
    t = to_readback(phone)
    waits(t)
    assert "Olet jo ilmoittautunut tähän tapahtumaan" in t.text
    assert "Soitamme sinulle" in t.text
    assert len(registrations(db)) == 1
    # already on the waiting list
    other = f.caller(db, "+358401234567", language="fi")
    db.commit()
    service.register(db, s.id, other, now=utcnow())
    t = to_readback(make_phone("+358401234567"))
    assert "Olet jo varasijalla" in t.text and "Olet ensimmäisenä varasijalla" in t.text
    assert len(registrations(db)) == 2


def test_recording_needs_no_registration(phone: Phone, aino: Caller, db: DbSession) -> None:
    from catalogue import listening
    from catalogue.models import SessionAudio

    rec = make_session(db, kind=SessionKind.RECORDING, capacity=None,
                       starts_in=timedelta(hours=-1), minutes=7 * 24 * 60)
    name = "recordings/" + "e" * 32 + ".mp3"
    audio = listening.create_audio(db, db.merge(rec), name, [name], 180, 60,
                                   SessionAudio.Source.UPLOAD)
    listening.review(db, audio, approve=True)
    db.commit()
    t = to_item(phone, "101")  # its code goes straight to the player: nobody registers
    waits(t)
    assert t.root is not None
    assert [el.text for el in t.root.iter("Play")] == [
        "https://phone.example.test/audio/" + name]
    assert registrations(db) == []


def test_hang_up_before_confirming_leaves_nothing(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db)
    to_readback(phone)
    phone.press("3")
    phone.press("0401234567#")  # someone else's number, read back, not yet confirmed
    before = n_callers(db)
    phone.hang_up()
    assert registrations(db) == []
    assert n_callers(db) == before  # the typed person was not created either


def test_after_registering_next_event_and_main_menu(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db, code="101", title="Runotuokio", starts_in=timedelta(hours=5))
    make_session(db, code="102", title="Laulamme", starts_in=timedelta(days=1))
    phone.call()
    phone.press("1")  # the programme: first item
    phone.press("2")
    t = phone.press("1")
    assert "Jos haluat kuulla seuraavan tapahtuman, paina kolme" in t.text and "Jos haluat päävalikkoon, paina yhdeksän" in t.text
    t = phone.press("3")
    assert "Laulamme" in t.text
    phone.press("2")
    t = phone.press("1")
    assert "paina kolme" not in t.text  # the last event: only the way back is offered
    t = phone.press("9")
    assert "Päävalikko" in t.text


def test_swedish_and_english_callers(make_phone: MakePhone, db: DbSession) -> None:
    make_session(db)
    f.caller(db, "+358401234567", language="sv")
    f.caller(db, "+358501112233", language="en")
    db.commit()
    greta = make_phone("+358401234567")
    t = to_readback(greta)
    assert "Du anmäler dig till" in t.text and "Om du vill bekräfta anmälan, tryck ett" in t.text
    t = greta.press("1")
    assert "Nu är du anmäld" in t.text and "Evenemangets kod är ett, noll, ett" in t.text
    guest = make_phone("+358501112233")
    t = to_readback(guest)
    assert "Registering for:" in t.text and "By phone, from home." in t.text and "To confirm, press one." in t.text
    t = guest.press("1")
    assert "You are registered" in t.text and "We will call you just before it starts" in t.text
    assert "The event code is one, zero, one" in t.text
    assert len(registrations(db)) == 2


# ---- someone else, withheld numbers -------------------------------------------------------

def test_someone_else_is_registered_under_their_own_number(phone: Phone, make_phone: MakePhone, aino: Caller,
                                                           db: DbSession) -> None:
    s = make_session(db)
    to_readback(phone)
    t = phone.press("3")
    waits(t)
    assert "Näppäile hänen puhelinnumeronsa" in t.text
    assert gather_of(t).get("finishOnKey") == "#"
    t = phone.press("0401234567#")
    assert "Näppäilit numeron: nolla, neljä, nolla, yksi, kaksi, kolme, neljä, viisi, kuusi, seitsemän" in t.text
    assert "Jos numero on oikein, paina yksi" in t.text and "uudelleen, paina kaksi" in t.text
    t = phone.press("1")
    assert "Ilmoitat toisen ihmisen tapahtumaan" in t.text and "Runotuokio" in t.text
    assert "Jos ilmoitat toisen ihmisen" not in t.text
    assert registrations(db) == []
    t = phone.press("1")
    waits(t)
    assert "Hän on nyt ilmoittautunut" in t.text and "Soitamme hänelle" in t.text
    (r,) = registrations(db)
    mother = db.scalars(select(Caller).where(Caller.phone == "+358401234567")).one()
    assert r.caller_id == mother.id and r.registered_by_caller_id == aino.id
    assert db.get_one(Session, s.id).confirmed_count == 1
    # she hears it under "my registrations" when calling from that number
    mum = make_phone("+358401234567")
    mum.call()
    mum.press("1")  # first call: Finnish
    t = mum.press("3")
    assert "Sinulla on yksi ilmoittautuminen" in t.text and "Runotuokio" in t.text


def test_someone_else_invalid_number_is_explained_and_asked_again(phone: Phone, aino: Caller,
                                                                  db: DbSession) -> None:
    make_session(db)
    to_readback(phone)
    phone.press("3")
    t = phone.press("12345#")
    waits(t)
    assert "yksi, kaksi, kolme, neljä, viisi" in t.text
    assert "Tätä numeroa emme voi käyttää" in t.text
    assert gather_of(t).get("finishOnKey") == "#"
    t = phone.press("#")  # nothing typed
    waits(t)
    assert "Nollalla puhut ihmisen kanssa" in t.text  # second failure in the node: help
    t = phone.press("0401234567#")
    assert "Näppäilit numeron" in t.text
    t = phone.press("2")  # type again
    assert "Näppäile hänen puhelinnumeronsa" in t.text
    t = phone.press("0501112233#")
    assert "nolla, viisi, nolla, yksi, yksi, yksi, kaksi, kaksi, kolme, kolme" in t.text
    phone.press("1")
    phone.press("1")
    (r,) = registrations(db)
    assert db.get_one(Caller, r.caller_id).phone == "+358501112233"


def test_someone_else_already_registered(phone: Phone, aino: Caller, db: DbSession) -> None:
    s = make_session(db)
    mother = f.caller(db, "+358401234567")
    db.commit()
    service.register(db, s.id, mother, now=utcnow())
    to_readback(phone)
    phone.press("3")
    phone.press("0401234567#")
    t = phone.press("1")
    assert "Hän on jo ilmoittautunut tähän tapahtumaan" in t.text
    assert len(registrations(db)) == 1


def test_withheld_number_can_type_own_number(make_phone: MakePhone, db: DbSession) -> None:
    make_session(db)
    hidden = make_phone("anonymous")
    hidden.call()
    hidden.press("1")  # language
    hidden.press("4")
    hidden.press("101#")
    t = hidden.press("2")
    waits(t)
    assert "Puhelinnumerosi ei näy meille" in t.text
    assert "Jos haluat näppäillä numerosi, paina yksi" in t.text and "paina nolla" in t.text
    t = hidden.press("1")
    assert "Näppäile oma puhelinnumerosi" in t.text
    hidden.press("0401234567#")
    t = hidden.press("1")
    assert "Ilmoittaudut tapahtumaan" in t.text  # their own number: "you"
    t = hidden.press("1")
    assert "Olet nyt ilmoittautunut" in t.text and "Soitamme sinulle" in t.text
    (r,) = registrations(db)
    assert db.get_one(Caller, r.caller_id).phone == "+358401234567"
    assert r.registered_by_caller_id is None


def test_withheld_number_is_offered_a_person(make_phone: MakePhone, db: DbSession) -> None:
    make_session(db)
    hidden = make_phone("anonymous")
    hidden.call()
    hidden.press("1")
    hidden.press("4")
    hidden.press("101#")
    hidden.press("2")
    t = hidden.press("0")
    assert t.dial is not None or "Olemme paikalla" in t.text
    assert registrations(db) == []


def test_withheld_number_my_registrations(make_phone: MakePhone, db: DbSession) -> None:
    hidden = make_phone("anonymous")
    hidden.call()
    hidden.press("1")
    t = hidden.press("3")
    waits(t)
    assert "emme löydä ilmoittautumisiasi" in t.text and "Päävalikko" in t.text


# ---- my registrations ---------------------------------------------------------------------

def test_my_registrations_none_offers_the_programme(phone: Phone, aino: Caller, db: DbSession) -> None:
    make_session(db)
    phone.call()
    t = phone.press("3")
    waits(t)
    assert "Sinulla ei ole tulevia ilmoittautumisia" in t.text
    assert "Jos haluat kuulla tämän viikon ohjelman, paina yksi" in t.text
    t = phone.press("1")
    assert "Runotuokio" in t.text


def test_my_registrations_one_at_a_time(phone: Phone, aino: Caller, db: DbSession) -> None:
    first = make_session(db, code="101", title="Runotuokio", starts_in=timedelta(days=1))
    full = make_session(db, code="102", title="Laulamme", capacity=1, starts_in=timedelta(days=2))
    fill(db, full, 1)
    service.register(db, full.id, aino, now=utcnow())
    service.register(db, first.id, aino, now=utcnow())
    phone.call()
    t = phone.press("3")
    waits(t)
    assert "Sinulla on kaksi ilmoittautumista" in t.text
    assert "Runotuokio" in t.text and "Sinulla on paikka" in t.text and "Laulamme" not in t.text
    assert "Jos haluat perua ilmoittautumisen, paina yksi" in t.text and "Jos haluat kuulla seuraavan, paina kolme" in t.text
    t = phone.press("3")
    assert "Laulamme" in t.text and "Olet ensimmäisenä varasijalla" in t.text
    assert "Jos haluat pois varasijalta, paina yksi" in t.text and "Jos haluat päävalikkoon, paina yhdeksän" in t.text
    t = phone.press("9")  # the last one: the way back is offered, and says that was all
    waits(t)
    assert "Siinä olivat kaikki ilmoittautumisesi" in t.text and "Päävalikko" in t.text


def test_cancel_reads_back_can_keep_and_promotes_the_first_waiting(phone: Phone, aino: Caller,
                                                                   db: DbSession) -> None:
    s = make_session(db, capacity=1)
    service.register(db, s.id, aino, now=utcnow())
    eino, helmi = fill(db, s, 2)
    phone.call()
    phone.press("3")
    t = phone.press("1")
    waits(t)
    assert "Perut ilmoittautumisesi tapahtumaan" in t.text and "Runotuokio" in t.text
    assert "Jos haluat perua sen, paina yksi" in t.text and "Jos haluat pitää sen, paina kaksi" in t.text
    t = phone.press("2")
    assert "Ilmoittautumisesi on yhä voimassa" in t.text and "Runotuokio" in t.text
    assert registrations(db)[0].status == RegistrationStatus.CONFIRMED
    phone.press("1")
    t = phone.press("7")  # wrong key on the cancel confirmation: nothing happens
    assert t.text == "Jos haluat perua sen, paina yksi. Jos haluat pitää sen, paina kaksi."
    assert registrations(db)[0].status == RegistrationStatus.CONFIRMED
    t = phone.press("1")
    waits(t)
    assert "Ilmoittautumisesi on nyt peruttu" in t.text
    assert "Siinä olivat kaikki ilmoittautumisesi" in t.text
    by_caller = {r.caller_id: r for r in registrations(db)}
    assert by_caller[aino.id].status == RegistrationStatus.CANCELLED
    assert by_caller[eino.id].status == RegistrationStatus.CONFIRMED
    assert by_caller[eino.id].notify_pending == "promoted"
    assert by_caller[helmi.id].status == RegistrationStatus.WAITING
    assert db.get_one(Session, s.id).confirmed_count == 1


def test_leave_waiting_list_by_speech(phone: Phone, aino: Caller, db: DbSession) -> None:
    s = make_session(db, capacity=1)
    fill(db, s, 1)
    service.register(db, s.id, aino, now=utcnow())
    phone.call()
    phone.press("3")
    t = phone.say("peru")
    assert "Lähdet pois varasijalta" in t.text
    t = phone.say("kyllä")
    assert "Et ole enää varasijalla" in t.text
    mine = [r for r in registrations(db) if r.caller_id == aino.id]
    assert mine[0].status == RegistrationStatus.CANCELLED


def test_cancelled_session_is_told_in_my_registrations(phone: Phone, aino: Caller, db: DbSession) -> None:
    s = make_session(db)
    service.register(db, s.id, aino, now=utcnow())
    db.get_one(Session, s.id).status = SessionStatus.CANCELLED
    db.commit()
    phone.call()
    t = phone.press("3")
    assert "Huomaa: tämä tilaisuus on peruttu" in t.text
    assert "Jos haluat poistaa sen listaltasi, paina yksi" in t.text
