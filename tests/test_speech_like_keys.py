"""Issue 10 item 8: speech does what the key does, in every menu and language — the choices, the
shared keys (`*` repeat, 0 a person, 9 the main menu), "previous", "yes"/"no" — with inflected
forms ("seuraavaa", "edelliseen", "päävalikkoon"). Each menu is reached through the signed
webhooks twice, once answered with the key and once with words, and the two answers must be
the same; where the answer writes (a registration, a cancellation, a call-back), the words'
answer is checked for the outcome itself."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import CallbackRequest, Registration, RegistrationStatus
from ivr_flows import prompts
from tests.phone import MakePhone, gather_of
from tests.test_short_turns import LANGS, NUMBERS, reach, world  # noqa: F401  (world: fixture)

# (menu, withheld, keys to reach it, key, the words for it in fi / sv / en)
SAME: list[tuple[str, bool, list[str], str, tuple[str, str, str]]] = [
    ("main_menu", False, [], "1", ("kuulisin ohjelmaa", "programmet", "this week")),
    ("main_menu", False, [], "2", ("osallistun", "jag vill delta", "take part")),
    ("main_menu", False, [], "3", ("ilmoittautumiseni", "mina anmälningar", "my registrations")),
    ("main_menu", False, [], "4", ("tiedän koodin", "koden", "event code")),
    ("main_menu", False, [], "*", ("toistakaa", "en gång till", "say again")),
    ("main_menu", False, [], "0", ("ihmiselle", "en människa", "a person")),
    ("main_menu", False, [], "0", ("nolla", "noll", "zero")),
    ("item", False, ["1"], "3", ("seuraavaa", "nästa", "next one")),
    ("item", False, ["1", "3"], "4", ("edelliseen", "förra", "previous one")),
    ("item", False, ["1", "3"], "1", ("kerro lisää", "berätta mer", "tell me more")),
    ("item", False, ["1", "3"], "2", ("haluan ilmoittautua", "anmäla", "sign up")),
    ("item", False, ["1", "3"], "9", ("päävalikkoon", "huvudmenyn", "main menu")),
    ("item", False, ["1", "3"], "9", ("yhdeksän", "nio", "nine")),
    ("item", False, ["1", "3"], "*", ("mitä", "upprepa", "pardon")),
    ("register", False, ["1", "3", "2"], "2", ("takaisin", "tillbaka", "go back")),
    ("register", False, ["1", "3", "2"], "3", ("jonkun muun", "någon annan", "someone else")),
    ("someone_else_confirm", False, ["1", "3", "2", "3", "0401234567"], "1",
     ("kyllä", "ja", "yes")),
    ("someone_else_confirm", False, ["1", "3", "2", "3", "0401234567"], "2",
     ("väärin", "fel", "wrong")),
    ("live_item", False, ["2"], "3", ("seuraavaan", "nästa", "next")),
    ("my_registrations", False, ["3"], "1", ("peruuta", "avboka", "cancel")),
    ("my_registrations", False, ["3"], "2", ("lisää", "mer", "more")),
    ("my_registrations", False, ["3"], "9", ("päävalikko", "huvudmeny", "menu")),
    ("cancel_registration", False, ["3", "1"], "2", ("pidä", "behåll", "keep it")),
    ("call_back_offer", False, ["0"], "2", ("en halua", "nej tack", "no thanks")),
    ("no_caller_id", True, ["1", "3", "2"], "1", ("näppäilen", "mitt nummer", "my number")),
    ("no_caller_id", True, ["1", "3", "2"], "2", ("takaisin", "tillbaka", "back")),
    ("call_back_confirm", True, ["0", "1", "0401234567"], "2", ("väärin", "fel", "wrong")),
    ("event_code", False, ["4"], "101", ("yksi nolla yksi", "ett noll ett", "one zero one")),
    ("event_code", False, ["4"], "9", ("päävalikkoon", "huvudmenyn", "main menu")),
    ("someone_else", False, ["1", "3", "2", "3"], "9", ("päävalikkoon", "huvudmenyn", "main menu")),
]


@pytest.mark.parametrize("lang", LANGS)
def test_words_do_what_the_keys_do_in_every_menu(make_phone: MakePhone, world: dict[str, int],
                                                  lang: str) -> None:
    for menu, withheld, keys, key, words in SAME:
        said = words[LANGS.index(lang)]
        phone, _ = reach(make_phone, lang, withheld, keys)
        by_key = phone.press(key + "#" if len(key) > 1 else key)
        phone, _ = reach(make_phone, lang, withheld, keys)
        by_words = phone.say(said)
        gather_of(by_words)
        assert by_words.text == by_key.text, (menu, key, said, by_words.text, by_key.text)


def _count(db: DbSession, model: type) -> int:
    db.rollback()  # a fresh read after the webhooks' writes
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("lang", LANGS)
def test_words_that_write_do_what_their_key_does(make_phone: MakePhone, world: dict[str, int],
                                                 db: DbSession, lang: str) -> None:
    """Yes to the read-back registers, yes to the cancel read-back cancels, yes to "shall we
    call you?" stores a call-back — said, not pressed ("kyllä kiitos", "ja gärna")."""
    i = LANGS.index(lang)
    registered = _count(db, Registration)
    phone, _ = reach(make_phone, lang, False, ["1", "3", "2"])
    t = phone.say(("kyllä kiitos", "ja gärna", "yes please")[i])
    assert prompts.text(lang, "register.confirmed") in t.text
    assert _count(db, Registration) == registered + 1

    phone, _ = reach(make_phone, lang, False, ["3", "1"])
    t = phone.say(("kyllä, perun", "ja, avboka", "yes, cancel it")[i])
    assert prompts.text(lang, "my_registrations.cancelled") in t.text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Registration).where(
        Registration.status == RegistrationStatus.CANCELLED)) == 1

    phone, _ = reach(make_phone, lang, False, ["0"])
    t = phone.say(("kyllä, soittakaa", "ja gärna", "yes please")[i])
    assert prompts.segments(lang, "person.call_back_done", when="x")[0].text in t.text
    assert _count(db, CallbackRequest) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_the_language_menu_takes_the_languages_name(make_phone: MakePhone, lang: str) -> None:
    key = str(LANGS.index(lang) + 1)
    name = {"fi": "suomeksi", "sv": "på svenska", "en": "english please"}[lang]
    phone = make_phone("+358401110001")
    phone.call()
    by_key = phone.press(key)
    phone = make_phone("+358401110002")
    phone.call()
    by_words = phone.say(name)
    assert by_words.text == by_key.text and prompts.text(lang, "main.intro") in by_words.text
