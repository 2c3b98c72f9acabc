"""``lampio assistant`` end to end from recorded answers: Korean digit words (the one model a
package ships) drive the Finnish service through the same webhooks as the phone, and the call
log, the registration and the person's transfer land in the database. What is spoken, and
why: ``tests/recognition_support.py``."""
from __future__ import annotations

import time
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller, CallLog, Registration
from tests import factories as f
from tests.test_audio_support import silence
from tests.recognition_support import digit_answer, korean_phone_wav

NEW_CALLER = "+358912340077"
TITLE = "Runotuokio puhelimessa"
WAKE = "여보세요"  # "hello?" on the phone: heard as itself, and no digit is heard as it


@pytest.fixture
def programme(app: Flask, db: DbSession) -> int:
    app.config["OFFICE_HOURS"] = "mon-sun 00:00-24:00"  # a person is always in: 0 transfers
    s = f.session(db, f.event(db, title=TITLE, code="101"), starts_in=timedelta(days=1, hours=2))
    db.commit()
    return s.id


def answers(folder: Path, *items: str) -> Path:
    """One answer per turn: a digit is spoken Korean (an 8 kHz µ-law WAV), "quiet" a silent
    recording, "word:…" other Korean speech, "typed:…" or anything else typed (a .txt file)."""
    folder.mkdir()
    for i, item in enumerate(items, start=1):
        if item.isdigit() and len(item) == 1:
            digit_answer(item, folder / f"{i:02d}.wav")
        elif item == "quiet":
            silence(folder / f"{i:02d}.wav", 2.0)
        elif item.startswith("word:"):
            korean_phone_wav(item[5:], folder / f"{i:02d}.wav")
        else:
            (folder / f"{i:02d}.txt").write_text(item.removeprefix("typed:"))
    return folder


def assistant(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["assistant", *args], catch_exceptions=False)


def korean(ko_model_path: str, folder: Path, out: Path, *extra: str) -> list[str]:
    return ["--lang", "fi", "--model", ko_model_path, "--model-lang", "ko", "--from", NEW_CALLER,
            "--input", str(folder), "--output", str(out), *extra]


def test_programme_register_and_a_person_by_korean_digits(
        app: Flask, db: DbSession, programme: int, ko_model_path: str, tmp_path: Path) -> None:
    folder = answers(tmp_path / "answers", "1", "2", "1", "0")
    out = tmp_path / "out"
    result = assistant(app, *korean(ko_model_path, folder, out))
    text = result.output
    assert result.exit_code == 0, text
    assert "[heard] 일 (confidence" in text and "→ keys 1" in text
    assert text.index(TITLE) < text.index("Olet nyt ilmoittautunut.")  # heard, then registered
    assert "[transferring to +358901234567 …]" in text  # 0: a person, in office hours
    db.rollback()
    caller = db.scalar(select(Caller).where(Caller.phone == NEW_CALLER))
    assert caller is not None and caller.language == "fi"
    reg = db.scalar(select(Registration).where(Registration.caller_id == caller.id))
    assert reg is not None and reg.session_id == programme
    log = db.scalar(select(CallLog).where(CallLog.caller_id == caller.id))
    assert log is not None and log.line == "assistant" and log.status == "completed"
    assert log.ended_at is not None
    # What it said, per turn, as audio and text; what it heard beside it.
    said = sorted(out.glob("*-said.txt"))
    assert len(said) == len(list(out.glob("*-said.wav"))) >= 6
    assert "Valitse kieli" in said[0].read_text() or "suomeksi" in said[0].read_text().lower()
    with wave.open(str(out / "02-said.wav")) as w:
        assert w.getframerate() == 16000 and w.getnframes() > 16000 * 3  # the main menu, spoken
    heard = {p.name: p.read_text() for p in out.glob("*-heard.txt")}
    assert "keys 1" in heard["02-heard.txt"]
    assert TITLE in (out / "03-said.txt").read_text()
    assert (out / "transcript.txt").read_text().count("🔊") > 10


def test_silence_and_a_wrong_answer_follow_the_phone_rules(
        app: Flask, db: DbSession, programme: int, ko_model_path: str, tmp_path: Path) -> None:
    folder = answers(tmp_path / "answers", "quiet", "typed:7", "quiet", "3", "hangup")
    out = tmp_path / "out"
    result = assistant(app, *korean(ko_model_path, folder, out))
    text = result.output
    assert result.exit_code == 0, text
    assert "[heard nothing]" in text and "[typed] keys 7" in text
    # first failure: only the choices again; second: the help and the way to a person
    assert "Paina numeroa tai sano valinta ääneen." in text
    assert "[heard] 삼 (confidence" in text
    assert "[the service ended the call]" not in text  # never a hang-up
    db.rollback()
    log = db.scalar(select(CallLog).where(CallLog.line == "assistant"))
    assert log is not None and log.status == "completed"


def test_without_a_model_keys_only_said_once(
        app: Flask, db: DbSession, programme: int, tmp_path: Path) -> None:
    folder = answers(tmp_path / "answers", "1", "typed:1", "hangup")
    out = tmp_path / "out"
    result = assistant(app, "--lang", "fi", "--from", NEW_CALLER, "--input", str(folder),
                       "--output", str(out))
    text = result.output
    assert result.exit_code == 0, text
    assert text.count("[no speech model for fi: keys only]") == 1
    assert text.count("Tämä laite ei tunnista puhetta tällä kielellä.") == 1
    assert "[heard nothing]" in text  # the spoken "1" is not heard: silence, the choices again
    assert "[typed] keys 1" in text and TITLE in text  # typed keys work
    db.rollback()
    assert db.scalar(select(CallLog).where(CallLog.line == "assistant")) is not None


