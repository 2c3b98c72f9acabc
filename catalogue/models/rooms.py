"""Live rooms: one Twilio conference per phone session, and who was in it.

Twilio's status callbacks fill these in (``voice/rooms.py``); the live console reads them. A
participant row is per call and session, so a caller who steps out with ``*`` and comes back
keeps the raised hand."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base
from .programme import Caller


class LiveRoom(Base):
    """The conference of one session: its Twilio SID once started, and when it ran."""

    __tablename__ = "live_room"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"),
                                            unique=True)
    conference_sid: Mapped[Optional[str]] = mapped_column(String(64))
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


class RoomParticipant(Base):
    """One call in one session's room. ``left_at`` is None while the call is in the room."""

    __tablename__ = "room_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"),
                                            index=True)
    caller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caller.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    host: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    left_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    muted: Mapped[bool] = mapped_column(Boolean, default=True)
    hand_raised_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    removed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)  # by the host: not let back

    caller: Mapped[Optional[Caller]] = relationship()

    __table_args__ = (UniqueConstraint("session_id", "call_sid", name="room_participant_call"),)
