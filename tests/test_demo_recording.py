"""The demo programme's recording has real audio, made offline (espeak-ng and ffmpeg) by the audio
layer and approved, and it plays in the simulated phone (issue 9, part H)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from audio.demo_audio import ensure_demo_audio
from audio.storage import probe
from catalogue import listening
from catalogue.demo import load_demo
from catalogue.models import Event, SessionAudio, SessionKind
from catalogue.timeutil import utcnow
from tests.phone import Phone, played


def test_demo_recording_is_read_aloud_approved_and_plays(app: Flask, db: DbSession,
                                                         phone: Phone) -> None:
    load_demo(db, utcnow())
    db.commit()
    event = db.scalars(select(Event).where(Event.code == "301")).one()
    recs = [s for s in event.sessions if s.kind == SessionKind.RECORDING]
    now = utcnow()
    if not any(s.starts_at <= now < s.ends_at for s in recs):
        # Between Sunday 18:00 and Monday 10:00 no demo window is open: open the first one.
        recs[0].starts_at = now - timedelta(hours=1)
    db.commit()
    assert ensure_demo_audio(app) == len(recs)
    assert ensure_demo_audio(app) == 0  # a rerun adds nothing
    db.rollback()
    audios = db.scalars(select(SessionAudio)).all()
    assert {a.status for a in audios} == {SessionAudio.Status.APPROVED}
    whole = service_of(app).storage.path(audios[0].storage_path)
    assert probe(whole).duration >= 60  # a minute or more of real audio
    assert len(listening.open_recordings(db, utcnow())) == 1

    t = phone.call()
    assert "Hei Aino" in t.text  # a demo caller: Finnish, known
    t = phone.press("4")
    t = phone.press("301#")
    plays = played(t)
    assert len(plays) == 1 and "/audio/recordings/" in plays[0]
    assert "Runoja kotiin" in t.text
    t = phone.press("3")  # one part at the default length: on to the main menu
    assert "Päävalikko" in t.text
