"""Live rooms' rules, shared by the phone (taking part, hosting), the rooms' webhooks and the
live console: whose join window is open, who may come in, and what the room's callbacks mean.

A session's join window runs from ``minutes_before`` its start to its end. A registered caller
always comes in; anyone else only while places remain, and the places of registered callers
not yet in the room stay theirs. A call that was in the room (and stepped out with ``*``) is
always let back.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from .models import (LiveRoom, Registration, RegistrationStatus, RoomParticipant, Session,
                     SessionKind, SessionStatus)

DEFAULT_JOIN_MINUTES = 15


def window_open(session: Session, now: datetime, minutes_before: int) -> bool:
    return (session.kind == SessionKind.PHONE and session.status == SessionStatus.SCHEDULED
            and session.starts_at - timedelta(minutes=minutes_before) <= now < session.ends_at)


def _phone_sessions() -> Select[Any]:
    return select(Session).where(Session.kind == SessionKind.PHONE,
                                 Session.status == SessionStatus.SCHEDULED)


def live_sessions(db: DbSession, now: datetime, minutes_before: int,
                  provider_id: int | None = None) -> list[Session]:
    """Phone sessions whose join window is open, soonest first. For callers, a room that has
    ended (the host left, staff ended it) is over even while its scheduled time lasts: nobody is
    put into a room that will not start again. A provider's own (``provider_id``) include it,
    so a host whose call dropped can start it again."""
    stmt = _phone_sessions().where(
        Session.starts_at <= now + timedelta(minutes=minutes_before), Session.ends_at > now)
    if provider_id is not None:
        from .models import Event

        stmt = stmt.join(Session.event).where(Event.provider_id == provider_id)
    else:
        stmt = stmt.where(~select(LiveRoom.id).where(LiveRoom.session_id == Session.id,
                                                     LiveRoom.ended_at.is_not(None)).exists())
    return list(db.scalars(stmt.order_by(Session.starts_at, Session.id)))


def next_phone_session(db: DbSession, now: datetime, minutes_before: int,
                       event_id: int | None = None) -> Session | None:
    """The next phone session whose window is not open yet (of one event, when given)."""
    stmt = _phone_sessions().where(
        Session.starts_at > now + timedelta(minutes=minutes_before))
    if event_id is not None:
        stmt = stmt.where(Session.event_id == event_id)
    found: Session | None = db.scalar(stmt.order_by(Session.starts_at, Session.id).limit(1))
    return found


def is_registered(db: DbSession, session_id: int, caller_id: int | None) -> bool:
    if caller_id is None:
        return False
    return db.scalar(select(Registration.id).where(
        Registration.session_id == session_id, Registration.caller_id == caller_id,
        Registration.status == RegistrationStatus.CONFIRMED).limit(1)) is not None


def _in_room(session_id: int) -> Select[Any]:
    return select(RoomParticipant).where(RoomParticipant.session_id == session_id,
                                         RoomParticipant.left_at.is_(None),
                                         RoomParticipant.host.is_(False))


def in_room(db: DbSession, session_id: int) -> list[RoomParticipant]:
    """Callers (not the host) in the room now, in the order they came."""
    return list(db.scalars(_in_room(session_id).order_by(RoomParticipant.joined_at,
                                                         RoomParticipant.id)))


def places_taken(db: DbSession, session: Session) -> int:
    """Callers in the room, plus registered callers who are not in it yet."""
    inside = select(RoomParticipant.caller_id).where(
        RoomParticipant.session_id == session.id, RoomParticipant.left_at.is_(None),
        RoomParticipant.host.is_(False), RoomParticipant.caller_id.is_not(None))
    here = db.scalar(select(func.count()).select_from(_in_room(session.id).subquery())) or 0
    waiting = db.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == session.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.caller_id.not_in(inside))) or 0
    return here + waiting


def participant(db: DbSession, session_id: int, call_sid: str) -> RoomParticipant | None:
    return db.scalar(select(RoomParticipant).where(RoomParticipant.session_id == session_id,
                                                   RoomParticipant.call_sid == call_sid))


def removed(db: DbSession, session_id: int, call_sid: str) -> bool:
    row = participant(db, session_id, call_sid)
    return row is not None and row.removed_at is not None


def may_enter(db: DbSession, session: Session, caller_id: int | None, call_sid: str) -> bool:
    row = participant(db, session.id, call_sid)
    if row is not None:
        return row.removed_at is None  # back from the * menu: the place is still theirs
    if session.capacity is None or is_registered(db, session.id, caller_id):
        return True
    return places_taken(db, session) < session.capacity


def expect(db: DbSession, session_id: int, call_sid: str, caller_id: int | None, host: bool,
           now: datetime) -> RoomParticipant:
    """The call's row, made as it is sent into the room (the join callback then marks it in);
    the host is known here, since Twilio's callbacks do not say who hosts."""
    row = participant(db, session_id, call_sid)
    if row is None:
        row = RoomParticipant(session_id=session_id, call_sid=call_sid, caller_id=caller_id,
                              host=host, joined_at=now, left_at=now, muted=not host)
        try:
            with db.begin_nested():
                db.add(row)
        except IntegrityError:  # the join callback was first
            row = participant(db, session_id, call_sid)
            assert row is not None
    row.host = row.host or host
    return row


