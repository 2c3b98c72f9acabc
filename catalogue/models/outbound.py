"""The calls the service makes (reminders, a freed place, a cancelled or moved session), and
the one row that paces them across every host.

One row per (registration, kind, session): the unique constraint is what makes creating the
due calls idempotent, however many job runners create them at once.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base
from ..timeutil import utcnow
from .programme import Caller, Registration, Session, enum_column


class CallKind(str, enum.Enum):
    DAY_BEFORE = "day_before"  # 1 still coming / 2 cannot come
    STARTING = "starting"  # a phone performance starts in a few minutes: 1 take part now
    PROMOTED = "promoted"  # a place came free for someone on the waiting list
    CANCELLED = "cancelled"  # staff cancelled the session
    MOVED = "moved"  # staff moved the session to a new time


class CallStatus(str, enum.Enum):
    DUE = "due"  # to be placed at ``due_at`` (also after a busy / no answer, for a retry)
    PLACING = "placing"  # claimed by one job runner; the REST request is being made
    PLACED = "placed"  # Twilio has it; the status callback says how it ended
    ANSWERED = "answered"  # a person answered but gave no answer to the question
    HEARD = "heard"  # a person answered and chose (the message was heard)
    MACHINE = "machine"  # an answering machine got the short message
    STAFF = "staff"  # no answer after the retries (or unsure): staff see it in the admin
    SKIPPED = "skipped"  # no longer needed (cancelled meanwhile, too late, told already, opted out)


# Outcomes after which no one places the call again.
FINAL = (CallStatus.ANSWERED, CallStatus.HEARD, CallStatus.MACHINE, CallStatus.STAFF,
         CallStatus.SKIPPED)


class OutboundCall(Base):
    """A call the service places to a registered person. ``attempts`` counts placed calls that
    were busy, not answered or failed; after the retries it is left for staff."""

    __tablename__ = "outbound_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CallKind] = mapped_column(enum_column(CallKind, "outbound_call_kind"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    # CASCADE: the privacy purge deletes a caller left with nothing, and their calls with them.
    caller_id: Mapped[int] = mapped_column(ForeignKey("caller.id", ondelete="CASCADE"), index=True)
    status: Mapped[CallStatus] = mapped_column(enum_column(CallStatus, "outbound_call_status"),
                                               default=CallStatus.DUE, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    placed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    call_sid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    last_result: Mapped[Optional[str]] = mapped_column(String(30))  # Twilio's CallStatus/AnsweredBy
    needs_staff: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    registration: Mapped[Registration] = relationship()
    session: Mapped[Session] = relationship()
    caller: Mapped[Caller] = relationship()

    __table_args__ = (
        UniqueConstraint("registration_id", "kind", "session_id", name="outbound_call_once"),
    )


class OutboundPace(Base):
    """One row: the earliest wall-clock time (epoch seconds) the next call may be placed, shared
    by every job runner so that the rate (and a back-off after HTTP 429) holds across hosts."""

    __tablename__ = "outbound_pace"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)
