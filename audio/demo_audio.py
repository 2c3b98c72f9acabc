"""The demo programme's recording with real audio, made offline at set-up: a poem read aloud by
espeak-ng between two short tones (ffmpeg), stored in parts like any recording and approved, so
that a fresh install (``python app.py``, ``lampio audio render``) has a recording the simulator
can play. The demo data (``catalogue/demo_programme.json``) marks it with ``demo_audio``; the
catalogue itself makes no audio."""
from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from catalogue import listening
from catalogue.db import begin_write, session_scope
from catalogue.demo import load_data
from catalogue.models import Event, Session, SessionAudio, SessionKind

from . import storage as st
from .session_audio import StoredParts, split_stored

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("lampio.audio.demo")
WORDS_PER_MINUTE = 130  # a little slower than DESIGN rule 4's 150: it is a poem


def _ffmpeg(*args: str) -> None:
    st._run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args])


def make_reading(storage: st.AudioStorage, voice: str, text: str, part_seconds: int) -> StoredParts:
    """Read ``text`` aloud with espeak-ng between two tones; store it whole and in parts."""
    with tempfile.TemporaryDirectory(prefix="lampio-demo-") as tmp:
        speech, bell, whole = Path(tmp) / "speech.wav", Path(tmp) / "tone.wav", Path(tmp) / "all.wav"
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(speech),
                            text], check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            raise st.AudioError(f"espeak-ng failed: {exc}") from exc
        _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=523:sample_rate={st.SAMPLE_RATE}:duration=2",
                "-af", "afade=t=out:st=1.5:d=0.5,volume=0.3", "-ac", "1", str(bell))
        _ffmpeg("-i", str(bell), "-i", str(speech), "-i", str(bell), "-filter_complex",
                "[0:a]aresample=22050[a];[1:a]aresample=22050[b];[2:a]aresample=22050[c];"
                "[a][b][c]concat=n=3:v=0:a=1", "-ac", "1", str(whole))
        name = st.new_recording_name()
        duration = st.store_converted(storage, whole, name)
    return split_stored(storage, name, duration, part_seconds)


def _specs() -> list[dict[str, Any]]:
    return [e for e in load_data()["events"] if e.get("demo_audio")]


def ensure_demo_audio(app: Flask) -> int:
    """Give the demo recording sessions that have no audio yet the read poem, approved. Returns
    how many sessions got audio; a machine without espeak-ng or ffmpeg logs it and goes on."""
    svc = app.extensions["lampio_audio"]
    part_seconds = int(app.config["RECORDING_PART_SECONDS"])
    added = 0
    with session_scope(app) as db:
        for spec in _specs():
            event = db.scalar(select(Event).where(Event.code == spec["code"],
                                                  Event.title_fi == spec["title"]["fi"]))
            if event is None:
                continue
            have = set(db.scalars(select(SessionAudio.session_id)))
            bare = [s for s in event.sessions
                    if s.kind == SessionKind.RECORDING and s.id not in have]
            if not bare:
                continue
            ids = [s.id for s in bare]
            db.commit()  # hold no transaction while the audio is made
            try:
                stored = make_reading(svc.storage, spec["demo_audio"]["voice"],
                                      spec["demo_audio"]["text"], part_seconds)
            except st.AudioError as exc:
                log.warning("demo recording not made: %s", exc)
                continue
            begin_write(db)
            for session in (db.get(Session, i) for i in ids):
                if session is None:
                    continue
                audio = listening.create_audio(db, session, stored.whole, stored.parts,
                                               stored.part_seconds, stored.duration,
                                               SessionAudio.Source.DEMO)
                listening.review(db, audio, approve=True, reason="demo")
                added += 1
    return added
