"""What calls, providers and staff leave behind: call logs and menu visits, callback requests,
providers' recorded descriptions, and the web admin's logins."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from ..database import Base
from ..timeutil import utcnow
from .programme import Caller, Event, Provider, Session, enum_column


class CallLog(Base):
    """One phone call. ``state`` is the flow's state between webhooks, so any host can answer
    the next turn; no phone number is stored here, only the caller's id."""

    __tablename__ = "call_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caller.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    line: Mapped[str] = mapped_column(String(20), default="main")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    duration_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    caller: Mapped[Optional[Caller]] = relationship()
    visits: WriteOnlyMapped["MenuVisit"] = relationship(back_populates="call", passive_deletes=True)


class MenuVisit(Base):
    """A menu a call reached, for the admin's overview of what callers use."""

    __tablename__ = "menu_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_log.id", ondelete="CASCADE"), index=True)
    node: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    call: Mapped[CallLog] = relationship(back_populates="visits")


class SpeechHeard(Base):
    """Words a caller said in a menu and what became of them (matched, unsure: asked to
    confirm, not understood), for staff improving the words and hints. Never a number: digits
    and number words are left out before a row is made; no call or caller is linked."""

    __tablename__ = "speech_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    node: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(5))  # "" before a language was chosen
    words: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))


class CallbackRequest(Base):
    """A caller pressed 0 outside office hours: staff call them back. ``lang`` is the call's
    language, ``topic`` the menu the caller pressed 0 in and ``session_id`` the session they were
    hearing about, if any (what the call back is about); ``note`` is what staff wrote when done."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caller.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    lang: Mapped[Optional[str]] = mapped_column(String(2))
    topic: Mapped[Optional[str]] = mapped_column(String(40))
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("session.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(Text)

    caller: Mapped[Optional[Caller]] = relationship()
    session: Mapped[Optional[Session]] = relationship()


class AudioDescription(Base):
    """A provider's own recorded description of an event (by phone or upload). Only an approved
    one is ever played to callers; the transcript lets staff read what was said."""

    __tablename__ = "audio_description"

    class Status(str, enum.Enum):
        PENDING = "pending"  # recorded, not yet kept by the provider (removed if never kept)
        AWAITING_REVIEW = "awaiting_review"
        APPROVED = "approved"
        REJECTED = "rejected"

    class TranscriptStatus(str, enum.Enum):
        PENDING = "pending"
        DONE = "done"
        UNAVAILABLE = "unavailable"  # no speech model for the language
        FAILED = "failed"

    class Source(str, enum.Enum):
        PHONE = "phone"
        UPLOAD = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    storage_path: Mapped[str] = mapped_column(String(255))
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped["AudioDescription.Status"] = mapped_column(
        enum_column(Status, "audio_description_status"), default=Status.PENDING, index=True
    )
    review_reason: Mapped[Optional[str]] = mapped_column(Text)
    transcript: Mapped[Optional[str]] = mapped_column(Text)
    transcript_status: Mapped["AudioDescription.TranscriptStatus"] = mapped_column(
        enum_column(TranscriptStatus, "audio_transcript_status"), default=TranscriptStatus.PENDING
    )
    source: Mapped["AudioDescription.Source"] = mapped_column(enum_column(Source, "audio_source"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    event: Mapped[Event] = relationship()
    provider: Mapped[Provider] = relationship()


class UserRole(str, enum.Enum):
    STAFF = "staff"  # the cities' culture services: everything
    PROVIDER = "provider"  # one provider's own events and recordings only


class User(Base):
    """A web admin login (Flask-Login). The password is a werkzeug hash; a provider user sees
    only the events of ``provider_id``."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole, "user_role"))
    provider_id: Mapped[Optional[int]] = mapped_column(ForeignKey("provider.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # Stored in the session at login and checked on every request; logging out (or a new
    # password) bumps it, so a session cookie copied before that opens nothing any more.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    provider: Mapped[Optional[Provider]] = relationship()

    __table_args__ = (
        CheckConstraint("role <> 'provider' OR provider_id IS NOT NULL", name="user_provider_has_id"),
    )

    # Flask-Login's protocol, written out so the model needs no mixin.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        return self.role == UserRole.STAFF


class PasswordReset(Base):
    """A one-time link to set a password, made by staff and handed over (or e-mailed). Only a
    SHA-256 of the token is kept: the database alone opens nothing. Used once (``used_at``,
    set by a conditional update), and never after ``expires_at``."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_user.id",
                                                                    ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
