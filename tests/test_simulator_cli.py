"""``lampio call`` end to end: the CLI calls a real HTTP server (werkzeug on an ephemeral loopback
port) with signed requests, as Twilio would, and prints what the caller hears."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.serving import make_server

from catalogue.models import CallLog
from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from voice.simulator_cli import (Action, KeyboardInputs, ScriptInputs, http_call, parse_script,
                                 run_call)

TITLES = ("Aamujumppa puhelimessa", "Runoja radiosta", "Laulutuokio kaikille")
NEW_CALLER = "+358912340001"


@pytest.fixture
def programme(app: Flask, db: DbSession) -> None:
    app.config["OFFICE_HOURS"] = "mon-sun 00:00-24:00"  # a person is always in, at any minute
    for days, title in enumerate(TITLES, start=1):
        f.session(db, f.event(db, title=title), starts_in=timedelta(days=days, hours=1))
    db.commit()


@pytest.fixture
def server(app: Flask, programme: None) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def call(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["call", *args], catch_exceptions=False)


def test_script_hears_programme_and_transfers(app: Flask, db: DbSession, server: str) -> None:
    result = call(app, "--url", server, "--from", NEW_CALLER, "--lang", "fi",
                  "--script", "1,3,3,*,0")
    out = result.output
    assert result.exit_code == 0, out
    assert "⌨  1   (--lang)" in out  # the language menu was answered for the new caller
    for title in TITLES:
        assert title in out
    assert out.index(TITLES[0]) < out.index(TITLES[1]) < out.index(TITLES[2])
    assert "[transferring to +358901234567 …]" in out
    assert "1 transfer(s)" in out
    # The status callback closed the call log.
    log = db.scalar(select(CallLog).where(CallLog.ended_at.is_not(None)))
    assert log is not None and log.status == "completed"


def test_silence_and_speech_never_hang_up(app: Flask, server: str) -> None:
    result = call(app, "--url", server, "--from", NEW_CALLER, "--lang", "en",
                  "--script", "silence,silence,say:programme,hangup")
    assert result.exit_code == 0, result.output
    assert "[silence]" in result.output and '🗣  "programme"' in result.output
    assert "(en)" in result.output  # English titles from the factory
    assert "[caller hangs up]" in result.output


def test_script_file(app: Flask, server: str, tmp_path: Any) -> None:
    script = tmp_path / "walk.txt"
    script.write_text("1\n\n1\nhangup\n")
    result = call(app, "--url", server, "--from", NEW_CALLER, "--script-file", str(script))
    assert result.exit_code == 0, result.output
    assert TITLES[0] in result.output


def test_server_not_running(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["call", "--url", "http://127.0.0.1:9",
                                                "--script", "1"])
    assert result.exit_code == 1
    assert "python app.py" in result.output


def test_bad_script_item(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["call", "--script", "1,jump"])
    assert result.exit_code == 2 and "not a script item" in result.output


def test_wrong_token_is_reported(server: str) -> None:
    phone = http_call(server, "not-the-servers-token", public_base=PUBLIC_BASE_URL)
    result = run_call(phone, ScriptInputs([]))
    assert result.ended_by == "error" and "403" in result.error


def test_same_loop_over_the_test_client(client: Any, programme: None) -> None:
    """The pure layer: keyboard input (fed by a list) over Flask's test client transport."""
    typed = iter(["1", "", "3", "0", "", "h"])
    prompts_seen: list[str] = []

    def read(prompt: str) -> str:
        prompts_seen.append(prompt)
        return next(typed)

    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=NEW_CALLER)
    result = run_call(phone, KeyboardInputs(read), lang="sv")
    assert result.transfers == 1 and result.ended_by == "caller"
    assert "[silence]" in result.text
    assert any("Enter = silence" in p and "keys heard:" in p for p in prompts_seen)
    assert any(p.startswith("[talk to the person") for p in prompts_seen)


def test_parse_script() -> None:
    assert parse_script("12#, silence ,say:tell me more,hangup") == [
        Action("keys", "12#"), Action("silence"), Action("speech", "tell me more"),
        Action("hangup")]


def test_play_text_from_the_sidecar(app: Flask, server: str) -> None:
    """A ``<Play>`` on the public host is read from the local server's JSON sidecar."""
    from audio.cache import audio_name
    from voice.simulator_cli import sidecar_reader

    key = "ab" * 32
    path = app.extensions["lampio_audio"].storage.path(audio_name(key, "json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"text": "Tervetuloa.", "lang": "fi"}')
    read = sidecar_reader(server, PUBLIC_BASE_URL)
    assert read(f"{PUBLIC_BASE_URL}/audio/{key}.mp3") == "Tervetuloa."
    assert read(f"{PUBLIC_BASE_URL}/audio/{'cd' * 32}.mp3") is None  # no sidecar: tolerated


def test_the_keys_heard_are_read_from_keys_said_as_words() -> None:
    """Issue 10 says keys as words ("paina yksi"): the simulator's hint still lists them."""
    import xml.etree.ElementTree as ET

    from voice.simulator import Turn
    from voice.simulator_run import expected_keys

    body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" '
            'timeout="7" numDigits="1"><Say>{}</Say></Gather></Response>')
    for said, keys in [("Jos haluat kuulla ohjelman, paina yksi. Jos et, paina kaksi.", "1 2"),
                       ("Vahvista yksi, takaisin kaksi.", "1 2"),
                       ("Om du vill höra programmet, tryck ett. Huvudmenyn, tryck nio.", "1 9"),
                       ("To hear more, press one. Tuesday, at one in the afternoon.", "1")]:
        xml = body.format(said)
        hint = expected_keys(Turn(status=200, body=xml, root=ET.fromstring(xml), said=[said]))
        assert f"keys heard: {keys} ·" in hint, (said, hint)
