"""The neutral shape every importer produces: what one source says about one event."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

Texts = tuple[str, str, str]  # fi, sv, en
EMPTY: Texts = ("", "", "")
SCHEDULED, CANCELLED, POSTPONED = "scheduled", "cancelled", "postponed"


class ImportFailed(Exception):
    """A source could not be read whole; ``where`` is the page or file that failed."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Occurrence:
    key: str  # the source's id of this occurrence (a sub-event, a recurrence's original start)
    starts_at: datetime  # naive UTC
    ends_at: datetime
    status: str = SCHEDULED
    all_day: bool = False


@dataclass(frozen=True)
class ImportedEvent:
    key: str  # the source's id of the event (Linked Events id, iCal UID)
    title: Texts
    short: Texts = EMPTY
    description: Texts = EMPTY
    price: Texts = EMPTY
    venue: str = ""
    address: str = ""
    city_name: str = ""  # resolved to one of our cities, else the source's city
    provider_name: str = ""  # else the source's provider
    status: str = SCHEDULED  # the event's own status (a postponed one may have no dates at all)
    occurrences: tuple[Occurrence, ...] = field(default=())

    def digest(self) -> str:
        """A fingerprint of everything imported: unchanged means nothing to write."""
        raw = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()
