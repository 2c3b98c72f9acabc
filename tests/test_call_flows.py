"""The foundation's call rules (DESIGN.md section 3), driven through the real webhooks."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import CallbackRequest, Caller, CallLog, MenuVisit, SessionStatus
from catalogue.timeutil import to_utc
from ivr_flows import engine
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of
from voice.simulator import Turn

MONDAY_10 = to_utc(datetime(2026, 11, 30, 10, 0))  # office open (Helsinki time)
MONDAY_19 = to_utc(datetime(2026, 11, 30, 19, 0))  # office closed


def gather_ok(turn: Turn) -> None:
    """The turn waits for the caller (no hang-up) at least 6 seconds, and silence is handled."""
    assert turn.status == 200
    assert not turn.hangs_up
    g = turn.gather
    assert g is not None, turn.body
    assert int(g.get("timeout", "0")) >= 6
    assert "dtmf" in g.get("input", "")
    assert turn.verbs()[-1] == "Redirect"


@pytest.fixture
def known(db: DbSession) -> None:
    f.caller(db, "+358912345678", language="fi", name="Aino")
    db.commit()


@pytest.fixture
def week(db: DbSession) -> None:
    """Three phone events, one Helsinki event, one Turku event."""
    prov = f.provider(db, "Tampereen Teatteri")
    f.session(db, f.event(db, title="Runotuokio", prov=prov, code="101"), starts_in=timedelta(hours=5))
    f.session(db, f.event(db, title="Laulamme yhdessä", prov=prov, code="102"), starts_in=timedelta(days=1))
    f.session(db, f.event(db, title="Museokierros", prov=prov, code="103"), starts_in=timedelta(days=2))
    f.session(db, f.event(db, title="Konsertti Helsingissä", city_slug="helsinki", prov=prov,
                          code="104", venue="Musiikkitalo", address="Mannerheimintie 13"),
              starts_in=timedelta(days=3))
    f.session(db, f.event(db, title="Turun tanssit", city_slug="turku", prov=prov, code="105"),
              starts_in=timedelta(days=1, hours=2))
    db.commit()


def test_first_call_chooses_language_and_it_is_remembered(phone: Phone, make_phone: MakePhone,
                                                          db: DbSession) -> None:
    t = phone.call()
    gather_ok(t)
    assert "Suomeksi, paina yksi" in t.text and "tryck två" in t.text and "press three" in t.text
    t = phone.press("2")
    gather_ok(t)
    assert t.text.startswith("Välkommen")
    assert gather_of(t).get("language") == "sv-SE"
    caller = db.scalars(select(Caller)).one()
    assert caller.language == "sv"
    again = make_phone("+358912345678").call()
    assert "Huvudmeny" in again.text and "tryck två" not in again.text.split("Huvudmeny")[0]


def test_a_retried_first_webhook_starts_over_on_the_same_record(phone: Phone,
                                                               db: DbSession) -> None:
    """Twilio posts the first webhook again when our answer was late: the same CallSid gets the
    same record, back at the start (the language menu), not a second record or an apology."""
    phone.call()
    phone.press("2")  # Swedish: the state has moved on
    again = phone.call()
    gather_ok(again)
    assert "Välkommen" in again.text or "Huvudmeny" in again.text
    assert db.scalar(select(func.count()).select_from(CallLog)) == 1
    gather_ok(phone.press("1"))


def test_landline_area_code_suggests_home_city(make_phone: MakePhone, db: DbSession) -> None:
    make_phone("+35814123456").call()
    make_phone("+358401234567").call()
    by_phone = {c.phone: c.city for c in db.scalars(select(Caller))}
    home = by_phone["+35814123456"]
    assert home is not None and home.slug == "jyvaskyla"
    assert by_phone["+358401234567"] is None


def test_known_caller_is_greeted_by_name_and_main_menu_is_final_shape(phone: Phone, known: None) -> None:
    t = phone.call()
    gather_ok(t)
    assert t.text.startswith("Hei Aino")
    for sentence in ("ohjelman, paina yksi", "nyt, paina kaksi", "ilmoittautumisesi, paina kolme",
                     "koodin, paina neljä", "paina nolla"):
        assert sentence in t.text
    assert gather_of(t).get("numDigits") == "1"
    hints = gather_of(t).get("hints", "")
    assert "ohjelma" in hints and "ilmoittaudu" not in hints


def test_every_menu_has_at_most_four_choices_and_says_the_choice_before_the_key(app: Flask,
                                                                                db: DbSession) -> None:
    from ivr_flows import prompts

    from ivr_flows.office_hours import OfficeHours

    settings = engine.Settings(staff_number=None, office_hours=OfficeHours.parse("mon-fri 09:00-15:00"))
    ctx = engine.Ctx(db=db, settings=settings, now=MONDAY_10,
                     state={"lang": "fi", "data": {}, "caller_id": None, "city": None})
    menus = [n for n in engine._NODES.values() if isinstance(n, engine.Menu)]
    assert len(menus) >= 2
    for menu in menus:
        options = menu.options(ctx)
        choices = [o for o in options if o.key != engine.MAIN_MENU]
        assert options and len(choices) <= 4, menu.name
        assert {o.key for o in choices} <= {"1", "2", "3", "4"}, menu.name
        # 9 is said only as the shared way back (outside the four), never for something else.
        assert all(o.words == "main_menu" for o in options if o.key == engine.MAIN_MENU), menu.name
        for lang in prompts.LANGUAGES:
            digits = prompts.raw(lang, "words.digits")
            for o in options:
                sentence = prompts.text(lang, o.prompt)
                # the choice first, the key last, as a word: "To hear this week's programme,
                # press one."
                key = digits[int(o.key)]
                assert re.search(rf"(paina|tryck|press) {key}\.$", sentence), (lang, sentence)
                assert prompts.words(lang, o.words)


def test_menus_have_at_most_four_choices_through_the_webhooks(phone: Phone, known: None, week: None) -> None:
    for turn in (phone.call(), phone.press("1")):
        keys = set(re.findall(r"paina (\d)", turn.text))
        assert keys <= {"0", "1", "2", "3", "4"}
        assert len(keys - {"0"}) <= 4


def test_programme_walk_in_time_order_with_city_filter(phone: Phone, known: None, week: None) -> None:
    phone.call()
    t = phone.press("1")
    gather_ok(t)
    assert "neljä tapahtumaa" in t.text  # three phone events + the caller's own city
    t = phone.press("4")  # everything
    titles = []
    for _ in range(4):
        title = re.search(r"(Runotuokio|Laulamme yhdessä|Museokierros|Konsertti Helsingissä)", t.text)
        assert title is not None, t.text
        titles.append(title.group(1))
        t = phone.press("3")
    assert titles == ["Runotuokio", "Laulamme yhdessä", "Museokierros", "Konsertti Helsingissä"]
    assert "Ohjelma loppui" in t.text
    assert "Turun tanssit" not in " ".join(titles)
    gather_ok(t)


def test_item_says_day_time_title_provider_how_and_length_in_words(phone: Phone, known: None,
                                                                   week: None) -> None:
    phone.call()
    phone.press("1")
    t = phone.press("4")
    assert "Runotuokio" in t.text and "Osallistut puhelimella" in t.text
    when = t.said[0]
    assert "kello" in when and not re.search(r"\d", when), when
    assert t.find("Gather/Pause") is not None  # a pause before the date and time
    assert "Jos haluat kuulla lisää, paina yksi" in t.text
    more = phone.press("1")  # the organiser and the length come with "more"
    assert "Tampereen Teatteri" in more.text and "Kesto tunti" in more.text


def test_more_previous_and_star_repeat(phone: Phone, known: None, week: None) -> None:
    phone.call()
    phone.press("1")
    first = phone.press("4")
    t = phone.press("4")
    assert "ensimmäinen" in t.text
    t = phone.press("1")
    assert "Pitkä kuvaus." in t.text and "Jos haluat ilmoittautua, paina kaksi" in t.text
    again = phone.press("*")
    assert again.said == t.said
    phone.press("3")
    back = phone.press("4")
    # The same item; its day is said only when the item heard before is on another day.
    assert back.said[1:] == first.said[1:]
    assert back.said[0] == first.said[0] or first.said[0].endswith(back.said[0])


def test_speech_works_like_keys(phone: Phone, known: None, week: None) -> None:
    phone.call()
    t = phone.say("ohjelma kiitos")
    assert "neljä tapahtumaa" in t.text
    t = phone.say("kaikki")
    assert "Runotuokio" in t.text
    t = phone.say("seuraava")
    assert "Laulamme yhdessä" in t.text
    t = phone.say("toista")
    assert "Laulamme yhdessä" in t.text


def test_silence_reprompts_simpler_then_helps_and_never_hangs_up(phone: Phone, known: None) -> None:
    full = phone.call()
    first = phone.silence()
    gather_ok(first)
    # Issue 10: the first reprompt is only the choices (no error line, no greeting again).
    assert first.text.startswith("Jos haluat kuulla tämän viikon ohjelman, paina yksi.")
    assert "Hei Aino" not in first.text and "Päävalikko." not in first.text
    assert len(first.text.split()) < len(full.text.split())
    second = phone.silence()
    gather_ok(second)
    assert second.text.startswith("Paina numeroa tai sano valinta ääneen.")  # how to answer
    assert "Nollalla puhut ihmisen kanssa" in second.text and second.text.endswith(first.text)
    for _ in range(5):
        gather_ok(phone.silence())
    assert len(full.text) > len("Päävalikko.")


def test_counters_reset_on_a_new_menu(phone: Phone, known: None, week: None) -> None:
    phone.call()
    phone.silence()
    t = phone.press("1")
    t = phone.silence()
    assert "Nollalla puhut" not in t.text  # first failure in this menu
    assert "Jos haluat kuulla kaikki, paina neljä" in t.text  # the choices again


def test_bad_key_gets_the_choices_then_help(phone: Phone, known: None) -> None:
    """Issue 10: a wrong key first hears the choices again, then how to answer and the choices."""
    phone.call()
    t = phone.press("7")
    gather_ok(t)
    assert t.text.startswith("Jos haluat kuulla tämän viikon ohjelman, paina yksi.")
    t = phone.press("#")
    assert t.text.startswith("Paina numeroa tai sano valinta ääneen.")
    assert "Jos haluat kuulla tämän viikon ohjelman, paina yksi." in t.text
    gather_ok(t)


def test_event_code_known_unknown_and_spoken(phone: Phone, known: None, week: None) -> None:
    phone.call()
    t = phone.press("4")
    gather_ok(t)
    assert gather_of(t).get("finishOnKey") == "#" and gather_of(t).get("numDigits") is None
    t = phone.press("999")
    gather_ok(t)
    assert "Koodilla yhdeksän, yhdeksän, yhdeksän ei löytynyt" in t.text
    t = phone.press("102")
    assert "Laulamme yhdessä" in t.text
    phone.press("*")
    phone.press("0")  # 0 works inside the item too
    phone.call()
    phone.press("4")
    t = phone.say("yksi nolla kolme")
    assert "Museokierros" in t.text


def test_empty_programme_is_said_gracefully(phone: Phone, known: None) -> None:
    phone.call()
    t = phone.press("1")
    gather_ok(t)
    assert "Tällä viikolla ei ole ohjelmaa" in t.text and "Päävalikko" in t.text


def test_cancelled_session_is_announced_as_cancelled(phone: Phone, known: None, db: DbSession) -> None:
    s = f.session(db, f.event(db, title="Peruttu konsertti"), starts_in=timedelta(hours=3),
                  status=SessionStatus.CANCELLED)
    db.commit()
    phone.call()
    t = phone.press("1")
    assert "Peruttu konsertti" in t.text and "peruttu" in t.text.split("Peruttu konsertti")[1]
    assert s.id


def test_person_in_office_hours_transfers_then_returns(phone: Phone, known: None, db: DbSession,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice.calls.utcnow", lambda: MONDAY_10)
    phone.call()
    t = phone.press("0")
    assert t.dial is not None and t.dial.text == "+358901234567"
    assert "Yhdistän sinut" in t.text
    t = phone.dial_ended("completed")
    gather_ok(t)
    assert "Olet taas päävalikossa" in t.text
    phone.press("0")
    t = phone.dial_ended("no-answer")
    gather_ok(t)
    # Nobody answered: the caller is asked first (1 yes / 2 no); nothing is stored before a yes.
    assert "Kukaan ei vastannut" in t.text and "Soitammeko sinulle?" in t.text
    assert "paina yksi" in t.text and "paina kaksi" in t.text
    assert db.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    db.rollback()  # a fresh read after the webhook's write
    t = phone.press("1")
    assert "Soitamme sinulle" in t.text and "Päävalikko." in t.text
    assert db.scalar(select(func.count()).select_from(CallbackRequest)) == 1


def test_person_outside_office_hours_says_hours_and_calls_back(phone: Phone, known: None, db: DbSession,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice.calls.utcnow", lambda: MONDAY_19)
    phone.call()
    phone.press("1")
    t = phone.press("0")
    gather_ok(t)
    assert "maanantaista perjantaihin kello yhdeksästä viiteentoista" in t.text
    assert "Soitammeko sinulle?" in t.text
    assert db.scalar(select(func.count()).select_from(CallbackRequest)) == 0  # asked first
    db.rollback()  # a fresh read after the webhook's write
    t = phone.press("1")
    gather_ok(t)
    assert "Soitamme sinulle huomenna" in t.text  # Monday evening: Tuesday's hours
    assert db.scalar(select(func.count()).select_from(CallbackRequest)) == 1


def test_unsigned_or_badly_signed_requests_get_403(phone: Phone, client: FlaskClient, app: Flask) -> None:
    phone.sign = False
    assert phone.call().status == 403
    phone.sign = True
    resp = client.post("/voice/incoming", data={"CallSid": "CA1"},
                       headers={"X-Twilio-Signature": "bad"}, base_url="https://phone.example.test")
    assert resp.status_code == 403
    app.config["TWILIO_SKIP_SIGNATURE"] = True
    phone.sign = False
    assert phone.call().status == 200


def test_signature_checked_against_forwarded_host(app: Flask, client: FlaskClient) -> None:
    from twilio.request_validator import RequestValidator

    app.config["PUBLIC_BASE_URL"] = ""
    form = {"CallSid": "CA2", "From": "+358912345678", "To": "+358942000000"}
    url = "https://proxy.example.fi/voice/incoming"
    sig = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    resp = client.post("/voice/incoming", data=form, headers={
        "X-Twilio-Signature": sig, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example.fi"})
    assert resp.status_code == 200


def test_an_exception_in_a_flow_becomes_a_spoken_apology(phone: Phone, known: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    phone.call()

    def boom(self: object, ctx: object) -> NoReturn:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(type(engine.get_node("programme")), "enter", boom)
    t = phone.press("1")
    assert t.status == 200
    assert "jokin meni vikaan" in t.text and "paina nolla" in t.text
    assert t.gather is not None and not t.hangs_up
    t = phone.press("9")  # back to the main menu (any key but 0 does)
    assert t.verbs() == ["Redirect"]
    t = phone.silence()
    assert "Päävalikko" in t.text


def test_fallback_apologises_and_offers_a_person(phone: Phone) -> None:
    t = phone.post("/voice/fallback")
    assert "vika" in t.text and t.gather is not None
    t = phone.press("0")
    assert t.dial is not None


def test_status_callback_closes_the_call_log_and_logs_menus(phone: Phone, known: None, db: DbSession) -> None:
    phone.call()
    phone.press("1")
    phone.hang_up(duration=42)
    call = db.scalars(select(CallLog)).one()
    assert call.status == "completed" and call.duration_seconds == 42 and call.ended_at
    nodes = set(db.scalars(select(MenuVisit.node)))
    assert {"main_menu", "programme"} <= nodes


def test_no_phone_number_in_call_log_state(phone: Phone, known: None, db: DbSession) -> None:
    phone.call()
    phone.press("1")
    call = db.scalars(select(CallLog)).one()
    assert "358" not in str(call.state)


@pytest.mark.parametrize("lang,key,expect", [("sv", "2", "Huvudmeny"), ("en", "3", "Main menu")])
def test_other_languages_walk_the_programme(make_phone: MakePhone, week: None, lang: str, key: str,
                                            expect: str) -> None:
    p = make_phone("+358501112233")
    p.call()
    t = p.press(key)
    assert expect in t.text
    t = p.press("1")
    assert ("program" in t.text.lower()) and "Runotuokio" in t.text
    assert not re.search(r"\d", t.said[1])


def test_recording_under_way_is_announced_as_on_now_with_its_window(phone: Phone, known: None,
                                                                    db: DbSession) -> None:
    from catalogue import listening
    from catalogue.models import SessionAudio, SessionKind

    rec = f.session(db, f.event(db, title="Äänikirjahetki"), starts_in=timedelta(days=-1),
                    minutes=6 * 24 * 60, kind=SessionKind.RECORDING, capacity=None)
    # Only a recording with approved audio is in the phone's programme (issue 9).
    name = "recordings/" + "d" * 32 + ".mp3"
    audio = listening.create_audio(db, rec, name, [name], 180, 60, SessionAudio.Source.UPLOAD)
    listening.review(db, audio, approve=True)
    db.commit()
    phone.call()
    t = phone.press("1")
    assert "Nyt käynnissä" in t.text and "Voit kuunnella sitä" in t.text and "asti" in t.text
    assert "Kesto" not in t.text
    assert "Jos haluat kuunnella, paina kaksi" in t.text and "Jos haluat ilmoittautua" not in t.text
    t = phone.silence()
    assert "Jos haluat kuunnella, paina kaksi" in t.text and "ilmoittaudu" not in t.text
    t = phone.press("2")  # 2 plays it: nobody registers for a recording
    assert t.root is not None
    assert [el.text for el in t.root.iter("Play")] == ["https://phone.example.test/audio/" + name]
