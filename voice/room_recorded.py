"""``POST /voice/room/recorded?session=<id>``: Twilio's recording status callback for a live
room that may be recorded.

The recording is fetched into our storage with the provider line's safe download (allowed hosts
only, our credentials, deleted at Twilio afterwards), split into parts, and becomes the audio of a
recording session of the same event, heard for ``RECORDING_LISTEN_DAYS`` after the live session
ends. It awaits staff approval in the admin: nothing is offered to callers before that.
"""
from __future__ import annotations

import logging

from flask import Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audio.recordings import RecordingError
from audio.session_audio import fetch_room_recording
from catalogue import listening
from catalogue.db import begin_write, get_db
from catalogue.models import Session, SessionAudio, SessionKind

from ivr_flows.matching import ascii_digits

from .security import twilio_signed

log = logging.getLogger(__name__)

_DONE = Response("", status=204)


@twilio_signed
def room_recorded() -> Response:
    raw_id = request.args.get("session", "")
    if not ascii_digits(raw_id):
        abort(400)
    form = request.form
    url, sid = form.get("RecordingUrl", ""), form.get("RecordingSid", "")
    if form.get("RecordingStatus") != "completed" or not url or not sid:
        log.info("room recording for session %s not completed (%s)", raw_id,
                 form.get("RecordingStatus"))
        return _DONE
    db = get_db()
    live = db.get(Session, int(raw_id))
    if live is None or live.kind != SessionKind.PHONE:
        abort(404)
    if db.scalar(select(SessionAudio.id).where(SessionAudio.recording_sid == sid)) is not None:
        return _DONE  # a retried callback: already stored
    db.rollback()  # no transaction held open while the recording downloads
    svc = current_app.extensions["lampio_audio"]
    part_seconds = int(current_app.config["RECORDING_PART_SECONDS"])
    try:
        stored = fetch_room_recording(svc.recordings, url, sid, part_seconds)
    except RecordingError as exc:
        log.warning("room recording of session %s not kept: %s", raw_id, exc)
        return _DONE
    begin_write(db)
    try:
        live = db.get(Session, int(raw_id))
        assert live is not None
        recording = listening.recording_session_for(
            db, live, int(current_app.config["RECORDING_LISTEN_DAYS"]))
        listening.create_audio(db, recording, stored.whole, stored.parts, stored.part_seconds,
                               stored.duration, SessionAudio.Source.ROOM,
                               from_session_id=live.id, recording_sid=sid)
        db.commit()
    except IntegrityError:  # the same callback, twice at once: the other one kept it
        db.rollback()
        for name in {stored.whole, *stored.parts}:
            svc.storage.delete(name)
    return _DONE
