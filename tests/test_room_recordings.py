"""A live room's recording (issue 9, part H): Twilio's signed recording status callback fetches
it through a fake media server and a fake REST client, makes a pending recording session, and
staff approval in the admin makes it playable by phone; providers upload audio for their own
recording sessions."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from catalogue.models import Session, SessionAudio, SessionKind
from catalogue.timeutil import to_local
from tests import factories as f
from tests.admin_support import login, post, provider_user, staff
from tests.phone import MakePhone, Phone, played
from tests.test_audio_support import FakeTwilioHttp, MediaServer, espeak_wav, ffmpeg, tone
from voice.simulator import Turn

Status = SessionAudio.Status
Twilio = tuple[MediaServer, FakeTwilioHttp]  # the ``twilio`` fixture: media server, REST client


@pytest.fixture(scope="module")
def room_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("room")
    src = espeak_wav(tmp / "s.wav", "Tervetuloa runoiltaan. " * 6, "fi")
    ffmpeg("-i", str(src), "-ar", "8000", "-ac", "1", "-b:a", "32k", str(tmp / "twilio.mp3"))
    return (tmp / "twilio.mp3").read_bytes()  # what Twilio serves for RecordingUrl + ".mp3"


@pytest.fixture
def twilio(app: Flask) -> Iterator[Twilio]:
    svc = service_of(app)
    fake_rest = FakeTwilioHttp()
    svc.recordings.allowed_hosts = frozenset({"127.0.0.1"})
    svc.recordings.http_client = fake_rest.client
    with MediaServer(app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"]) as media:
        yield media, fake_rest


@pytest.fixture
def live(db: DbSession) -> Session:
    f.caller(db, "+358912345678", language="fi")
    ev = f.event(db, title="Runoilta puhelimessa", code="777")
    s = f.session(db, ev, starts_in=timedelta(hours=-2), minutes=60, kind=SessionKind.PHONE)
    db.commit()
    return s


def callback(phone: Phone, session_id: int, url: str, sid: str, status: str = "completed") -> Turn:
    return phone.post(f"/voice/room/recorded?session={session_id}",
                      {"RecordingUrl": url, "RecordingSid": sid, "RecordingStatus": status,
                       "RecordingDuration": "9", "RecordingSource": "Conference"})


def serve(app: Flask, media: MediaServer, body: bytes) -> tuple[str, str]:
    sid = "RE" + uuid.uuid4().hex
    path = f"/2010-04-01/Accounts/{app.config['TWILIO_ACCOUNT_SID']}/Recordings/{sid}"
    media.files[path + ".mp3"] = body
    return media.base + path, sid


def test_room_recording_awaits_approval_then_plays(app: Flask, db: DbSession, client: FlaskClient,
                                                   phone: Phone, make_phone: MakePhone,
                                                   live: Session, twilio: Twilio,
                                                   room_wav: bytes) -> None:
    app.config["RECORDING_PART_SECONDS"] = 30
    media, rest = twilio
    url, sid = serve(app, media, room_wav)
    phone.sign = False
    assert callback(phone, live.id, url, sid).status == 403  # unsigned: refused, nothing fetched
    assert media.requests == []
    phone.sign = True
    assert callback(phone, live.id, url, sid, status="absent").status == 204
    assert media.requests == []
    assert callback(phone, live.id, url, sid).status == 204
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in media.requests] == [("GET", sid + ".mp3")]
    assert media.requests[0][2] and media.requests[0][2].startswith("Basic ")
    assert [m for m, _ in rest.requests] == ["DELETE"] and sid in rest.requests[0][1]
    assert callback(phone, live.id, url, sid).status == 204  # Twilio retried: stored once
    assert len(media.requests) == 1

    db.rollback()
    audio = db.scalars(select(SessionAudio)).one()
    rec = audio.session
    assert (audio.status, audio.source, audio.from_session_id) == (Status.PENDING,
                                                                   SessionAudio.Source.ROOM, live.id)
    assert rec.kind == SessionKind.RECORDING and rec.event_id == live.event_id
    assert rec.starts_at == live.ends_at and rec.ends_at == live.ends_at + timedelta(days=14)
    assert len(audio.parts) >= 1 and audio.part_seconds == 30
    for name in audio.parts:
        assert service_of(app).storage.exists(name)

    caller = make_phone()
    caller.call()
    t = caller.press("2")
    assert "ei ole kuunneltavia tallenteita" in t.text  # pending: not offered

    db.rollback()  # a fresh snapshot before writing (SQLite WAL)
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    page = client.get("/admin/listen").get_data(as_text=True)
    assert "Runoilta puhelimessa" in page and "odottaa tarkistusta" in page
    week = f"/admin/hear?week={to_local(rec.starts_at).date().isoformat()}"
    assert "Voit kuunnella sitä" not in client.get(week).get_data(as_text=True)  # not offered yet
    one = client.get(f"/admin/listen/{audio.id}").get_data(as_text=True)
    assert service_of(app).recording_url(audio.storage_path) in one
    bad = post(client, f"/admin/listen/{audio.id}/review", {"decision": "reject", "reason": ""},
               page=f"/admin/listen/{audio.id}")
    assert bad.status_code == 400
    ok = post(client, f"/admin/listen/{audio.id}/review", {"decision": "approve", "reason": ""},
              page=f"/admin/listen/{audio.id}")
    assert ok.status_code == 302
    assert "Voit kuunnella sitä" in client.get(week).get_data(as_text=True)  # as the phone offers it

    caller = make_phone()
    caller.call()
    t = caller.press("2")
    assert "Runoilta puhelimessa" in t.text
    t = caller.press("1")
    plays = played(t)
    assert plays == ["https://phone.example.test" + service_of(app).recording_url(audio.parts[0])]


def test_a_forged_recording_host_collects_nothing(app: Flask, db: DbSession, phone: Phone,
                                                  live: Session, twilio: Twilio) -> None:
    media, rest = twilio
    t = callback(phone, live.id, "https://evil.example.com/2010-04-01/Recordings/RE1", "RE" + "1" * 32)
    assert t.status == 204 and media.requests == [] and rest.requests == []
    db.rollback()
    assert db.scalars(select(SessionAudio)).all() == []
    assert db.scalars(select(Session).where(Session.kind == SessionKind.RECORDING)).all() == []


def test_provider_uploads_audio_for_own_recording_session(app: Flask, db: DbSession,
                                                          client: FlaskClient,
                                                          tmp_path: Path) -> None:
    mine = f.provider(db, "Runoilija")
    theirs = f.provider(db, "Muu")
    own = f.session(db, f.event(db, title="Omat runot", prov=mine), starts_in=timedelta(days=-1),
                    minutes=7 * 24 * 60, kind=SessionKind.RECORDING, capacity=None)
    other = f.session(db, f.event(db, title="Vieras", prov=theirs), starts_in=timedelta(days=-1),
                      minutes=7 * 24 * 60, kind=SessionKind.RECORDING, capacity=None)
    provider_user(db, mine)
    db.commit()
    login(client, "prov@example.test")
    form = client.get("/admin/listen/upload").get_data(as_text=True)
    assert "Omat runot" in form and "Vieras" not in form
    wav = tone(tmp_path / "t.wav", 45)
    resp = post(client, "/admin/listen/upload",
                {"session_id": str(other.id), "audio": (wav.open("rb"), "t.wav")},
                page="/admin/listen/upload", content_type="multipart/form-data")
    assert resp.status_code == 400  # not one of theirs: not a choice
    not_audio = post(client, "/admin/listen/upload",
                     {"session_id": str(own.id), "audio": (open(__file__, "rb"), "x.mp3")},
                     page="/admin/listen/upload", content_type="multipart/form-data")
    assert not_audio.status_code == 400 and "ei ole äänitiedosto" in not_audio.get_data(as_text=True)
    resp = post(client, "/admin/listen/upload",
                {"session_id": str(own.id), "audio": (wav.open("rb"), "t.wav")},
                page="/admin/listen/upload", content_type="multipart/form-data")
    assert resp.status_code == 302
    db.rollback()
    audio = db.scalars(select(SessionAudio)).one()
    assert audio.session_id == own.id and audio.status == Status.PENDING
    page = client.get(f"/admin/listen/{audio.id}").get_data(as_text=True)
    assert "Omat runot" in page and "review_session_audio" not in page
    assert f'action="/admin/listen/{audio.id}/review"' not in page  # no decision for a provider
    assert post(client, f"/admin/listen/{audio.id}/review", {"decision": "approve", "reason": ""},
                page="/admin/listen").status_code == 403
    assert client.get(f"/admin/listen/{audio.id + 1000}").status_code == 404
