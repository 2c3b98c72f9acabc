"""Office hours such as ``mon-fri 09:00-15:00`` (Europe/Helsinki), for the 0 key."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from catalogue.timeutil import to_local

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max  # "24:00": open to the end of the day
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
            opens, closes = _clock(m.group(3), m.group(4), part), _clock(m.group(5), m.group(6), part)
            if opens == END_OF_DAY:
                raise ValueError(f"OFFICE_HOURS: {part!r} opens at the end of the day")
            if closes <= opens:
                raise ValueError(f"OFFICE_HOURS: {part!r} closes before it opens")
            windows += [(d, opens, closes) for d in range(first, last + 1)]
        return cls(tuple(windows), spec)

    @staticmethod
    def said(t: time) -> tuple[int, int]:
        """(hour, minute) to say: the end of the day is 24:00."""
        return (24, 0) if t == END_OF_DAY else (t.hour, t.minute)

    def is_open(self, now_utc: datetime) -> bool:
        local = to_local(now_utc)
        t = local.time()
        return any(d == local.weekday() and o <= t < c for d, o, c in self.windows)


def _clock(hour: str, minute: str, part: str) -> time:
    h, m = int(hour), int(minute)
    if (h, m) == (24, 0):
        return END_OF_DAY
    if h > 23 or m > 59:
        raise ValueError(f"OFFICE_HOURS: {part!r} has no such time {hour}:{minute}")
    return time(h, m)
