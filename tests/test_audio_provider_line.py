"""The provider recording line through the real webhooks, with a fake Twilio media server on
loopback and a fake HTTP client under the real Twilio REST client."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from catalogue.models import AudioDescription, Provider
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.phone import MakePhone, Phone, gather_of, played
from tests.test_audio_support import FakeTwilioHttp, MediaServer, as_twilio_wav, espeak_wav, silence
from voice.simulator import Turn

PIN = "2468"
PROVIDER_NUMBER = "+358942000099"
Status = AudioDescription.Status


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("rec")
    src = espeak_wav(tmp / "s.wav", "Tervetuloa konserttiin. Soitamme vanhoja tuttuja lauluja, "
                     "ja voit laulaa mukana kotonasi.", "fi")
    return as_twilio_wav(src, tmp / "twilio.wav").read_bytes()


@pytest.fixture(scope="module")
def silent_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return silence(tmp_path_factory.mktemp("sil") / "quiet.wav", 6).read_bytes()


@pytest.fixture
def twilio(app: Flask) -> Iterator[tuple[MediaServer, FakeTwilioHttp]]:
    svc = service_of(app)
    fake_rest = FakeTwilioHttp()
    svc.recordings.allowed_hosts = frozenset({"127.0.0.1"})
    svc.recordings.http_client = fake_rest.client
    with MediaServer(app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"]) as media:
        yield media, fake_rest


@pytest.fixture
def providers(db: DbSession) -> dict[str, Any]:
    mine = f.provider(db, "Tampereen Teatteri", pin=PIN)
    other = f.provider(db, "Turun Filharmonia", pin="1357")
    own = f.event(db, title="Laulamme yhdessä", prov=mine, code="321")
    theirs = f.event(db, title="Sinfoniakonsertti", prov=other, code="654")
    db.commit()
    return {"mine": mine.id, "other": other.id, "own": own.id, "theirs": theirs.id}


def recording_url(media: MediaServer, app: Flask, body: bytes) -> tuple[str, str]:
    sid = "RE" + uuid.uuid4().hex
    path = f"/2010-04-01/Accounts/{app.config['TWILIO_ACCOUNT_SID']}/Recordings/{sid}"
    return media.add(path, body), sid


def sign_in(phone: Phone, providers: dict[str, Any], pin: str = PIN) -> Turn:
    t = phone.call("/voice/provider/incoming")
    assert "tallennuslinja" in t.text and "palveluntuottajanumerosi" in t.text
    assert gather_of(t).get("finishOnKey") == "#" and gather_of(t).get("input") == "dtmf"
    t = phone.press(str(providers["mine"]))
    assert "PIN-koodisi" in t.text
    return phone.press(pin)


def to_recording(phone: Phone, providers: dict[str, Any]) -> Turn:
    t = sign_in(phone, providers)
    assert "Kirjautuminen onnistui" in t.text and "koodi" in t.text
    t = phone.press("321")
    assert "Laulamme yhdessä" in t.text and "Suomeksi, paina yksi" in t.text
    t = phone.press("1")
    rec = t.record
    assert rec is not None, t.body
    assert rec.get("maxLength") == "180" and rec.get("finishOnKey") == "#"
    assert rec.get("playBeep") == "true"
    assert "äänimerkin jälkeen" in t.text
    return t


@pytest.fixture
def provider_phone(make_phone: MakePhone) -> Phone:
    return make_phone(from_number="+358401112233", to=PROVIDER_NUMBER)


def test_record_hear_back_and_keep(app: Flask, db: DbSession, provider_phone: Phone,
                                   providers: dict[str, Any], twilio: tuple[MediaServer, FakeTwilioHttp],
                                   speech_wav: bytes) -> None:
    media, rest = twilio
    to_recording(provider_phone, providers)
    url, _ = recording_url(media, app, speech_wav)
    t = provider_phone.recorded(url, duration=6)
    # Downloaded with the account's credentials, then deleted at Twilio with the REST client.
    assert [(m, p) for m, p, _ in media.requests] == [("GET", url.replace(media.base, "") + ".wav")]
    assert media.requests[0][2] and media.requests[0][2].startswith("Basic ")
    assert len(rest.requests) == 1 and rest.requests[0][0] == "DELETE"
    assert re.fullmatch(r"https://api\.twilio\.com/2010-04-01/Accounts/"
                        + app.config["TWILIO_ACCOUNT_SID"] + r"/Recordings/RE[0-9a-f]{32}\.json",
                        rest.requests[0][1])
    # Played back from our storage, then 1 keep / 2 again / 3 cancel.
    play = played(t)
    assert len(play) == 1 and "/audio/recordings/" in play[0]
    assert "Kuuntele tallenteesi" in t.text and "paina yksi" in t.text and "paina kolme" in t.text
    desc = db.scalars(select(AudioDescription)).one()
    assert desc.status == Status.PENDING
    path = service_of(app).storage.path(desc.storage_path)
    assert path.is_file() and 5 < desc.duration_seconds < 9

    t = provider_phone.press("1")
    assert "Tallenne on tallessa" in t.text and "koodi" in t.text  # ready for another event
    db.rollback()
    desc = db.scalars(select(AudioDescription)).one()
    assert desc.status == Status.AWAITING_REVIEW
    assert (desc.event_id, desc.provider_id, desc.lang) == (providers["own"], providers["mine"], "fi")
    assert desc.source == AudioDescription.Source.PHONE
    assert desc.transcript_status == AudioDescription.TranscriptStatus.PENDING


def test_recording_file_is_served(app: Flask, client: FlaskClient, db: DbSession, provider_phone: Phone,
                                  providers: dict[str, Any], twilio: tuple[MediaServer, FakeTwilioHttp],
                                  speech_wav: bytes) -> None:
    media, _ = twilio
    to_recording(provider_phone, providers)
    t = provider_phone.recorded(recording_url(media, app, speech_wav)[0], duration=6)
    play = played(t)[0]
    resp = client.get(play.replace("https://phone.example.test", ""))
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg" and len(resp.data) > 1000


def test_wrong_pin_then_right(db: DbSession, provider_phone: Phone, providers: dict[str, Any]) -> None:
    t = sign_in(provider_phone, providers, pin="1111")
    assert "eivät täsmää" in t.text and t.gather is not None and not t.hangs_up
    assert "palveluntuottajanumerosi" in t.text  # both asked again: which was wrong is not told
    assert db.get_one(Provider, providers["mine"]).pin_failures == 1
    db.rollback()
    provider_phone.press(str(providers["mine"]))
    t = provider_phone.press(PIN)
    assert "Kirjautuminen onnistui" in t.text
    db.rollback()
    assert db.get_one(Provider, providers["mine"]).pin_failures == 0


def test_five_wrong_pins_lock_for_15_minutes(db: DbSession, provider_phone: Phone,
                                             providers: dict[str, Any]) -> None:
    """More in tests/test_provider_pin.py (parallel guesses, the provider's own phone)."""
    t = sign_in(provider_phone, providers, pin="0000")
    for _ in range(4):
        provider_phone.press(str(providers["mine"]))
        t = provider_phone.press("9999")
    assert "lukittu" in t.text and not t.hangs_up and t.gather is not None
    db.rollback()
    prov = db.get_one(Provider, providers["mine"])
    assert prov.pin_locked_until is not None
    assert timedelta(minutes=14) < prov.pin_locked_until - utcnow() <= timedelta(minutes=15)


def test_unknown_provider_number(provider_phone: Phone, providers: dict[str, Any]) -> None:
    provider_phone.call("/voice/provider/incoming")
    t = provider_phone.press("987654")
    assert "PIN-koodisi" in t.text and t.gather is not None  # not told until after the PIN
    t = provider_phone.press(PIN)
    assert "eivät täsmää" in t.text and t.gather is not None


def test_another_providers_event_code_is_refused(db: DbSession, provider_phone: Phone,
                                                 providers: dict[str, Any]) -> None:
    sign_in(provider_phone, providers)
    t = provider_phone.press("654")
    assert "ei ole teidän tapahtumanne" in t.text and "kuusi, viisi, neljä" in t.text
    assert t.record is None and t.gather is not None
    t = provider_phone.press("999")
    assert "ei löytynyt tapahtumaa" in t.text
    t = provider_phone.say("kolme kaksi yksi")
    assert "Laulamme yhdessä" in t.text


def test_empty_and_silent_recordings_are_explained_and_offered_again(
        app: Flask, db: DbSession, provider_phone: Phone, providers: dict[str, Any],
        twilio: tuple[MediaServer, FakeTwilioHttp], silent_wav: bytes) -> None:
    media, rest = twilio
    to_recording(provider_phone, providers)
    t = provider_phone.recorded(None)  # nothing recorded: Twilio falls through to the redirect
    assert "ei kuulunut puhetta" in t.text and t.record is not None
    t = provider_phone.recorded(recording_url(media, app, silent_wav)[0], duration=6)
    assert "ei kuulunut puhetta" in t.text and t.record is not None
    assert len(rest.requests) == 1  # the silent take was still removed from Twilio
    assert db.scalars(select(AudioDescription)).all() == []
    assert not any((service_of(app).storage.root / "recordings").glob("*.mp3"))
    t = provider_phone.recorded(None)  # a third empty take: back to choosing an event
    assert "ei nyt onnistunut" in t.text and t.record is None and t.gather is not None


def test_short_take_is_empty(app: Flask, db: DbSession, provider_phone: Phone, providers: dict[str, Any],
                             twilio: tuple[MediaServer, FakeTwilioHttp], speech_wav: bytes,
                             tmp_path: Path) -> None:
    media, _ = twilio
    short = as_twilio_wav(espeak_wav(tmp_path / "s.wav", "Hei", "fi"), tmp_path / "t.wav")
    to_recording(provider_phone, providers)
    t = provider_phone.recorded(recording_url(media, app, short.read_bytes())[0], duration=1)
    assert "ei kuulunut puhetta" in t.text and t.record is not None


def test_record_again_replaces_the_take(app: Flask, db: DbSession, provider_phone: Phone,
                                        providers: dict[str, Any], twilio: tuple[MediaServer, FakeTwilioHttp],
                                        speech_wav: bytes) -> None:
    media, _ = twilio
    to_recording(provider_phone, providers)
    provider_phone.recorded(recording_url(media, app, speech_wav)[0], duration=6)
    first = db.scalars(select(AudioDescription)).one().storage_path
    t = provider_phone.press("2")
    assert t.record is not None and "äänimerkin jälkeen" in t.text
    assert not service_of(app).storage.exists(first)
    provider_phone.recorded(recording_url(media, app, speech_wav)[0], duration=6)
    t = provider_phone.press("1")
    db.rollback()
    rows = db.scalars(select(AudioDescription)).all()
    assert len(rows) == 1 and rows[0].storage_path != first
    assert rows[0].status == Status.AWAITING_REVIEW


def test_cancel_keeps_nothing(app: Flask, db: DbSession, provider_phone: Phone, providers: dict[str, Any],
                              twilio: tuple[MediaServer, FakeTwilioHttp], speech_wav: bytes) -> None:
    media, _ = twilio
    to_recording(provider_phone, providers)
    provider_phone.recorded(recording_url(media, app, speech_wav)[0], duration=6)
    t = provider_phone.say("peruuta")
    assert "peruttiin" in t.text
    db.rollback()
    assert db.scalars(select(AudioDescription)).all() == []
    assert not any((service_of(app).storage.root / "recordings").glob("*.mp3"))


def test_foreign_media_host_is_never_sent_credentials(app: Flask, db: DbSession, provider_phone: Phone,
                                                      providers: dict[str, Any],
                                                      twilio: tuple[MediaServer, FakeTwilioHttp]) -> None:
    to_recording(provider_phone, providers)
    t = provider_phone.recorded("https://evil.example/2010-04-01/Accounts/AC1/Recordings/RE1", duration=6)
    assert "ei onnistunut" in t.text and t.record is not None


def test_no_hidden_key_to_the_line_in_the_callers_main_menu(db: DbSession, phone: Phone,
                                                            providers: dict[str, Any]) -> None:
    """Issue 10: 9 is the way back to the main menu, never the providers' PIN line."""
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    phone.call()
    t = phone.press("9")
    assert "tallennuslinja" not in t.text and "Päävalikko." in t.text


def test_media_url_rules(app: Flask) -> None:
    from audio.recordings import RecordingError

    rec = service_of(app).recordings
    assert rec._media_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1") \
        == "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav"
    assert rec._media_url("https://api.dublin.ie1.twilio.com/x/RE1.mp3").endswith("RE1.mp3")
    for bad in ("http://api.twilio.com/x/RE1", "https://twilio.com.evil.example/RE1",
                "https://127.0.0.1/RE1", "file:///etc/passwd"):
        with pytest.raises(RecordingError):
            rec._media_url(bad)
