"""Recordings callers listen to by phone: the audio of a recording session (uploaded by its
provider, made from a live room, or the demo's), and where each caller stopped listening.

A recording session's own window (``Session.starts_at``..``ends_at``) is its listening window;
its audio is played in parts of a few minutes, so a caller can skip, go back and come back later.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base
from ..timeutil import utcnow
from .programme import Caller, Session, enum_column


class SessionAudio(Base):
    """The audio of one recording session, stored whole and in parts. Only an approved one is
    ever played; staff approve it in the admin."""

    __tablename__ = "session_audio"

    class Status(str, enum.Enum):
        PENDING = "pending"  # awaiting staff review
        APPROVED = "approved"
        REJECTED = "rejected"

    class Source(str, enum.Enum):
        UPLOAD = "upload"  # a provider uploaded it in the admin
        ROOM = "room"  # recorded in a live phone room (Twilio's recording status callback)
        DEMO = "demo"  # made at set-up for the demo programme

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"),
                                            index=True)
    # The live session a room recording was made in (None for an upload).
    from_session_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("session.id", ondelete="SET NULL"))
    # Twilio's RecordingSid: a retried status callback must not store the recording twice.
    recording_sid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    storage_path: Mapped[str] = mapped_column(String(255))  # the whole recording, for staff
    parts: Mapped[list[str]] = mapped_column(JSON, default=list)  # storage names, in order
    part_seconds: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped["SessionAudio.Status"] = mapped_column(
        enum_column(Status, "session_audio_status"), default=Status.PENDING, index=True)
    source: Mapped["SessionAudio.Source"] = mapped_column(
        enum_column(Source, "session_audio_source"))
    review_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    session: Mapped[Session] = relationship(foreign_keys=[session_id])
    from_session: Mapped[Optional[Session]] = relationship(foreign_keys=[from_session_id])


class ListeningPosition(Base):
    """The part a caller last reached in a recording, so a later call can continue there."""

    __tablename__ = "listening_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("caller.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"),
                                            index=True)
    part: Mapped[int] = mapped_column(Integer, default=0)  # 0-based index into the parts
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    caller: Mapped[Caller] = relationship()

    __table_args__ = (UniqueConstraint("caller_id", "session_id", name="listening_position_one"),)
