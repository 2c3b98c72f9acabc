"""Issue 14 part 4: speech on the phone you can trust, through the signed webhooks in Finnish,
Swedish and English. Words heard with a low ``Confidence`` are confirmed ("Did you say …? 1 yes,
2 no") and a yes carries on exactly as the key would; high confidence goes straight on;
inflected words and fillers are understood; the speech log keeps no numbers and staff read it
at /admin/speech."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from app import SettingError, create_app
from catalogue.models import Registration, SpeechHeard
from ivr_flows import prompts
from tests.admin_support import login, provider_user, staff
from tests.phone import MakePhone, Phone, gather_of
from tests.test_short_turns import LANGS, reach, world  # noqa: F401  (world: fixture)
from voice.simulator import Turn

LOW, HIGH = "0.31", "0.93"
# The programme (main menu 1), said inflected and with fillers in each language.
PROGRAMME = {"fi": "öö tota ohjelmasta", "sv": "öh jag vill höra programmet",
             "en": "um I'd like the programmes"}
YES = {"fi": "joo", "sv": "ja", "en": "yes"}
NO = {"fi": "ei", "sv": "nej", "en": "no"}


def _question(lang: str, said: str) -> str:
    return prompts.text(lang, f"confirm.said.{said}")


def _heard(app: Flask, db: DbSession) -> list[SpeechHeard]:
    app.extensions["lampio_visits"].flush()
    db.rollback()
    return list(db.scalars(select(SpeechHeard).order_by(SpeechHeard.id)))


def _pressed(make_phone: MakePhone, lang: str, keys: list[str], key: str) -> Turn:
    phone, _ = reach(make_phone, lang, False, keys)
    return phone.press(key)


def _unsure(make_phone: MakePhone, lang: str, keys: list[str], words: str) -> tuple[Phone, Turn]:
    phone, _ = reach(make_phone, lang, False, keys)
    return phone, phone.say(words, confidence=LOW)


@pytest.mark.parametrize("lang", LANGS)
def test_low_confidence_is_confirmed_and_yes_goes_on_as_the_key(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    by_key = _pressed(make_phone, lang, [], "1")
    for answer in ("key", "words"):
        phone, asked = _unsure(make_phone, lang, [], PROGRAMME[lang])
        gather = gather_of(asked)
        assert asked.text.startswith(_question(lang, "programme")), asked.text
        assert prompts.text(lang, "confirm.yes") in asked.text
        assert prompts.text(lang, "confirm.no") in asked.text
        assert gather.get("numDigits") == "1" and "speech" in (gather.get("input") or "")
        hints = gather.get("hints") or ""
        assert YES[lang] in hints and NO[lang] in hints
        after = phone.press("1") if answer == "key" else phone.say(YES[lang], confidence=LOW)
        assert after.text == by_key.text, (answer, after.text)
        assert after.text != asked.text


@pytest.mark.parametrize("lang", LANGS)
def test_no_puts_the_same_menu_again(make_phone: MakePhone, world: dict[str, int],
                                     lang: str) -> None:
    again = _pressed(make_phone, lang, ["1", "3"], "*")  # the programme item, said again
    for answer in ("2", NO[lang]):
        phone, asked = _unsure(make_phone, lang, ["1", "3"], "seuraava" if lang == "fi" else
                               {"sv": "nästa", "en": "next"}[lang])
        assert asked.text.startswith(_question(lang, "next")), asked.text
        after = phone.press(answer) if answer == "2" else phone.say(answer, confidence=LOW)
        assert after.text == again.text
        # Back in the item exactly: its keys work as before (3 the next item).
        assert phone.press("3").text == _pressed(make_phone, lang, ["1", "3"], "3").text


@pytest.mark.parametrize("lang", LANGS)
def test_silence_and_a_wrong_key_while_confirming_follow_the_usual_rules(
        make_phone: MakePhone, world: dict[str, int], lang: str) -> None:
    by_key = _pressed(make_phone, lang, [], "1")
    phone, asked = _unsure(make_phone, lang, [], PROGRAMME[lang])
    first = phone.silence()
    gather_of(first)
    assert first.text == _question(lang, "programme") + " " + prompts.text(lang, "confirm.short")
    assert len(first.text.split()) < len(asked.text.split())  # simpler, never longer
    second = phone.silence()
    assert prompts.text(lang, "errors.help") in second.text  # the second silence: help
    assert _question(lang, "programme") in second.text
    wrong = phone.press("7")  # a wrong key: only the choices again, nothing moves
    assert wrong.text == first.text
    assert phone.press("*").text == asked.text  # * repeats the question, not an error line
    assert phone.press("1").text == by_key.text  # and yes still goes on as the key


@pytest.mark.parametrize("lang", LANGS)
def test_high_confidence_goes_straight_on(make_phone: MakePhone, world: dict[str, int],
                                          lang: str) -> None:
    by_key = _pressed(make_phone, lang, [], "1")
    phone, _ = reach(make_phone, lang, False, [])
    assert phone.say(PROGRAMME[lang], confidence=HIGH).text == by_key.text
    # Twilio's Confidence missing: the words are taken as they are.
    phone, _ = reach(make_phone, lang, False, [])
    assert phone.post(phone.next_action or "", {"SpeechResult": PROGRAMME[lang]}).text == by_key.text


# Inflected forms and fillers, each answered as the key (menu path, key, words in fi / sv / en).
INFLECTED: list[tuple[list[str], str, tuple[str, str, str]]] = [
    ([], "1", ("ohjelmaa", "programmet tack", "the programme please")),
    ([], "1", ("tota noin ohjelmasta", "öhm programmet", "erm programmes")),
    ([], "3", ("ilmoittautumisistani", "anmälningarna", "um my registrations")),
    (["1", "3"], "3", ("no niin seuraavaan", "nästa", "well next one please")),
    (["1", "3"], "4", ("öö edelliseen", "föregående", "uh the previous")),
    (["0"], "2", ("en öö halua", "nej tack", "um no thanks")),
]


@pytest.mark.parametrize("lang", LANGS)
def test_inflected_words_and_fillers_are_understood(make_phone: MakePhone, world: dict[str, int],
                                                    lang: str) -> None:
    for keys, key, words in INFLECTED:
        said = words[LANGS.index(lang)]
        by_key = _pressed(make_phone, lang, keys, key)
        phone, _ = reach(make_phone, lang, False, keys)
        assert phone.say(said, confidence=HIGH).text == by_key.text, (keys, key, said)


def test_a_confirmed_yes_to_the_read_back_registers(make_phone: MakePhone, world: dict[str, int],
                                                    db: DbSession) -> None:
    before = db.scalar(select(func.count()).select_from(Registration)) or 0
    phone, asked = _unsure(make_phone, "fi", ["1", "3", "2"], "kyllä vahvistan")
    assert asked.text.startswith(_question("fi", "registration.confirm"))
    db.rollback()
    assert (db.scalar(select(func.count()).select_from(Registration)) or 0) == before
    done = phone.press("1")
    assert prompts.text("fi", "register.confirmed") in done.text
    db.rollback()
    assert (db.scalar(select(func.count()).select_from(Registration)) or 0) == before + 1


def test_the_speech_log_keeps_words_per_menu_and_no_numbers(
        app: Flask, db: DbSession, make_phone: MakePhone, world: dict[str, int]) -> None:
    phone, _ = reach(make_phone, "fi", False, [])
    phone.say("öö ohjelmasta", confidence=LOW)  # unsure: asked to confirm
    phone.press("1")
    phone, _ = reach(make_phone, "sv", False, [])
    phone.say("min granne har nummer 040 123 4567", confidence=HIGH)  # not understood
    phone.say("noll fyra noll ett två tre programmet", confidence=HIGH)  # matched
    phone, _ = reach(make_phone, "en", False, ["3", "1"])
    phone.say("keep it 0401234567 +358401234567 twenty three", confidence=HIGH)
    rows = _heard(app, db)
    got = [(r.node, r.lang, r.words, r.outcome) for r in rows]
    assert got == [
        ("main_menu", "fi", "öö ohjelmasta", "unsure"),
        ("main_menu", "sv", "min granne har nummer", "not_understood"),
        ("main_menu", "sv", "programmet", "matched"),
        ("cancel_registration", "en", "keep it", "matched"),
    ]
    assert not any(ch.isdigit() for r in rows for ch in r.words)


def test_staff_read_the_speech_log_providers_may_not(
        app: Flask, db: DbSession, client: FlaskClient, make_phone: MakePhone,
        world: dict[str, int]) -> None:
    from tests import factories as f

    for words, confidence in (("ohjelmasta", HIGH), ("ohjelmasta", HIGH), ("lörpöttely", HIGH),
                              ("ohjelma", LOW)):
        phone, _ = reach(make_phone, "fi", False, [])
        phone.say(words, confidence=confidence)
    _heard(app, db)
    provider_user(db, f.provider(db, "Toinen"), email="p@example.test")
    user = staff(db)
    db.commit()
    login(client, "p@example.test")
    assert client.get("/admin/speech").status_code == 403
    client.post("/admin/logout", data={"csrf_token": ""})
    client.delete_cookie("session")
    login(client, user.email)
    page = client.get("/admin/speech")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    import xml.etree.ElementTree as ET
    import re

    table = re.search(r'<table id="speech-menus">.*?</table>', html, re.S)
    assert table is not None
    root = ET.fromstring(table.group(0))
    row = root.find(".//tr[@data-node='main_menu'][@data-lang='fi']")
    assert row is not None
    cells = {td.get("data-outcome"): td.text for td in row.iter("td") if td.get("data-outcome")}
    assert cells == {"matched": "2", "unsure": "1", "not_understood": "1"}
    assert "lörpöttely" in html and "ohjelmasta" in html


@pytest.mark.parametrize("value", ["often", "1.5", "-0.1"])
def test_a_bad_confidence_setting_stops_the_app(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEECH_CONFIRM_BELOW", value)
    with pytest.raises(SettingError, match="^SPEECH_CONFIRM_BELOW: expected a number from 0 to 1"):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


# Words keys that name no menu choice: the digits, fillers, repeat and the speeds (never
# confirmed), the language choice and the provider line (not menus), the groups' own main menu
# word list (the way back there is "main_menu").
NOT_CHOICES = {"digits", "fillers", "repeat", "finnish", "swedish", "english", "groups.main"}


def _words_keys(node: object, path: str = "") -> list[str]:
    assert isinstance(node, dict)
    out: list[str] = []
    for key, value in node.items():
        name = f"{path}{key}"
        out += _words_keys(value, name + ".") if isinstance(value, dict) else [name]
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_choice_has_its_confirmation_question(lang: str) -> None:
    """Each words key a menu choice can be named by has its question ("Did you say …?")."""
    keys = [k for k in _words_keys(prompts.raw(lang, "words"))
            if k not in NOT_CHOICES and not k.startswith(("provider.", "speed."))]
    assert "registration.confirm" in keys and "groups.phone" in keys
    for key in keys:
        assert prompts.text(lang, f"confirm.said.{key}").endswith("?"), (lang, key)


def test_the_purge_removes_old_words(db: DbSession) -> None:
    from datetime import timedelta

    from catalogue.privacy import purge
    from catalogue.timeutil import utcnow

    now = utcnow()
    for days, words in ((40, "vanha"), (1, "uusi")):
        db.add(SpeechHeard(at=now - timedelta(days=days), node="main_menu", lang="fi",
                           words=words, outcome="matched"))
    db.commit()
    purge(db, now=now, days=30)
    db.commit()
    assert [r.words for r in db.scalars(select(SpeechHeard))] == ["uusi"]


def test_confirming_keeps_a_typed_number_out_of_the_url(make_phone: MakePhone,
                                                        world: dict[str, int]) -> None:
    """The read-back of a number typed for someone else, answered with unsure words: the
    question's state holds that number, so it stays on the server (``s=db``), and yes goes on
    as the key."""
    keys = ["1", "3", "2", "3", "0401234567"]
    by_key = _pressed(make_phone, "fi", keys, "1")
    phone, asked = _unsure(make_phone, "fi", keys, "kyllä")
    assert asked.text.startswith(_question("fi", "yes"))
    action = gather_of(asked).get("action") or ""
    assert "s=db" in action and "401234567" not in asked.body
    assert phone.press("1").text == by_key.text
