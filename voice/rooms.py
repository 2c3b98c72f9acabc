"""The live rooms' webhooks: the calm waiting audio, the conference's status callbacks
(attendance) and the "you can speak now" announcement.

The waiting sound is made here, offline, once: a few soft chimes with long silences, written as
a small WAV into audio storage and served to Twilio, which loops it until the host comes in.
"""
from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

from flask import Response, abort, current_app, request, send_file, url_for
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from catalogue import rooms
from catalogue.db import begin_write, get_db
from catalogue.models import CallLog, Session
from catalogue.timeutil import utcnow
from ivr_flows import prompts

from ivr_flows.matching import ascii_digits

from .security import twilio_signed
from .twiml import add_speech

WAITING_NAME = "rooms/waiting.wav"
RATE = 8000
CHIMES = (523.25, 659.25, 783.99, 659.25)  # C5 E5 G5 E5, one every four seconds


def waiting_sound() -> bytes:
    """Sixteen seconds of gentle chimes (a decaying sine each), mono 16-bit at 8 kHz."""
    frames = bytearray()
    for freq in CHIMES:
        for i in range(RATE * 4):
            t = i / RATE
            level = 0.18 * math.exp(-t * 1.6) * min(1.0, t * 40)
            frames += struct.pack("<h", int(32767 * level * math.sin(2 * math.pi * freq * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


def waiting_path() -> Path:
    """The cached waiting sound, made on first use."""
    path = Path(current_app.config["AUDIO_DIR"]) / WAITING_NAME
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(waiting_sound())
        tmp.replace(path)
    return path


def _absolute(path: str) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return (base or request.host_url.rstrip("/")) + path


class _Urls:
    def turn(self, event: str | None = None) -> str:
        return url_for("voice.turn", event=event) if event else url_for("voice.turn")

    def absolute(self, path: str) -> str:
        return path if path.startswith("http") else _absolute(path)


def _xml(vr: VoiceResponse) -> Response:
    return Response(str(vr), mimetype="text/xml")


@twilio_signed
def wait() -> Response:
    """``waitUrl``: loop the calm sound until the host starts the room."""
    waiting_path()
    vr = VoiceResponse()
    vr.play(_absolute(url_for("voice.room_waiting_sound")), loop=0)
    return _xml(vr)


def waiting_sound_file() -> Response:
    """The sound itself (Twilio fetches ``<Play>`` media without a signature)."""
    resp = send_file(waiting_path(), mimetype="audio/wav", conditional=True, max_age=86400)
    resp.cache_control.public = True
    return resp


@twilio_signed
def announce() -> Response:
    """Played to a caller the host has just unmuted."""
    lang = request.args.get("lang", "fi")
    lang = lang if lang in prompts.LANGUAGES else "fi"
    vr = VoiceResponse()
    add_speech(vr, prompts.segments(lang, "live.speak_now"),
               current_app.extensions.get("lampio_audio"), _Urls())
    return _xml(vr)


@twilio_signed
def events() -> Response:
    """The conference's status callbacks: start, end, a participant came or left."""
    session_id = request.args.get("session", "")
    if not ascii_digits(session_id):
        abort(400)
    db = get_db()
    begin_write(db)
    if db.get(Session, int(session_id)) is None:
        return Response("", status=204)
    form = request.form
    call_sid = form.get("CallSid", "")
    caller_id = db.scalar(select(CallLog.caller_id).where(CallLog.call_sid == call_sid)) \
        if call_sid else None
    muted = form.get("Muted")
    rooms.on_event(db, int(session_id), form.get("StatusCallbackEvent", ""),
                   conference_sid=form.get("ConferenceSid", ""), call_sid=call_sid,
                   caller_id=caller_id, muted=None if muted is None else muted == "true",
                   now=utcnow())
    db.commit()
    return Response("", status=204)
