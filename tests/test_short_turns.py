"""Issue 10: short turns, a way back, `*` and simpler reprompts — every menu walked through the
signed webhooks in Finnish, Swedish and English, asserting on what is said and offered."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from catalogue import registration as service
from catalogue.timeutil import utcnow
from ivr_flows import prompts
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of
from voice.simulator import Turn

LANGS = ["fi", "sv", "en"]
CHOICE = {"fi": r"\bpaina (?:yksi|kaksi|kolme|neljä|nolla|yhdeksän)\b",
          "sv": r"\btryck (?:ett|två|tre|fyra|noll|nio)\b",
          "en": r"\bpress (?:one|two|three|four|zero|nine)\b"}
MAIN = {"fi": "Päävalikko.", "sv": "Huvudmeny.", "en": "Main menu."}
MAIN_WORD = {"fi": "päävalikkoon", "sv": "huvudmenyn", "en": "main menu"}
OTHER = "+358401234567"


def words_before_choice(text: str, lang: str) -> int | None:
    """Words said before the sentence holding the first choice ("…, paina yksi"); None: no choice."""
    m = re.search(CHOICE[lang], text)
    if m is None:
        return None
    start = max(text.rfind(". ", 0, m.start()), text.rfind("? ", 0, m.start()),
                text.rfind(": ", 0, m.start()))
    return len(text[:start + 1].split()) if start >= 0 else 0


@pytest.fixture
def world(db: DbSession, app: Flask) -> dict[str, int]:
    """A week: phone events with registration open, one taking part now, one registration."""
    app.config["STAFF_PHONE_NUMBER"] = ""  # a person is never in: the call-back is offered
    prov = f.provider(db, "Tampereen Teatteri")
    hour = utcnow().replace(minute=0)  # times on the hour: "kello kymmenen"
    first = f.session(db, f.event(db, title="Runotuokio", prov=prov, code="101"),
                      starts_in=timedelta(hours=5), now=hour)
    f.session(db, f.event(db, title="Laulamme yhdessä", prov=prov, code="102"),
              starts_in=timedelta(days=1), now=hour)
    mine = f.session(db, f.event(db, title="Museokierros", prov=prov, code="103"),
                     starts_in=timedelta(days=2), now=hour)
    f.session(db, f.event(db, title="Aamujumppa", prov=prov, code="104"),
              starts_in=timedelta(0), minutes=120, now=hour)  # on now: take part
    for lang, number in zip(LANGS, ("+358912345678", "+358912345679", "+358912345670")):
        caller = f.caller(db, number, language=lang)
        db.commit()
        service.register(db, mine.id, caller, now=utcnow())
    db.commit()
    return {"first": first.id}


NUMBERS = {"fi": "+358912345678", "sv": "+358912345679", "en": "+358912345670"}
# Every caller menu, reached from the greeting by these keys (a known caller, a withheld one).
PATHS: list[tuple[str, bool, list[str]]] = [
    ("main_menu", False, []),
    ("item", False, ["1", "3"]),
    ("register", False, ["1", "3", "2"]),
    ("someone_else", False, ["1", "3", "2", "3"]),
    ("someone_else_confirm", False, ["1", "3", "2", "3", "0401234567"]),
    ("register (someone else)", False, ["1", "3", "2", "3", "0401234567", "1"]),
    ("live_item", False, ["2"]),
    ("my_registrations", False, ["3"]),
    ("cancel_registration", False, ["3", "1"]),
    ("event_code", False, ["4"]),
    ("call_back_offer", False, ["0"]),
    ("no_caller_id", True, ["1", "3", "2"]),
    ("call_back_number", True, ["0", "1"]),
    ("call_back_confirm", True, ["0", "1", "0401234567"]),
    ("register_done", False, ["1", "3", "2", "1"]),  # last: it registers
]


def reach(make_phone: MakePhone, lang: str, withheld: bool, keys: list[str]) -> tuple[Phone, Turn]:
    phone = make_phone("anonymous" if withheld else NUMBERS[lang])
    t = phone.call()
    if withheld:
        t = phone.press(str(LANGS.index(lang) + 1))
    for key in keys:
        t = phone.press(key)
    return phone, t


@pytest.mark.parametrize("lang", LANGS)
def test_every_menu_says_at_most_20_words_before_the_first_choice(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    for name, withheld, keys in PATHS:
        _, t = reach(make_phone, lang, withheld, keys)
        gather_of(t)
        if name == "item":
            continue  # the programme item's own sentences: issue 10 item 3 (day, time, title first)
        n = words_before_choice(t.text, lang)
        if n is None:  # a number to type: the whole prompt is short
            n = len(t.text.split())
        assert n <= 20, (name, n, t.text)


@pytest.mark.parametrize("lang", LANGS)
def test_nine_and_the_word_lead_back_to_the_main_menu_from_every_menu(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    for name, withheld, keys in PATHS[:-1]:
        phone, _ = reach(make_phone, lang, withheld, keys)
        t = phone.press("9")
        assert MAIN[lang] in t.text and re.search(CHOICE[lang], t.text), (name, t.text)
        phone, _ = reach(make_phone, lang, withheld, keys)
        t = phone.say(MAIN_WORD[lang])
        assert MAIN[lang] in t.text, (name, t.text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_way_back_is_said_in_the_main_menu_and_the_help(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    nine = {"fi": "Yhdeksällä", "sv": "Med nio", "en": "Nine"}[lang]
    _, t = reach(make_phone, lang, False, [])
    assert nine in t.text.split(MAIN[lang])[1]
    phone, _ = reach(make_phone, lang, False, ["1", "3", "2"])
    phone.silence()
    t = phone.silence()
    assert nine in t.text and prompts.segments(lang, "errors.help")[0].text in t.text


@pytest.mark.parametrize("lang", LANGS)
def test_star_after_silence_and_after_a_wrong_key_repeats_the_content(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    for name, withheld, keys in PATHS[:-1]:
        for wrong in ("silence", "8"):
            phone, entered = reach(make_phone, lang, withheld, keys)
            phone.silence() if wrong == "silence" else phone.press(wrong)
            t = phone.press("*")
            assert t.text == entered.text, (name, wrong, t.text)
            gather_of(t)


@pytest.mark.parametrize("lang", LANGS)
def test_reprompts_get_simpler(make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    """The first failure repeats only the choices, the second says how to answer and the
    choices: neither is longer than the prompt plus the help, and no error line is said."""
    help_text = " ".join(s.text for s in prompts.segments(lang, "errors.help"))
    # Where 0 works, the help also says the key for slower speech (8): no hidden key.
    speed = " ".join(s.text for s in prompts.segments(lang, "speed.help"))
    for name, withheld, keys in PATHS[:-1]:
        phone, entered = reach(make_phone, lang, withheld, keys)
        first = phone.silence()
        second = phone.silence()
        assert len(first.text.split()) <= len(entered.text.split()), (name, first.text)
        assert help_text not in first.text
        assert second.text in (help_text + " " + first.text,
                               help_text + " " + speed + " " + first.text), (name, second.text)
        assert len(second.text.split()) <= (len(help_text.split()) + len(speed.split())
                                            + len(entered.text.split()))
        third = phone.silence()
        assert third.text == second.text  # the third failure still helps; never a hang-up
        gather_of(third)
        wrong = phone.press("7")  # a wrong key (8 is "slower") counts apart (VoiceXML's nomatch): the choices
        assert wrong.text.endswith(first.text), (name, wrong.text)  # after a reason, if any


@pytest.mark.parametrize("lang", LANGS)
def test_no_hidden_key_in_the_main_menu(make_phone: MakePhone, world: dict[str, int],
                                        lang: str) -> None:
    # 8 (slower speech) is said in the help after a second failure: not hidden.
    assert {"fi": "kahdeksan", "sv": "åtta", "en": "eight"}[lang] in prompts.text(lang, "speed.help")
    for key in ("5", "6", "7"):
        phone, entered = reach(make_phone, lang, False, [])
        t = phone.press(key)
        assert t.text == entered.text.split(MAIN[lang])[1].strip() or MAIN[lang] not in t.text
        assert "provider" not in t.body and "tallennuslinja" not in t.text
    phone, _ = reach(make_phone, lang, False, [])
    t = phone.press("9")
    assert MAIN[lang] in t.text  # 9 is the way back, never the providers' line


def test_nine_where_a_number_is_typed(make_phone: MakePhone, world: dict[str, int],
                                      db: DbSession) -> None:
    """9 alone (Twilio sends "9" for "9#"; a test client may send "9#") is the way back; a code
    or a phone number that starts with 9 is still read as typed, keyed or spoken."""
    f.session(db, f.event(db, title="Yhdeksikkö", code="901"), starts_in=timedelta(days=3))
    db.commit()
    for typed in ("9", "9#"):
        phone, _ = reach(make_phone, "fi", False, ["4"])
        assert phone.press(typed).text.startswith(MAIN["fi"]), typed
    phone, _ = reach(make_phone, "fi", False, ["4"])
    assert "Yhdeksikkö" in phone.press("901#").text
    phone, _ = reach(make_phone, "fi", False, ["4"])
    assert "Yhdeksikkö" in phone.say("yhdeksän nolla yksi").text
    phone, _ = reach(make_phone, "fi", False, ["1", "3", "2", "3"])  # someone else's number
    t = phone.press("0912345670#")
    assert "nolla, yhdeksän, yksi" in t.text and MAIN["fi"] not in t.text
    phone, _ = reach(make_phone, "fi", False, ["1", "3", "2", "3"])
    t = phone.press("912345670#")  # without the leading zero: explained, not the main menu
    assert "yhdeksän, yksi, kaksi" in t.text and MAIN["fi"] not in t.text
    gather_of(t)