def test_a_wake_word_starts_the_call(
        app: Flask, db: DbSession, programme: int, ko_model_path: str, tmp_path: Path) -> None:
    folder = answers(tmp_path / "answers", "3", f"word:{WAKE}", "1", "hangup")
    out = tmp_path / "out"
    result = assistant(app, *korean(ko_model_path, folder, out, "--wake", WAKE))
    text = result.output
    assert result.exit_code == 0, text
    assert f"Sano {WAKE} tai paina Enteriä" in text
    assert text.index("[heard] 삼") < text.index(f"[heard] {WAKE}") < text.index("Päävalikko")
    assert TITLE in text  # then 1: the programme
    assert (out / "01-said.txt").read_text().startswith("Sano")


def test_bad_options_are_refused_with_one_line(app: Flask, ko_model_path: str,
                                               tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["assistant", "--model-lang", "ko"])
    assert result.exit_code == 2 and "--model-lang needs --model" in result.output
    result = app.test_cli_runner().invoke(args=["assistant", "--model", str(tmp_path),
                                                "--model-lang", "xx", "--input", str(tmp_path)])
    assert result.exit_code == 2 and "no number words for language 'xx'" in result.output
    result = app.test_cli_runner().invoke(args=[
        "assistant", "--model", ko_model_path, "--model-lang", "ko", "--wake", "herätys",
        "--input", str(tmp_path)])
    assert result.exit_code == 2 and "does not know 'herätys'" in result.output


def test_the_microphone_path_hears_and_the_keyboard_wins(ko_model_path: str,
                                                        tmp_path: Path) -> None:
    """The live layer without a sound device: the recorder command is sox playing a file to
    stdout (as ``rec`` would stream the microphone), the keyboard a pipe."""
    import os

    from voice.assistant_inputs import LiveAnswers
    from voice.recognition import SpeechModel

    ko = SpeechModel("ko", ko_model_path)
    wav = digit_answer("3", tmp_path / "three.wav")
    raw = ["sox", str(wav), "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1",
           "-"]
    read_end, write_end = os.pipe()
    with open(read_end) as keyboard, open(write_end, "w") as typing:
        live = LiveAnswers(record=raw, keyboard=keyboard)
        heard = live.listen(ko.recogniser(ko.phrases(("kolme", "yksi"), "fi")), 7.0)
        assert getattr(heard, "text", None) == "삼"
        typing.write("2\n")
        typing.flush()
        typed = live.listen(ko.recogniser(ko.phrases(("kolme",), "fi")), 7.0)
        assert getattr(typed, "kind", None) == "keys" and getattr(typed, "value", None) == "2"
        hush = LiveAnswers(record=["sox", "-n", *raw[2:], "trim", "0", "5"], keyboard=keyboard)
        started = time.monotonic()
        quiet = hush.listen(ko.recogniser(["삼", "오"]), 0.5)  # no speech within the timeout
        assert getattr(quiet, "text", None) == "" and time.monotonic() - started < 3


def test_cached_audio_is_played_from_the_store_and_the_rest_made_offline(
        app: Flask, db: DbSession, programme: int, tmp_path: Path) -> None:
    from ivr_flows import prompts
    from voice.assistant_cli import run_assistant
    from voice.assistant_inputs import FolderAnswers

    svc = app.extensions["lampio_audio"]
    welcome = prompts.text("fi", "greeting.welcome")
    assert svc.cache.render(welcome, "fi") is not None  # as `lampio audio render` would
    folder = answers(tmp_path / "answers", "hangup")
    lines: list[str] = []
    with app.app_context():
        _, _, speaker = run_assistant(from_number=NEW_CALLER, lang="fi",
                                      answers=FolderAnswers(folder), out_dir=tmp_path / "out",
                                      choose=lambda lang: None, echo=lines.append)
    made = {text for text, _lang, _slow in speaker.made()}
    assert welcome not in made  # played from the prompt cache, not synthesised
    assert "Suomeksi, paina yksi." in made  # not rendered yet: espeak-ng, offline
    assert welcome in (tmp_path / "out" / "01-said.txt").read_text()
    with wave.open(str(tmp_path / "out" / "01-said.wav")) as w:
        assert w.getnframes() > 16000  # the welcome and the language menu, a few seconds


def test_a_live_room_is_explained_aloud_before_the_assistant_leaves_it(
        app: Flask, db: DbSession, tmp_path: Path) -> None:
    """2 (a performance on now) needs a phone: the assistant says so, and how, never a silent
    end; the call ends properly."""
    from catalogue.models import SessionKind

    f.session(db, f.event(db, title="Yhteislaulu", code="555"), starts_in=timedelta(minutes=-5),
              kind=SessionKind.PHONE)
    db.commit()
    folder = answers(tmp_path / "answers", "typed:1", "typed:2", "typed:2")
    out = tmp_path / "out"
    result = assistant(app, "--lang", "fi", "--keys", "--from", NEW_CALLER, "--input",
                       str(folder), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "[a live room needs a phone: the assistant leaves it]" in result.output
    assert "Esitykseen osallistutaan puhelimella." in result.output
    said = (out / "transcript.txt").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted(out.glob("*-said.txt")))
    assert "Soita Lämpiö-puhelimeen ja paina kaksi." in said
    db.rollback()
    call = db.scalar(select(CallLog).where(CallLog.line == "assistant"))
    assert call is not None and call.ended_at is not None
