"""Office hours such as ``mon-fri 09:00-15:00`` (Europe/Helsinki), for the 0 key."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from catalogue.timeutil import to_local

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(\w{3})(?:-(\w{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class OfficeHours:
    """A set of (weekday, opens, closes); ``spec`` is kept to say the hours to a caller."""

    windows: tuple[tuple[int, time, time], ...]
    spec: str

    @classmethod
    def parse(cls, spec: str) -> "OfficeHours":
        """``mon-fri 09:00-15:00; sat 10:00-12:00``; a bad spec raises ValueError at start-up."""
        windows: list[tuple[int, time, time]] = []
        for part in filter(None, (p.strip().lower() for p in spec.split(";"))):
            m = _PART.match(part)
            if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
                raise ValueError(f"OFFICE_HOURS: cannot read {part!r} (like 'mon-fri 09:00-15:00')")
            first = DAYS.index(m.group(1))
            last = DAYS.index(m.group(2)) if m.group(2) else first
            opens = time(int(m.group(3)), int(m.group(4)))
            closes = time(int(m.group(5)), int(m.group(6)))
            if closes <= opens:
                raise ValueError(f"OFFICE_HOURS: {part!r} closes before it opens")
            windows += [(d, opens, closes) for d in range(first, last + 1)]
        return cls(tuple(windows), spec)

    def is_open(self, now_utc: datetime) -> bool:
        local = to_local(now_utc)
        t = local.time()
        return any(d == local.weekday() and o <= t < c for d, o, c in self.windows)
