"""The string TwiML renderer gives byte for byte what the twilio builder gives.

``voice.twiml.render`` builds the XML itself for speed; ``render_builder`` is the twilio-package
reference. Hypothesis is not installed, so a seeded random generator makes a few thousand replies
covering every branch and the awkward characters (XML specials, Nordic letters, newlines, tabs,
control characters, a lone surrogate).
"""
from __future__ import annotations

import random
from typing import Any
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from catalogue.timeutil import to_local, utcnow
from ivr_flows import prompts
from ivr_flows.office_hours import DAYS
from ivr_flows.reply import Conference, Gather, Record, Reply, Segment
from tests import factories as f
from tests.phone import Phone
from voice import twiml

NASTY = ["&", "<", ">", '"', "'", "&amp;", "]]>", "ä", "ö", "å", "Ä", "Ö", "Å", "é", "ü", "€",
         "—", "😀", "\n", "\r", "\r\n", "\t", "\x01", "\ud800", ",", ", ", ";", "%", "#", "*", "=",
         "?", "/", "{", "}", "\\", " ", "  "]
WORDS = ["Hyvää päivää", "Välkommen", "press 1", "Åbo", "Sähkö & vesi", "kello 14.30",
         "Tiistai 1. joulukuuta", "Ilmoittaudu", "<b>", 'sano "kyllä"', "it's"]
LANGS = ["fi", "sv", "en", "de", ""]


def text(rng: random.Random, max_parts: int = 6) -> str:
    parts = rng.choices([*NASTY, *WORDS, "a", "1"], k=rng.randint(0, max_parts))
    return "".join(parts)


def url(rng: random.Random) -> str:
    return rng.choice(["/audio/p/ab12.mp3", "https://cdn.example.test/a.mp3?x=1&y=2",
                       "/audio/r/x.wav?sig=a&b=<c>", "/a/" + text(rng, 3), ""])