def room(db: DbSession, session_id: int) -> LiveRoom:
    found = db.scalar(select(LiveRoom).where(LiveRoom.session_id == session_id))
    if found is None:
        found = LiveRoom(session_id=session_id)
        try:
            with db.begin_nested():
                db.add(found)
        except IntegrityError:
            found = db.scalars(select(LiveRoom).where(LiveRoom.session_id == session_id)).one()
    return found


def ended(db: DbSession, session_id: int) -> bool:
    found = db.scalar(select(LiveRoom).where(LiveRoom.session_id == session_id))
    return found is not None and found.ended_at is not None


def ended_rooms(db: DbSession) -> frozenset[int]:
    """Sessions whose room the host (or Twilio) has ended: held with the programme in memory,
    since an ended room is a programme change (``catalogue.changes``)."""
    return frozenset(db.scalars(select(LiveRoom.session_id).where(LiveRoom.ended_at.is_not(None))))


def started(db: DbSession, session_id: int) -> bool:
    found = db.scalar(select(LiveRoom).where(LiveRoom.session_id == session_id))
    return found is not None and found.started_at is not None and found.ended_at is None


def raise_hand(db: DbSession, session_id: int, call_sid: str, caller_id: int | None,
               now: datetime) -> None:
    row = expect(db, session_id, call_sid, caller_id, False, now)
    if row.hand_raised_at is None:
        row.hand_raised_at = now


def on_event(db: DbSession, session_id: int, event: str, *, conference_sid: str,
             call_sid: str, caller_id: int | None, muted: bool | None, now: datetime) -> None:
    """One of Twilio's conference status callbacks (``conference-start``, ``participant-join``…).
    A registered caller who comes into the room is marked as attended."""
    live = room(db, session_id)
    if conference_sid:
        live.conference_sid = conference_sid
    if event == "conference-start":
        live.started_at, live.ended_at = now, None
    elif event == "conference-end":
        live.ended_at = now
        for row in db.scalars(select(RoomParticipant).where(
                RoomParticipant.session_id == session_id, RoomParticipant.left_at.is_(None))):
            row.left_at = now
    elif event == "participant-join" and call_sid:
        row = expect(db, session_id, call_sid, caller_id, False, now)
        row.left_at = None
        if muted is not None:
            row.muted = muted
        if not row.host and row.caller_id is not None:
            for reg in db.scalars(select(Registration).where(
                    Registration.session_id == session_id,
                    Registration.caller_id == row.caller_id,
                    Registration.status == RegistrationStatus.CONFIRMED)):
                reg.attended = True
    elif event == "participant-leave" and call_sid:
        leaving = participant(db, session_id, call_sid)
        if leaving is not None:
            leaving.left_at = now
