"""Slower on request (issue 10, item 9): the word or 8 in a menu; remembered on the caller for
the next calls; the cached audio's slower variant is made from the rendered file with ffmpeg's
atempo (no second synthesis) and served like the others; <Say> uses the slower rate too."""
from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from audio.cache import SLOW, SLOW_TEMPO, audio_name
from audio.storage import probe
from catalogue.models import Caller
from ivr_flows import prompts
from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import MakePhone, Phone, played
from voice import twiml


def rates(turn_body: str) -> set[str]:
    import re

    return set(re.findall(r'<prosody rate="([^"]+)"', turn_body))


def test_the_word_slows_speech_and_it_is_remembered(phone: Phone, make_phone: MakePhone,
                                                    db: DbSession) -> None:
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    first = phone.call()
    assert rates(first.body) == {twiml.SAY_RATE}
    t = phone.say("voisitko puhua hitaammin")
    assert t.said[0] == "Puhun nyt hitaammin."
    assert t.said[1:] == first.said  # then what was said, again
    assert rates(t.body) == {twiml.SLOW_SAY_RATE}
    assert rates(phone.press("1").body) == {twiml.SLOW_SAY_RATE}  # every turn of this call
    db.expire_all()
    assert db.scalars(select(Caller)).one().slow_speech is True
    again = make_phone("+358912345678").call()  # the next call is slow from its first word
    assert rates(again.body) == {twiml.SLOW_SAY_RATE}


def test_key_8_in_a_menu_and_faster_undoes_it(make_phone: MakePhone, db: DbSession) -> None:
    f.caller(db, "+358401234567", language="sv")
    db.commit()
    phone = make_phone("+358401234567")
    phone.call()
    t = phone.press("8")
    assert t.said[0] == "Nu talar jag långsammare." and rates(t.body) == {twiml.SLOW_SAY_RATE}
    t = phone.say("snabbare")
    assert t.said[0] == "Nu talar jag i vanlig takt." and rates(t.body) == {twiml.SAY_RATE}
    db.expire_all()
    assert db.scalars(select(Caller)).one().slow_speech is False


def test_the_help_says_how_to_slow_down(phone: Phone, db: DbSession) -> None:
    f.caller(db, "+358912345678", language="en")
    db.commit()
    phone.call()
    phone.silence()
    t = phone.silence()  # the second failure: the help, with the way to slower speech
    assert prompts.text("en", "speed.help") in t.text
    phone.say("slower")
    phone.silence()
    assert prompts.text("en", "speed.help") not in phone.silence().text  # said once it is slow


def test_slow_variant_is_made_from_the_rendered_file_and_played(
        app: Flask, client: FlaskClient, db: DbSession, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = service_of(app)
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    sentences = prompts.segments("fi", "main.programme") + prompts.segments("fi", "main.intro")
    for seg in sentences:
        assert svc.cache.render(seg.text, "fi") is not None
    key = svc.cache.lookup(sentences[0].text, "fi")
    assert key is not None
    normal = svc.storage.path(audio_name(key))
    slow = svc.storage.path(audio_name(key + SLOW))
    ratio = probe(slow).duration / probe(normal).duration
    assert abs(ratio - 1 / SLOW_TEMPO) < 0.06, ratio  # slower by the tempo, same audio
    side = json.loads(svc.storage.path(audio_name(key + SLOW, "json")).read_text())
    assert side["text"] == sentences[0].text and side["tempo"] == SLOW_TEMPO
    assert side["made_from"] == key

    # A renderer that synthesises again would be called: count the engine's work.
    calls: list[str] = []

    def synthesize(*args: object) -> bool:
        calls.append(str(args[1]))
        return False

    monkeypatch.setattr(svc.cache.chain, "synthesize", synthesize)
    svc.storage.path(audio_name(key + SLOW)).unlink()
    assert svc.cache.render(sentences[0].text, "fi") is not None
    assert calls == [] and slow.is_file()  # made again from the rendered file, not synthesised

    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358912345678",
                  play_text=svc.play_text)
    phone.call()
    t = phone.say("hitaammin")
    slow_plays = [p for p in played(t) if p.endswith(f"{SLOW}.mp3")]
    assert len(slow_plays) == 2, played(t)
    assert sentences[0].text in t.said  # the sidecar of the slow file says what it says
    resp = client.get(slow_plays[0].removeprefix(PUBLIC_BASE_URL))
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg"
    assert rates(t.body) == {twiml.SLOW_SAY_RATE}  # the sentences not rendered: <Say>, slower
