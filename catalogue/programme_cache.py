"""The coming days' programme held in memory, so that a caller walking the programme costs no
database work beyond, at most once per ``recheck`` seconds, reading the change counter.

A commit in this process that changes the programme drops the copy at once; another process's
commit is seen through ``catalogue_change`` within ``recheck`` seconds. The copy also slides
forward with time (it is reloaded every ``slide``), so "from now" stays right.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as DbSession

from . import changes
from .listening import offered, with_approved_audio
from .models import Session
from .descriptions import described
from .rooms import ended_rooms
from .programme import WEEK, ProgrammeItem, in_programme, item_of, items_between, one_per_window

SPAN = timedelta(days=8)  # a week ahead of any "now" until the next slide
SLIDE = timedelta(minutes=10)


class ProgrammeCache:
    def __init__(self, recheck: float = 1.0) -> None:
        self.recheck = recheck
        self._lock = threading.Lock()
        self._items: tuple[ProgrammeItem, ...] = ()
        self._by_id: dict[int, ProgrammeItem] = {}
        self._with_audio: frozenset[int] = frozenset()
        self._ended: frozenset[int] = frozenset()
        self._described: frozenset[tuple[int, str]] = frozenset()
        self._loaded_for: datetime | None = None
        self._version = -1
        self._generation = -1
        self._checked = 0.0
        self.loads = 0  # for tests and benchmarks: how often the database was read

    def _stale(self, db: DbSession, now: datetime) -> bool:
        here = self._stale_here(now)
        if here is not None:
            return here
        self._checked = time.monotonic()
        return changes.current_version(db) != self._version

    def _stale_here(self, now: datetime) -> bool | None:
        """Stale (True) or fresh (False) as far as this process knows; None: time to read the
        change counter."""
        loaded = self._loaded_for
        if loaded is None or now < loaded or now - loaded > SLIDE:
            return True
        if self._generation != changes.local_generation():
            return True
        return None if time.monotonic() - self._checked >= self.recheck else False

    def _items_for(self, db: DbSession, now: datetime) -> tuple[ProgrammeItem, ...]:
        if not self._stale(db, now):
            return self._items
        with self._lock:
            generation = changes.local_generation()
            version = changes.current_version(db)
            items = tuple(items_between(db, now, now + SPAN, all_cities=True))
            self._items, self._by_id = items, {i.session_id: i for i in items}
            self._with_audio = with_approved_audio(db)
            self._ended = ended_rooms(db)
            self._described = described(db)
            self._loaded_for, self._version, self._generation = now, version, generation
            self._checked = time.monotonic()
            self.loads += 1
            return items

    def stamp(self, db: DbSession, now: datetime) -> tuple[int, int, datetime | None]:
        """Which copy answers for ``now`` (reloaded first when stale): an answer built from
        the programme is stale once its stamp changes."""
        self._items_for(db, now)
        return self._version, self._generation, self._loaded_for

    def stamp_here(self, now: datetime) -> tuple[int, int, datetime | None] | None:
        """The stamp when the copy is fresh without asking the database; else None."""
        return (self._version, self._generation, self._loaded_for) \
            if self._stale_here(now) is False else None

    def programme(self, db: DbSession, city_id: int | None, now: datetime,
                  horizon: timedelta = WEEK) -> list[ProgrammeItem]:
        """The phone's programme from ``now``: the same rule as ``programme.programme_for``,
        less the recordings that have no approved audio (they cannot be heard yet), each
        recording once."""
        return one_per_window([i for i in self._items_for(db, now)
                               if in_programme(i, city_id, now, horizon)
                               and offered(i.kind, i.session_id, self._with_audio)])

    def item(self, db: DbSession, session_id: int, now: datetime) -> ProgrammeItem | None:
        """One item; beyond the cached days (an event code for next month) from the database."""
        self._items_for(db, now)
        found = self._by_id.get(session_id)
        if found is not None:
            return found
        session = db.get(Session, session_id)
        return item_of(session) if session is not None else None

    def room_ended(self, db: DbSession, session_id: int, now: datetime) -> bool:
        """The host (or Twilio) has ended this session's room: the programme no longer offers
        to take part, though its scheduled time lasts."""
        self._items_for(db, now)
        return session_id in self._ended

    def described(self, db: DbSession, event_id: int, lang: str, now: datetime) -> bool:
        """An approved audio description of the event in ``lang`` exists."""
        self._items_for(db, now)
        return (event_id, lang) in self._described
