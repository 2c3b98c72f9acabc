"""The programme and who takes part: cities, providers, events, sessions, callers and their
registrations (see the package's docstring for how times are kept)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from ..database import Base
from ..timeutil import utcnow


class SessionKind(str, enum.Enum):
    PHONE = "phone"  # a live audio-only performance callers take part in by phone
    IN_PERSON = "in_person"
    RECORDING = "recording"  # a recorded performance callers can hear at any time in its window


class SessionStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    MOVED = "moved"


class RegistrationStatus(str, enum.Enum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


# A place or a waiting-list place is held (the registration service's and the admin's one rule).
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class City(Base):
    __tablename__ = "city"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_fi: Mapped[str] = mapped_column(String(80))
    name_sv: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    # Finnish landline area code without the leading 0 ("9" Helsinki, "14" Jyväskylä).
    area_code: Mapped[Optional[str]] = mapped_column(String(4))

    def name(self, lang: str) -> str:
        return getattr(self, f"name_{lang}", None) or self.name_fi


class Provider(Base):
    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # Finnish, and the proper name
    # Said in Swedish and English calls ("Åbo filharmoniska orkester"); empty: the name above.
    name_sv: Mapped[str] = mapped_column(String(200), default="", server_default="")
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city.id"))
    # The recording line's PIN, hashed (werkzeug); locked after repeated failures
    # (catalogue.pins). ``pin_*`` counts the tries of everyone but the provider's own phone.
    pin_hash: Mapped[Optional[str]] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # The number staff registered for the provider (E.164): its tries have a count of their own,
    # so strangers guessing cannot lock the provider out.
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    own_pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    own_pin_locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)

    city: Mapped[Optional[City]] = relationship()
    events: WriteOnlyMapped["Event"] = relationship(back_populates="provider")

    def own_name(self, lang: str) -> str:
        """The name in ``lang`` only ("" when it has none); Finnish is ``name``."""
        return self.name if lang == "fi" else str(getattr(self, f"name_{lang}", "") or "")


class Event(Base):
    """What is offered; its sessions are the dated occurrences."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True, index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    # None means the event is by phone and open to callers everywhere.
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    price_text_fi: Mapped[str] = mapped_column(String(120), default="")
    price_text_sv: Mapped[str] = mapped_column(String(120), default="")
    price_text_en: Mapped[str] = mapped_column(String(120), default="")
    title_fi: Mapped[str] = mapped_column(String(200))
    title_sv: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    short_fi: Mapped[str] = mapped_column(String(400), default="")
    short_sv: Mapped[str] = mapped_column(String(400), default="")
    short_en: Mapped[str] = mapped_column(String(400), default="")
    description_fi: Mapped[str] = mapped_column(Text, default="")
    description_sv: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="")  # Finnish (the proper name)
    venue_sv: Mapped[str] = mapped_column(String(200), default="", server_default="")
    venue_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    address_sv: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Imported events: their source, the source's id, and a digest of what it last said (an
    # unchanged event is then not written at all). The source owns the texts, place and price.
    source_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_source.id"), index=True)
    source_key: Mapped[Optional[str]] = mapped_column(String(200))
    source_digest: Mapped[Optional[str]] = mapped_column(String(64))
    # Only approved events are in the programme; an import may leave new ones pending for staff.
    review: Mapped[str] = mapped_column(String(10), default="approved", server_default="approved")

    provider: Mapped[Provider] = relationship(back_populates="events")
    city: Mapped[Optional[City]] = relationship()
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="event", order_by="Session.starts_at", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("length(code) between 3 and 4", name="event_code_len"),
                      UniqueConstraint("source_id", "source_key", name="event_source_key"))

    @property
    def imported(self) -> bool:
        return self.source_id is not None

    def text(self, field: str, lang: str) -> str:
        """A translated field, falling back to Finnish when a translation is missing."""
        return self.own_text(field, lang) or self.own_text(field, "fi")

    def own_text(self, field: str, lang: str) -> str:
        """The field's text in ``lang`` only ("" when it has none). ``venue`` and ``address``
        keep Finnish in the plain column."""
        if field in ("venue", "address") and lang == "fi":
            return str(getattr(self, field) or "")
        return str(getattr(self, f"{field}_{lang}", "") or "")

    @property
    def by_phone(self) -> bool:
        return self.city_id is None


class Session(Base):
    """One occurrence of an event. ``confirmed_count`` is kept by the registration service with
    an atomic conditional UPDATE so that capacity holds under concurrent confirmations."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "session_kind"))
    capacity: Mapped[Optional[int]] = mapped_column(Integer)  # None: no limit
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    registration_opens_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    registration_closes_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # When moved, the session it was moved to (the old row keeps its registrations' history).
    moved_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("session.id"))
    # A phone session's room is recorded (for listening later) only when this is set.
    may_be_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    # An imported occurrence's id in its source (a sub-event's id, an iCal recurrence's start).
    source_key: Mapped[Optional[str]] = mapped_column(String(200))
    # Cancelled because the source postponed it (no new date yet): said as postponed.
    postponed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The source gave a date only: shown and spoken as "all day", not as midnight.
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    event: Mapped[Event] = relationship(back_populates="sessions")
    registrations: WriteOnlyMapped["Registration"] = relationship(back_populates="session")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="session_ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="session_capacity_nonneg"),
    )

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Caller(Base):
    __tablename__ = "caller"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    language: Mapped[Optional[str]] = mapped_column(String(2))
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city.id"))
    name: Mapped[Optional[str]] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # "Don't call me": the person pressed it in a call we made; the service never calls again.
    no_calls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Provider-line PIN tries from this number, over all provider numbers (catalogue.pins).
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # "Slower, please": said once, kept for the person's next calls (slower audio and <Say>).
    slow_speech: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    city: Mapped[Optional[City]] = relationship()


class Registration(Base):
    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    caller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caller.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "registration_status"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Who made it when not the caller themself (a relative, a carer, staff).
    registered_by_caller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caller.id"))
    registered_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when something happened the person must be told about (promoted, cancelled, moved).
    notify_pending: Mapped[Optional[str]] = mapped_column(String(20))
    attended: Mapped[Optional[bool]] = mapped_column(Boolean)
    # Non-null only while active: lets a unique index forbid two active rows for one person.
    active_key: Mapped[Optional[int]] = mapped_column(Integer)

    session: Mapped[Session] = relationship(back_populates="registrations")
    caller: Mapped[Optional[Caller]] = relationship(foreign_keys=[caller_id])

    __table_args__ = (UniqueConstraint("session_id", "caller_id", "active_key", name="registration_one_active"),)
