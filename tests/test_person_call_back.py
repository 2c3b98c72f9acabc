"""Issue 10 item 7: a person (0). Outside office hours every window of OFFICE_HOURS is said in
words, the caller is asked before a call-back is stored (1 yes, 2 no) and hears when to expect
it; a withheld number may type one; before a language is chosen, 0 answers in all three."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import CallbackRequest, Caller
from catalogue.timeutil import to_utc
from ivr_flows import prompts
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of

LANGS = ["fi", "sv", "en"]
NUMBERS = {"fi": "+358912345678", "sv": "+358912345679", "en": "+358912345670"}
MONDAY_19 = to_utc(datetime(2026, 11, 30, 19, 0))  # closed; open again on Tuesday
SATURDAY_13 = to_utc(datetime(2026, 12, 5, 13, 0))  # closed; open again on Monday
HOURS = "mon-fri 09:00-15:00; sat 10:00-12:00"
SAID = {
    "fi": "maanantaista perjantaihin kello yhdeksästä viiteentoista ja lauantaisin kello "
          "kymmenestä kahteentoista",
    "sv": "måndag till fredag klockan nio till femton och på lördagar klockan tio till tolv",
    "en": "Monday to Friday, nine a m to three p m and on Saturdays, ten a m to twelve noon",
}


@pytest.fixture
def closed(app: Flask, db: DbSession, monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["OFFICE_HOURS"] = HOURS
    monkeypatch.setattr("voice.calls.utcnow", lambda: MONDAY_19)
    for lang, number in NUMBERS.items():
        f.caller(db, number, language=lang)
    db.commit()


def requests(db: DbSession) -> list[CallbackRequest]:
    db.rollback()  # a fresh read after the webhooks' writes
    return list(db.scalars(select(CallbackRequest)))


@pytest.mark.parametrize("lang", LANGS)
def test_every_office_hours_part_is_said_in_words(make_phone: MakePhone, closed: None,
                                                  lang: str) -> None:
    phone = make_phone(NUMBERS[lang])
    phone.call()
    t = phone.press("0")
    gather_of(t)
    assert SAID[lang] in t.text, t.text
    assert not re.search(r"\d", t.text), t.text  # every number as words
    assert prompts.text(lang, "person.call_back") in t.text


@pytest.mark.parametrize("lang", LANGS)
def test_no_stores_nothing(make_phone: MakePhone, closed: None, db: DbSession, lang: str) -> None:
    phone = make_phone(NUMBERS[lang])
    phone.call()
    phone.press("0")
    t = phone.press("2")
    assert prompts.text(lang, "person.no_call_back") in t.text
    assert prompts.text(lang, "main.intro") in t.text  # back in the main menu
    gather_of(t)
    assert requests(db) == []


@pytest.mark.parametrize("lang", LANGS)
def test_yes_stores_a_call_back_and_says_when(make_phone: MakePhone, closed: None, db: DbSession,
                                              lang: str) -> None:
    phone = make_phone(NUMBERS[lang])
    phone.call()
    phone.press("0")
    assert requests(db) == []  # asked first
    t = phone.press("1")
    tomorrow = prompts.text(lang, "person.tomorrow")
    assert prompts.text(lang, "person.call_back_done", when=tomorrow) in t.text, t.text
    assert prompts.text(lang, "main.intro") in t.text
    (request,) = requests(db)
    assert db.get_one(Caller, request.caller_id).phone == NUMBERS[lang]
    assert request.done_at is None


def test_on_saturday_afternoon_the_call_back_is_on_monday(make_phone: MakePhone, closed: None,
                                                          db: DbSession,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice.calls.utcnow", lambda: SATURDAY_13)
    for lang, day in (("fi", "maanantaina"), ("sv", "på måndag"), ("en", "on Monday")):
        phone = make_phone(NUMBERS[lang])
        phone.call()
        phone.press("0")
        t = phone.press("1")
        assert prompts.text(lang, "person.call_back_done", when=day) in t.text, t.text
    assert len(requests(db)) == 3


def test_a_withheld_number_types_one_hears_it_confirms_and_it_is_stored(
        make_phone: MakePhone, closed: None, db: DbSession) -> None:
    phone = make_phone("anonymous")
    phone.call()
    phone.press("1")  # Finnish
    phone.press("0")
    t = phone.press("1")  # yes: but we cannot see the number
    assert prompts.text("fi", "someone_else.ask_own") in t.text
    assert gather_of(t).get("finishOnKey") == "#"
    assert requests(db) == []
    t = phone.press("0401234567#")
    assert ("nolla, neljä, nolla, yksi, kaksi, kolme, neljä, viisi, kuusi, seitsemän" in t.text
            and "Jos numero on oikein, paina yksi" in t.text), t.text
    t = phone.press("2")  # wrong: type it again
    assert prompts.text("fi", "someone_else.ask_own") in t.text
    phone.press("0501112233#")
    assert requests(db) == []  # nothing before the number is confirmed
    t = phone.press("1")
    assert prompts.text("fi", "person.call_back_done", when="huomenna") in t.text
    (request,) = requests(db)
    assert db.get_one(Caller, request.caller_id).phone == "+358501112233"


def test_a_withheld_number_that_is_no_number_is_explained_and_asked_again(
        make_phone: MakePhone, closed: None, db: DbSession) -> None:
    phone = make_phone("anonymous")
    phone.call()
    phone.press("3")  # English
    phone.press("0")
    phone.press("1")
    t = phone.press("123#")
    assert "We cannot use that number." in t.text and gather_of(t).get("finishOnKey") == "#"
    t = phone.press("9")  # the way back works while typing, too
    assert t.text.startswith("Main menu.")
    assert requests(db) == []


@pytest.mark.parametrize("open_now", [False, True])
def test_zero_in_the_language_menu_answers_in_all_three_languages(
        app: Flask, phone: Phone, db: DbSession, monkeypatch: pytest.MonkeyPatch,
        open_now: bool) -> None:
    """A first call, no language chosen yet: what 0 says is said in fi, sv and en, and the
    caller is back at the language choice (closed) or put through (open)."""
    monkeypatch.setattr("voice.calls.utcnow",
                        lambda: to_utc(datetime(2026, 11, 30, 10, 0)) if open_now else MONDAY_19)
    phone.call()
    t = phone.press("0")
    if open_now:
        assert t.dial is not None
        for lang in LANGS:
            assert prompts.text(lang, "person.connecting") in t.text, (lang, t.text)
        return
    for lang in LANGS:
        hours = {"fi": "maanantaista perjantaihin kello yhdeksästä viiteentoista",
                 "sv": "måndag till fredag klockan nio till femton",
                 "en": "Monday to Friday, nine a m to three p m"}[lang]
        assert prompts.text(lang, "person.closed", hours=hours) in t.text, (lang, t.text)
        assert prompts.text(lang, "language.option") in t.text  # back at the language choice
    gather_of(t)
    assert requests(db) == []
    assert db.scalar(select(func.count()).select_from(Caller).where(Caller.language.is_not(None))) == 0
    t = phone.press("2")  # the choice still works after it
    assert t.text.startswith("Välkommen")
