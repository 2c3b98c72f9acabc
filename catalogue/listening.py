"""Recordings by phone as rows: a recording session's audio (created, reviewed by staff), which
recordings callers can hear now, where each caller stopped, and the recording session a live
room's recording becomes.

Only the database: splitting and storing the files is ``audio``'s. A recording session is offered
to callers only while its window is open and it has approved audio (``playable``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from . import audit
from .models import ListeningPosition, Session, SessionAudio, SessionKind, SessionStatus
from .timeutil import utcnow

Status = SessionAudio.Status
Source = SessionAudio.Source


def create_audio(db: DbSession, session: Session, storage_path: str, parts: list[str],
                 part_seconds: int, duration: float, source: Source, *,
                 from_session_id: int | None = None, recording_sid: str | None = None,
                 now: datetime | None = None) -> SessionAudio:
    """New audio for a recording session, awaiting staff review (never played before)."""
    if session.kind != SessionKind.RECORDING:
        raise ValueError("audio belongs to a recording session")
    if not parts:
        raise ValueError("audio without parts")
    audio = SessionAudio(session_id=session.id, storage_path=storage_path, parts=list(parts),
                         part_seconds=part_seconds, duration_seconds=max(1, round(duration)),
                         status=Status.PENDING, source=source, from_session_id=from_session_id,
                         recording_sid=recording_sid or None, created_at=now or utcnow())
    db.add(audio)
    db.flush()
    return audio


def review(db: DbSession, audio: SessionAudio, *, approve: bool, reason: str | None = None,
           now: datetime | None = None, actor: audit.Actor | None = None) -> None:
    """Staff's decision. Approving retires the session's audio approved before, so a session
    always plays one recording."""
    before = audit.snapshot(audio, ("status", "review_reason"))
    audio.status = Status.APPROVED if approve else Status.REJECTED
    audio.review_reason = reason
    audio.reviewed_at = now or utcnow()
    audit.record(db, actor, "session_audio.review", "session_audio", audio.id, before=before,
                 after=audit.snapshot(audio, ("status", "review_reason")),
                 session_id=audio.session_id,
                 event_id=db.scalar(select(Session.event_id).where(Session.id == audio.session_id)))
    if approve:
        db.execute(
            update(SessionAudio)
            .where(SessionAudio.session_id == audio.session_id, SessionAudio.id != audio.id,
                   SessionAudio.status == Status.APPROVED)
            .values(status=Status.REJECTED, review_reason="replaced by newer audio"))
    db.flush()


def approved_audio(db: DbSession, session_id: int) -> SessionAudio | None:
    return db.scalar(
        select(SessionAudio)
        .where(SessionAudio.session_id == session_id, SessionAudio.status == Status.APPROVED)
        .order_by(SessionAudio.reviewed_at.desc(), SessionAudio.id.desc()).limit(1))


def with_approved_audio(db: DbSession) -> frozenset[int]:
    """Ids of the sessions that have approved audio (the programme leaves out the others)."""
    return frozenset(db.scalars(select(SessionAudio.session_id)
                                .where(SessionAudio.status == Status.APPROVED)))


def offered(kind: SessionKind, session_id: int, with_audio: frozenset[int]) -> bool:
    """A recording is offered by phone only once its audio is approved; anything else is."""
    return kind != SessionKind.RECORDING or session_id in with_audio


def _window_open(session: Session, now: datetime) -> bool:
    return (session.kind == SessionKind.RECORDING and session.status == SessionStatus.SCHEDULED
            and session.starts_at <= now < session.ends_at)


def playable(db: DbSession, session_id: int, now: datetime) -> tuple[Session, SessionAudio] | None:
    """The session and its approved audio when a caller may listen now, else None."""
    session = db.get(Session, session_id)
    if session is None or not _window_open(session, now):
        return None
    audio = approved_audio(db, session.id)
    return (session, audio) if audio is not None else None


def open_recordings(db: DbSession, now: datetime) -> list[Session]:
    """Recording sessions whose listening window is open and whose audio is approved, the
    soonest to close first."""
    approved = select(SessionAudio.session_id).where(SessionAudio.status == Status.APPROVED)
    return list(db.scalars(
        select(Session)
        .where(Session.kind == SessionKind.RECORDING, Session.status == SessionStatus.SCHEDULED,
               Session.starts_at <= now, Session.ends_at > now, Session.id.in_(approved))
        .order_by(Session.ends_at, Session.id)))


# ---- where a caller stopped -------------------------------------------------------------------

def position(db: DbSession, caller_id: int, session_id: int) -> int | None:
    return db.scalar(select(ListeningPosition.part).where(
        ListeningPosition.caller_id == caller_id, ListeningPosition.session_id == session_id))


def remember(db: DbSession, caller_id: int, session_id: int, part: int,
             now: datetime | None = None) -> None:
    """Keep the part the caller is hearing (0-based), so a later call can continue there."""
    row = db.scalar(select(ListeningPosition).where(
        ListeningPosition.caller_id == caller_id, ListeningPosition.session_id == session_id))
    if row is None:
        db.add(ListeningPosition(caller_id=caller_id, session_id=session_id, part=part,
                                 updated_at=now or utcnow()))
    else:
        row.part = part
        row.updated_at = now or utcnow()
    db.flush()


def forget(db: DbSession, caller_id: int, session_id: int) -> None:
    """The caller heard it to the end: the next call starts from the beginning."""
    row = db.scalar(select(ListeningPosition).where(
        ListeningPosition.caller_id == caller_id, ListeningPosition.session_id == session_id))
    if row is not None:
        db.delete(row)
        db.flush()


# ---- a live room's recording ------------------------------------------------------------------

def recording_session_for(db: DbSession, live: Session, listen_days: int) -> Session:
    """The recording session a live session's room recording becomes: the same event, listened
    to for ``listen_days`` from the end of the live session. Reused if a callback is retried."""
    starts = live.ends_at
    found = db.scalar(select(Session).where(
        Session.event_id == live.event_id, Session.kind == SessionKind.RECORDING,
        Session.starts_at == starts))
    if found is not None:
        return found
    session = Session(event_id=live.event_id, starts_at=starts,
                      ends_at=starts + timedelta(days=listen_days), kind=SessionKind.RECORDING,
                      capacity=None, confirmed_count=0, status=SessionStatus.SCHEDULED)
    db.add(session)
    db.flush()
    return session
