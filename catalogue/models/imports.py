"""Where imported events come from: a Linked Events API or an iCalendar feed, configured by staff.

Each source runs on its own interval; ``claimed_at`` lets one runner on one host take a source's
run with a conditional UPDATE, so several hosts never import the same source at once.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base
from .programme import City, Provider, enum_column

HELSINKI_API = "https://api.hel.fi/linkedevents/v1/"
OLDER_PEOPLE = "yso:p2433"  # the keyword "ikääntyneet" in Linked Events


class SourceKind(str, enum.Enum):
    LINKED_EVENTS = "linkedevents"
    ICAL = "ical"


class ImportSource(Base):
    __tablename__ = "import_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind, "import_source_kind"))
    # Linked Events: the API root (…/v1/); iCalendar: the feed's URL or a file path.
    url: Mapped[str] = mapped_column(String(500))
    keywords: Mapped[str] = mapped_column(String(200), default=OLDER_PEOPLE)  # comma-separated
    # Events whose place names no known city land here; an iCal feed's events always do.
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("city.id"))
    # Who an event is by when the source does not say (iCal feeds: always).
    provider_id: Mapped[Optional[int]] = mapped_column(ForeignKey("provider.id"))
    # New events are on the phone at once, or wait in the worklist for staff.
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=360)
    window_days: Mapped[int] = mapped_column(Integer, default=28)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    last_result: Mapped[str] = mapped_column(Text, default="")

    city: Mapped[Optional[City]] = relationship()
    provider: Mapped[Optional[Provider]] = relationship()

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]
