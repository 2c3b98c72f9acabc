"""The demo programme walked through the signed webhooks in fi, sv and en (issue 10): groups that
fit the week with their counts, no item twice, "listen" for a recording and "register" only where
registration exists, the day said once when it changes, a short first turn, the end of a group
offering the next one, every number spoken as words, and no Finnish in Swedish or English."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import listening
from catalogue.demo import load_demo
from catalogue.models import SessionAudio, SessionKind
from catalogue.models import Session as SessionRow
from catalogue.timeutil import utcnow
from ivr_flows import prompts
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from voice.simulator import Turn

CALLERS = {"fi": "+358912345678", "sv": "+358401234567", "en": "+358501112233"}
CHOICE = {"fi": "paina", "sv": "tryck", "en": "press"}
REGISTER = {"fi": "ilmoittautua", "sv": "anmäla", "en": "register"}
LISTEN = {"fi": "Jos haluat kuunnella", "sv": "lyssna", "en": "listen"}
TAKE_PART = {"fi": "Jos haluat osallistua nyt", "sv": "Om du vill delta nu", "en": "To take part now"}
KEY_WORDS = {"fi": ("yksi", "kaksi", "kolme", "neljä"), "sv": ("ett", "två", "tre", "fyra"),
             "en": ("one", "two", "three", "four")}
FINNISH_IN_DEMO = ("Liikunnanohjaaja", "Runoilija", "suuri näyttämö", "Turun konserttitalo",
                   "Turun filharmoninen", "Helsingin kaupunginmuseo", "Kampin palvelukeskus")


@pytest.fixture
def demo(app: Flask, db: DbSession) -> None:
    """The demo week, with every recording's audio approved (as staff would), so each
    recording has two weekly windows in the caller's week."""
    now = utcnow()
    load_demo(db, now)
    db.flush()
    for i, rec in enumerate(db.scalars(select(SessionRow).where(
            SessionRow.kind == SessionKind.RECORDING))):
        if not rec.starts_at <= now < rec.ends_at and rec.starts_at < now:
            continue
        name = f"recordings/{i:032x}.mp3"
        audio = listening.create_audio(db, rec, name, [name], 180, 60, SessionAudio.Source.UPLOAD)
        listening.review(db, audio, approve=True)
    db.commit()


def caller(app: Flask, lang: str) -> Phone:
    return Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=CALLERS[lang])


def words_before_first_choice(turn: Turn, lang: str) -> int:
    words = 0
    for sentence in turn.said:
        if re.search(rf"\b{CHOICE[lang]}\b", sentence):
            return words + len(sentence.split(",")[0].split())  # "Jos haluat kuulla lisää"
        words += len(sentence.split())
    return words


def digits_said(turn: Turn) -> list[str]:
    """Sentences with a digit left in them: every number, key and code is said as words."""
    return [s for s in turn.said if re.search(r"[0-9]", s)]


def walk_group(phone: Phone, first: Turn, lang: str) -> tuple[list[Turn], Turn]:
    """3 (next) until the group's end; the items heard and the end."""
    ends = {prompts.text(lang, f"groups.end_{g}") for g in ("phone", "city", "recordings", "all")}
    items: list[Turn] = []
    t = first
    for _ in range(40):
        if t.said and t.said[0] in ends:
            return items, t
        items.append(t)
        t = phone.press("3")
    raise AssertionError("the group did not end")


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_demo_walk_groups_no_repeats_listen_or_register_and_no_digits(app: Flask, demo: None,
                                                                       lang: str) -> None:
    phone = caller(app, lang)
    heard = [phone.call()]
    groups = phone.press("1")
    heard.append(groups)
    # At most four groups that fit the week, each with how many it has (the last: everything).
    keys = re.findall(rf"{CHOICE[lang]} (\w+)\.", groups.text)
    assert 2 <= len(keys) <= 4 and keys[-1] == KEY_WORDS[lang][3], groups.text
    assert words_before_first_choice(groups, lang) <= 20, groups.said

    everything = phone.press("4")
    items, end = walk_group(phone, everything, lang)
    heard += items + [end]
    titles_and_times = [tuple(t.said[:2]) for t in items]
    assert len(titles_and_times) == len(set(titles_and_times)), titles_and_times  # no item twice
    recording_titles = [t.said[1] for t in items if any(
        w in " ".join(t.said) for w in ("Tallenne", "inspelning", "A recording"))]
    assert len(recording_titles) == len(set(recording_titles)) >= 1, recording_titles
    for t in items:
        text = t.text
        is_recording = any(w in text for w in ("Tallenne.", "En inspelning.", "A recording."))
        if is_recording:
            assert REGISTER[lang] not in text, text
        elif "peruttu" in text or "inställt" in text or "cancelled" in text:
            assert REGISTER[lang] not in text and LISTEN[lang] not in text, text
        elif TAKE_PART[lang] in text:  # a performance whose room is open: straight in
            assert REGISTER[lang] not in text and LISTEN[lang] not in text, text
        else:
            assert REGISTER[lang] in text and LISTEN[lang] not in text, text
        if lang == "fi":
            assert words_before_first_choice(t, lang) <= 20, t.said
    # Within a day only the time is said: some item starts with the clock alone.
    clock_word = {"fi": "kello", "sv": "klockan", "en": "at"}[lang]
    assert any(t.said[0].startswith(clock_word) for t in items), [t.said[0] for t in items]
    # The end of everything says so and offers the groups and the main menu.
    assert any(w in end.text for w in ("Ohjelma loppui", "hela programmet", "whole programme"))

    more = phone.press("4")  # back to the last item, then "more"
    heard += [more, phone.press("1")]
    for t in heard:
        assert not digits_said(t), digits_said(t)
    if lang != "fi":
        said = " ".join(s for t in heard for s in t.said)
        assert not [w for w in FINNISH_IN_DEMO if w in said]