class FakeAudio:
    """Cached prompts for some segments, recordings for others, ``<Say>`` for the rest."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def prompt_url(self, segment: Segment, slow: bool = False) -> str | None:
        found = url(self.rng) if self.rng.random() < 0.4 else None
        return found + "-slow" if found and slow else found

    def recording_url(self, audio_path: str) -> str:
        return "/audio/rec/" + audio_path + "?v=2&t=1"


class FakeUrls:
    def __init__(self, rng: random.Random) -> None:
        self.base = rng.choice(["/voice/turn", "/voice/turn?c=1&d=<2>", '/v/"q"', "/v/ä\n"])

    def turn(self, event: str | None = None) -> str:
        return f"{self.base}?event={event}&x=1" if event else self.base

    def absolute(self, path: str) -> str:
        return path if path.startswith("http") else "https://phone.example.test" + path


def segment(rng: random.Random) -> Segment:
    return Segment(text=text(rng), lang=rng.choice(LANGS),
                   pause=rng.choice([0.0, 0.0, 0.2, 0.5, 0.7, 1.5, 2.6, -1.0, 3]),
                   audio_path=rng.choice([None, None, None, "", "p/1.wav", "a&b ä.mp3"]))


def reply(rng: random.Random) -> Reply:
    made = _reply(rng)
    made.slow = rng.random() < 0.3  # a caller who asked for slower speech
    return made


def _reply(rng: random.Random) -> Reply:
    speech = [segment(rng) for _ in range(rng.choice([0, 1, 1, 2, 3, 6]))]
    kind = rng.choice(["gather", "gather", "gather", "dial", "record", "hangup", "redirect",
                       "conference"])
    if kind == "gather":
        hints = tuple(text(rng, 3) for _ in range(rng.choice([0, 1, 3, 5])))
        hints += hints[:rng.randint(0, len(hints))]  # duplicates are dropped, order kept
        return Reply(speech, gather=Gather(
            hints=hints, num_digits=rng.choice([None, 0, 1, 1, 4]),
            finish_on_key=rng.choice(["", "", "#", "*"]), timeout=rng.choice([6, 7, 10, 15]),
            speech=rng.choice([True, False])))
    if kind == "conference":
        return Reply(speech, conference=Conference(
            session_id=rng.randint(1, 10**6), host=rng.choice([True, False]),
            end_on_exit=rng.choice([True, False]), record=rng.choice([True, False])))
    if kind == "dial":
        return Reply(speech, dial=rng.choice(["+358901234567", "", "+358 40 & <x>", "ä"]))
    if kind == "record":
        return Reply(speech, record=Record(max_length=rng.choice([60, 180]),
                                           finish_on_key=rng.choice(["#", "", "*"]),
                                           beep=rng.choice([True, False])))
    return Reply(speech, hangup=kind == "hangup")


def same(r: Reply, lang: str, seed: int) -> None:
    fast = twiml.render(r, lang, FakeAudio(random.Random(seed)), FakeUrls(random.Random(seed)))
    ref = str(twiml.render_builder(r, lang, FakeAudio(random.Random(seed)),
                                   FakeUrls(random.Random(seed))))
    assert fast == ref, (r, lang)
    assert fast.encode("utf-8") == ref.encode("utf-8")


@pytest.mark.parametrize("chunk", range(4))
def test_random_replies_render_identically(chunk: int) -> None:
    for seed in range(chunk * 1000, chunk * 1000 + 1000):
        rng = random.Random(seed)
        same(reply(rng), rng.choice(LANGS), seed)


def test_replies_without_audio_render_identically() -> None:
    rng = random.Random(7)
    urls = FakeUrls(rng)
    for _ in range(500):
        r = reply(rng)
        lang = rng.choice(LANGS)
        assert twiml.render(r, lang, None, urls) == str(twiml.render_builder(r, lang, None, urls))


def test_every_prompt_sentence_renders_identically() -> None:
    urls = FakeUrls(random.Random(1))
    for lang in prompts.LANGUAGES:
        speech = [Segment(t, lang, pause=0.7) for t in prompts.all_fixed_prompts(lang)]
        for r in (Reply(list(speech), gather=Gather(hints=prompts.words(lang, "yes"))),
                  Reply(list(speech), hangup=True)):
            assert twiml.render(r, lang, None, urls) == str(twiml.render_builder(r, lang, None, urls))


def test_exact_bytes_of_a_typical_menu() -> None:
    """A spot check that needs no builder: what Twilio will be sent."""
    class Urls:
        def turn(self, event: str | None = None) -> str:
            return "/voice/turn" + (f"?event={event}" if event else "")

        def absolute(self, path: str) -> str:
            return "https://x.test" + path

    r = Reply([Segment('Sähkö & "vesi" <nyt>', "fi", pause=0.7)],
              gather=Gather(hints=("kyllä", "ei, kiitos", "kyllä")))
    assert twiml.render(r, "fi", None, Urls()) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/turn" '
        'hints="kyllä, ei, kiitos" input="dtmf speech" language="fi-FI" method="POST" '
        'numDigits="1" speechTimeout="auto" timeout="7"><Pause length="1" />'
        '<Say language="fi-FI" voice="Polly.Suvi-Neural"><prosody rate="90%">'
        'Sähkö &amp; "vesi" &lt;nyt&gt;</prosody></Say></Gather>'
        '<Redirect method="POST">/voice/turn?event=timeout</Redirect></Response>')


def test_exact_bytes_of_a_listener_in_a_room() -> None:
    """A listener: muted, no beep, waiting audio until the host starts, ``*`` to the menu."""
    class Urls:
        def turn(self, event: str | None = None) -> str:
            return "/voice/turn" + (f"?event={event}&s=x" if event else "")

        def absolute(self, path: str) -> str:
            return "https://x.test" + path

    r = Reply([], conference=Conference(session_id=7, record=True))
    assert twiml.render(r, "fi", None, Urls()) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="/voice/turn?event=room'
        '&amp;s=x" hangupOnStar="true" method="POST"><Conference beep="false" '
        'endConferenceOnExit="false" muted="true" record="record-from-start" '
        'recordingStatusCallback="https://x.test/voice/room/recorded?session=7" '
        'recordingStatusCallbackMethod="POST" startConferenceOnEnter="false" '
        'statusCallback="https://x.test/voice/room/events?session=7" '
        'statusCallbackEvent="start end join leave" statusCallbackMethod="POST" '
        'waitMethod="POST" waitUrl="https://x.test/voice/room/wait">lampio-session-7'
        '</Conference></Dial></Response>')
    assert twiml.render(r, "fi", None, Urls()) == str(twiml.render_builder(r, "fi", None, Urls()))


def test_real_calls_render_identically(app: Flask, phone: Phone, db: DbSession,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Replies the flows really produce, through the webhooks, match the builder too."""
    import voice.views

    # The office is closed whenever this runs (open only on another weekday): 0 then offers a
    # call back, a gather that silence follows, instead of a transfer during office hours.
    other_day = DAYS[(to_local(utcnow()).weekday() + 3) % 7]
    app.config["OFFICE_HOURS"] = f"{other_day} 09:00-10:00"

    rendered: list[str] = []

    def checked(reply: Reply, lang: str, audio: twiml.AudioLookup | None, urls: twiml.Urls,
                lead: str = "") -> str:
        assert not lead  # Twilio's speech: no media streams (tests/test_media_stream.py)
        fast = twiml.render(reply, lang, audio, urls)
        assert fast == str(twiml.render_builder(reply, lang, audio, urls))
        rendered.append(fast)
        return fast

    monkeypatch.setattr(voice.views, "render", checked)
    f.caller(db, "+358912345678", language="fi", name="Aino")
    f.session(db, f.event(db, title="Runo & laulu <ilta>", code="101"),
              starts_in=timedelta(hours=5))
    db.commit()
    phone.call()
    for step in ("1", "1", "*", "3", "#", "0"):
        phone.press(step)
    phone.silence()
    phone.call()
    phone.press("4")
    phone.press("101")
    phone.say("seuraava")
    assert len(rendered) >= 10


@pytest.mark.parametrize("token", [None, "db", "eJyrVkrOz0nNTVayUlAqS8wpTVWqBQBJAAa-"])
@pytest.mark.parametrize("event", [None, "timeout", "dial", "record", "room", "restart"])
def test_turn_urls_are_what_url_for_builds(app: Flask, token: str | None, event: str | None) -> None:
    """The views write turn URLs by hand for speed; they must be exactly ``url_for``'s, also
    when the app is mounted under a prefix."""
    from flask import url_for

    import voice.views

    for root, lang in (("", None), ("/lampio", None), ("", "sv")):
        with app.test_request_context("/voice/turn", base_url=f"https://x.test{root}"):
            args: dict[str, Any] = {**({"event": event} if event else {}),
                                    **({"s": token} if token else {}),
                                    **({"l": lang} if lang and token == "db" else {})}
            assert voice.views._Urls(token, lang).turn(event) == url_for("voice.turn", **args)
