"""What the live console does to a room, through Twilio's participants API.

The admin reaches this as ``app.extensions["lampio_rooms"]`` (put there by ``voice``), so it need
not import the phone channel. Every action names the session, and the participant by its row id
in that session's room, so a console can act only on the room it shows. Each returns False when
there is nothing to act on (the room has not started, the caller has left).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import rooms
from catalogue.models import LiveRoom, RoomParticipant, Session
from catalogue.timeutil import utcnow

from .twiml import ROOM_EVENT_NAMES, ROOM_EVENTS, ROOM_RECORDED, room_name
from .twilio_rest import rest_client


@dataclass
class RoomControl:
    app: Flask

    def _conference(self, db: DbSession, session_id: int) -> str | None:
        room = db.scalar(select(LiveRoom).where(LiveRoom.session_id == session_id))
        if room is None or not room.conference_sid or room.ended_at is not None:
            return None
        return room.conference_sid

    def _in_room(self, db: DbSession, session_id: int, participant_id: int) -> RoomParticipant | None:
        row = db.get(RoomParticipant, participant_id)
        if row is None or row.session_id != session_id or row.left_at is not None:
            return None
        return row

    def _announce_url(self, lang: str) -> str:
        base = (self.app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        if not base and has_request_context():
            base = request.host_url.rstrip("/")
        return f"{base}/voice/room/announce?lang={lang}"

    def set_muted(self, db: DbSession, session_id: int, participant_id: int, muted: bool) -> bool:
        """Mute, or unmute with the announcement; unmuting also lowers the hand."""
        sid = self._conference(db, session_id)
        row = self._in_room(db, session_id, participant_id)
        if sid is None or row is None:
            return False
        target = rest_client(self.app).conferences(sid).participants(row.call_sid)
        if muted:
            target.update(muted=True)
        else:
            lang = (row.caller.language if row.caller is not None else None) or "fi"
            target.update(muted=False, announce_url=self._announce_url(lang),
                          announce_method="POST")
            row.hand_raised_at = None
        row.muted = muted
        db.commit()
        return True

    def lower_hand(self, db: DbSession, session_id: int, participant_id: int) -> bool:
        row = self._in_room(db, session_id, participant_id)
        if row is None:
            return False
        row.hand_raised_at = None
        db.commit()
        return True

    def remove(self, db: DbSession, session_id: int, participant_id: int) -> bool:
        sid = self._conference(db, session_id)
        row = self._in_room(db, session_id, participant_id)
        if sid is None or row is None:
            return False
        rest_client(self.app).conferences(sid).participants(row.call_sid).delete()
        row.removed_at = utcnow()  # the call comes back to the flow, which does not let it in
        db.commit()
        return True

    def end(self, db: DbSession, session_id: int) -> bool:
        sid = self._conference(db, session_id)
        if sid is None:
            return False
        rest_client(self.app).conferences(sid).update(status="completed")
        return True

    def start(self, db: DbSession, session_id: int, host_number: str) -> bool:
        """Staff host from their own phone: Twilio calls the number (from ``ROOM_HOST_CALLER_ID``)
        into the room as its host, which starts the room on answering."""
        caller_id = str(self.app.config.get("ROOM_HOST_CALLER_ID") or "")
        session = db.get(Session, session_id)
        if not caller_id or session is None or rooms.ended(db, session_id):
            return False
        base = self._announce_url("fi").rsplit("/voice/", 1)[0]
        extra: dict[str, object] = {}
        if session.may_be_recorded:
            extra = {"conference_record": "record-from-start",
                     "conference_recording_status_callback":
                         f"{base}{ROOM_RECORDED.format(id=session_id)}"}
        created = rest_client(self.app).conferences(room_name(session_id)).participants.create(
            from_=caller_id, to=host_number, label="host", beep="false", muted=False,
            start_conference_on_enter=True,
            end_conference_on_exit=bool(self.app.config.get("ROOM_HOST_ENDS", True)),
            conference_status_callback=f"{base}{ROOM_EVENTS.format(id=session_id)}",
            conference_status_callback_event=ROOM_EVENT_NAMES.split(), **extra)
        if created.call_sid:
            rooms.expect(db, session_id, created.call_sid, None, True, utcnow())
            db.commit()
        return True


def room_control() -> RoomControl:
    return current_app.extensions["lampio_rooms"]
