"""Recordings by phone (issue 9, part H) through the real webhooks with the simulated phone:
the recordings that can be heard now, the player's parts (3 next, 1 again, 4 previous, * repeat),
continuing on a later call, and that audio nobody approved never plays."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from audio.session_audio import part_spans, store_upload
from catalogue import listening
from catalogue.models import ListeningPosition, Session, SessionAudio, SessionKind
from tests import factories as f
from tests.phone import MakePhone, Phone, played
from tests.test_audio_support import tone

Source = SessionAudio.Source


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("tone") / "tone.wav", 50)


def recording(db: DbSession, title: str = "Runoja kotiin", *, days_open: float = 6,
              starts_in: timedelta = timedelta(days=-1), code: str | None = None) -> Session:
    ev = f.event(db, title=title, code=code)
    return f.session(db, ev, starts_in=starts_in, minutes=int(days_open * 24 * 60),
                     kind=SessionKind.RECORDING, capacity=None)


def with_audio(app: Flask, db: DbSession, session: Session, wav: Path, *, approve: bool = True,
               part_seconds: int = 20) -> SessionAudio:
    stored = store_upload(service_of(app).storage, wav, part_seconds)
    audio = listening.create_audio(db, session, stored.whole, stored.parts, stored.part_seconds,
                                   stored.duration, Source.UPLOAD)
    if approve:
        listening.review(db, audio, approve=True)
    db.commit()
    return audio


def test_parts_are_equal_and_have_no_short_tail() -> None:
    assert part_spans(50, 20) == [(0, 50 / 3), (50 / 3, 50 / 3), (100 / 3, 50 / 3)]
    assert len(part_spans(44, 20)) == 2  # 4 s left over would be a tiny part: not one of its own
    assert part_spans(60, 180) == [(0, 60)]


def test_upload_is_split_into_separately_served_parts(app: Flask, client: FlaskClient,
                                                      db: DbSession, tone_wav: Path) -> None:
    audio = with_audio(app, db, recording(db), tone_wav)
    assert len(audio.parts) == 3 and audio.duration_seconds == 50
    storage = service_of(app).storage
    from audio.storage import probe
    lengths = [probe(storage.path(p)).duration for p in audio.parts]
    assert all(15.5 < n < 18 for n in lengths), lengths
    url = service_of(app).recording_url(audio.parts[1])
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg" and resp.headers["ETag"]
    ranged = client.get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100


def test_take_part_now_lists_recordings_and_plays_them_in_parts(app: Flask, db: DbSession,
                                                                phone: Phone,
                                                                tone_wav: Path) -> None:
    f.caller(db, "+358912345678", language="fi")
    rec = recording(db, "Runoja kotiin")
    audio = with_audio(app, db, rec, tone_wav)
    other = recording(db, "Äänikirjahetki", days_open=7)
    with_audio(app, db, other, tone_wav, part_seconds=60)
    recording(db, "Ei hyväksytty")  # no audio at all: never offered
    db.commit()
    phone.call()
    t = phone.press("2")
    assert "Nyt voit kuunnella kaksi tallennetta" in t.text
    assert "Runoja kotiin" in t.text and "Voit kuunnella sitä" in t.text and "asti" in t.text
    assert "Äänikirjahetki" not in t.text and "Jos haluat kuunnella, paina yksi" in t.text
    t = phone.press("3")
    # the last one: the way on is the main menu, on its key everywhere (9)
    assert "Äänikirjahetki" in t.text and "Jos haluat päävalikkoon, paina yhdeksän" in t.text
    assert "paina kolme" not in t.text
    t = phone.press("9")
    assert "Muita tallenteita ei ole" in t.text and "Päävalikko" in t.text
    t = phone.press("2")
    t = phone.press("1")  # listen to "Runoja kotiin"
    assert "Tallenteessa on kolme osaa" in t.text and "Osa yksi" in t.text
    urls = [service_of(app).recording_url(p) for p in audio.parts]
    assert played(t) == ["https://phone.example.test" + urls[0]]
    assert t.root is not None and t.gather is not None
    assert t.root.find("Gather/Play") is not None  # keys work while it plays
    assert "Jos haluat kuulla seuraavan osan, paina kolme" in t.text and "Edelliseen osaan" not in t.text
    t = phone.press("3")
    assert played(t) == ["https://phone.example.test" + urls[1]] and "Osa kaksi" in t.text
    assert "Jos haluat kuulla edellisen osan, paina neljä" in t.text
    t = phone.press("*")
    assert played(t) == ["https://phone.example.test" + urls[1]]
    t = phone.press("1")
    assert played(t) == ["https://phone.example.test" + urls[1]]
    t = phone.press("4")
    assert played(t) == ["https://phone.example.test" + urls[0]]
    phone.press("3")
    t = phone.press("3")
    assert played(t) == ["https://phone.example.test" + urls[2]]
    assert "Tallenne päättyi" in t.text and "Jos haluat päävalikkoon, paina yhdeksän" in t.text
    t = phone.silence()  # never a hang-up: a simpler reprompt
    assert t.gather is not None and not played(t)
    assert "Päävalikko yhdeksän, uudelleen yksi" in t.text
    t = phone.press("9")
    assert "Päävalikko" in t.text
    assert db.scalars(select(ListeningPosition)).all() == []  # heard to the end: start over


def test_a_later_call_continues_where_the_caller_stopped(app: Flask, db: DbSession,
                                                         make_phone: MakePhone,
                                                         tone_wav: Path) -> None:
    f.caller(db, "+358912345678", language="fi")
    rec = recording(db, code="301")
    audio = with_audio(app, db, rec, tone_wav)
    first = make_phone()
    first.call()
    first.press("4")
    t = first.press("301#")  # an event code of a recording goes straight to the player
    assert "Osa yksi" in t.text
    first.press("3")
    first.press("3")
    first.hang_up()
    again = make_phone()
    again.call()
    again.press("4")
    t = again.press("301#")
    assert "Olet kuunnellut tätä tallennetta ennenkin" in t.text
    assert "Jos haluat jatkaa osasta kolme, paina yksi" in t.text and "alusta, paina kaksi" in t.text
    assert not played(t)
    t = again.press("1")
    assert played(t)[0].endswith(service_of(app).recording_url(audio.parts[2]))
    third = make_phone()
    third.call()
    third.press("4")
    third.press("301#")
    t = third.press("2")
    assert played(t)[0].endswith(service_of(app).recording_url(audio.parts[0]))


def test_unapproved_audio_never_plays(app: Flask, db: DbSession, phone: Phone,
                                      tone_wav: Path) -> None:
    f.caller(db, "+358912345678", language="fi")
    pending = recording(db, "Odottaa", code="401")
    with_audio(app, db, pending, tone_wav, approve=False)
    rejected = recording(db, "Hylätty", code="402")
    audio = with_audio(app, db, rejected, tone_wav, approve=False)
    listening.review(db, audio, approve=False, reason="huono ääni")
    db.commit()
    phone.call()
    t = phone.press("2")
    assert "ei ole kuunneltavia tallenteita" in t.text and not played(t)
    t = phone.press("1")  # the programme does not offer them either
    assert "Odottaa" not in t.text and "Hylätty" not in t.text
    t = phone.post("/voice/turn?event=restart")
    phone.press("4")
    t = phone.press("401#")
    assert not played(t) and "Osa yksi" not in t.text and "ei ole tulevia" in t.text
    # A player reached by a stale URL still refuses: only approved audio ever plays.
    assert listening.playable(db, pending.id, pending.starts_at + timedelta(hours=1)) is None


@pytest.mark.parametrize("name,value", [("RECORDING_PART_SECONDS", "three"),
                                        ("RECORDING_PART_SECONDS", "5"),
                                        ("RECORDING_LISTEN_DAYS", "0")])
def test_a_bad_recording_setting_stops_the_app_naming_it(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, name: str,
                                                         value: str) -> None:
    from app import SettingError, create_app

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as stopped:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": True})
    message = str(stopped.value)
    assert name in message and "\n" not in message


def test_recording_settings_default_and_are_read_from_the_environment(
        app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app import create_app

    assert (app.config["RECORDING_PART_SECONDS"], app.config["RECORDING_LISTEN_DAYS"]) == (180, 14)
    monkeypatch.setenv("RECORDING_LISTEN_DAYS", " 30 ")
    other = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'y.sqlite3'}", "TESTING": True,
                        "AUDIO_DIR": str(tmp_path / "audio")})
    assert other.config["RECORDING_LISTEN_DAYS"] == 30
    other.extensions["lampio_engine"].dispose()


def test_a_recording_still_to_open_is_announced_without_a_listen_key(app: Flask, db: DbSession,
                                                                     phone: Phone,
                                                                     tone_wav: Path) -> None:
    f.caller(db, "+358912345678", language="fi")
    later = recording(db, "Ensi viikon runot", starts_in=timedelta(days=2), code="501")
    with_audio(app, db, later, tone_wav)
    unapproved = recording(db, "Ei vielä", starts_in=timedelta(days=2), code="502")
    with_audio(app, db, unapproved, tone_wav, approve=False)
    phone.call()
    phone.press("4")
    t = phone.press("501#")
    assert "Ensi viikon runot" in t.text and "Voit kuunnella sitä" in t.text and not played(t)
    assert "paina kaksi" not in t.text and "Jos haluat kuulla seuraavan, paina kolme" in t.text
    phone.post("/voice/turn?event=restart")
    phone.press("4")
    t = phone.press("502#")
    assert "ei ole tulevia" in t.text and not played(t)