def test_a_group_ends_and_offers_the_next_group(app: Flask, demo: None) -> None:
    phone = caller(app, "fi")
    phone.call()
    groups = phone.press("1")
    assert "Puhelinesityksiä on" in groups.text and "Tallenteita on" in groups.text
    t = phone.press("1")  # performances by phone
    items, end = walk_group(phone, t, "fi")
    assert items and all("Osallistut puhelimella" in i.text or "peruttu" in i.text for i in items)
    assert end.said[0] == "Puhelinesitykset loppuivat."
    assert "Jos haluat kuulla kotikaupunkisi tapahtumat, paina kolme." in end.text
    assert "Jos haluat päävalikkoon, paina yhdeksän." in end.text  # 9, as everywhere
    city = phone.press("3")
    assert "Paikan päällä" in city.text and "Helsinki" in city.text
    back = phone.press("4")
    assert "Paikan päällä" not in back.text or back.said != city.said
    assert "Päävalikko" in phone.press("9").text  # and the main menu from the end of a group
    phone.call()
    phone.press("1")
    phone.press("1")
    *_, end = walk_group(phone, phone.press("*"), "fi")
    assert "Päävalikko" in phone.press("9").text


def test_recording_item_is_short_and_says_until_in_the_illative(app: Flask, demo: None) -> None:
    phone = caller(app, "fi")
    phone.call()
    phone.press("1")
    t = phone.press("3")  # the recordings
    assert "Voit kuunnella sitä sunnuntaihin" in t.text and "asti" in t.text
    assert "kello kahdeksaantoista asti" in t.text
    assert "Kuunneltavissa" not in t.text and "Kesto" not in t.text
    assert LISTEN["fi"] in t.text and REGISTER["fi"] not in t.text
    more = phone.press("1")
    assert "Järjestäjä on Runoilija Helena Saarinen." in more.text


def test_swedish_caller_hears_swedish_names(app: Flask, demo: None) -> None:
    phone = caller(app, "sv")  # Greta lives in Turku
    phone.call()
    phone.press("1")
    city = phone.press("2")
    assert "Åbo konserthus" in city.text and "Åbo" in city.text
    more = phone.press("1")
    assert "Åbo filharmoniska orkester" in more.text and "Aningaisgatan nio" in more.text
    assert "Turun" not in city.text + more.text
    assert "tio euro" in more.text  # the price in words


def test_a_recording_with_two_windows_in_the_week_is_listed_once(app: Flask, db: DbSession,
                                                                demo: None) -> None:
    from catalogue.programme_cache import ProgrammeCache

    now = utcnow()
    windows = db.scalars(select(SessionRow).where(SessionRow.kind == SessionKind.RECORDING)).all()
    assert len({w.event_id for w in windows}) < len(windows)  # weekly windows of one recording
    # Give every window approved audio: both weeks' windows are in a week from now.
    with_audio = {a.session_id for a in db.scalars(select(SessionAudio))}
    for w in windows:
        if w.id not in with_audio:
            name = f"recordings/{w.id:032x}.mp3"
            audio = listening.create_audio(db, w, name, [name], 180, 60,
                                           SessionAudio.Source.UPLOAD)
            listening.review(db, audio, approve=True)
    db.commit()
    items = ProgrammeCache(recheck=0).programme(db, None, now + timedelta(days=1))
    recs = [i.event_id for i in items if i.kind == SessionKind.RECORDING]
    assert recs and len(recs) == len(set(recs))


@pytest.mark.parametrize("lang, count, choice", [
    ("fi", "Ohjelmassa on yksi tallenne.", "Jos haluat kuulla sen, paina kolme."),
    ("sv", "Det finns en inspelning.", "Om du vill höra den, tryck tre."),
    ("en", "There is one recording.", "To hear it, press three.")])
def test_a_group_of_one_is_spoken_of_in_the_singular(app: Flask, db: DbSession, lang: str,
                                                      count: str, choice: str) -> None:
    """"Tallenteita on yksi … kuulla ne" was not Finnish: one item is "se", "den", "it"."""
    from tests import factories as f

    ev = f.event(db, title="Konsertti", code="961")
    f.session(db, ev, starts_in=timedelta(days=1))
    rec = f.event(db, title="Tallenne", code="962")
    s = f.session(db, rec, starts_in=timedelta(hours=-1), minutes=60 * 24 * 3,
                  kind=SessionKind.RECORDING)
    name = f"recordings/{s.id:032x}.mp3"
    listening.review(db, listening.create_audio(db, s, name, [name], 180, 60,
                                                SessionAudio.Source.UPLOAD), approve=True)
    f.caller(db, CALLERS[lang], language=lang)
    db.commit()
    phone = caller(app, lang)
    phone.call()
    groups = phone.press("1")
    assert count in groups.said and choice in groups.said, groups.said
    assert prompts.text(lang, "groups.recordings_choice") not in groups.said
