"""The menus callers reach (``menu_visit``, the admin's overview) and the words they say in
them (``speech_log``, the admin's speech page), written in batches.

A turn only notes its visits here; they are written a batch at a time, in a short transaction of
their own, at most every ``flush_every`` seconds (and inside the status callback's transaction at
the end of a call, and when the process exits), so that walking the programme writes nothing
on the turn.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from catalogue.db import begin_write
from catalogue.models import MenuVisit, SpeechHeard
from ivr_flows.context import Heard

log = logging.getLogger(__name__)
MAX_BATCH = 500


Batch = tuple[list[dict[str, object]], list[dict[str, object]]]  # menu visits, words heard


class VisitBuffer:
    def __init__(self, sessions: sessionmaker[DbSession], flush_every: float = 2.0) -> None:
        self.sessions = sessions
        self.flush_every = flush_every
        self._rows: list[dict[str, object]] = []
        self._heard: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._last = time.monotonic()
        atexit.register(self.flush)

    def add(self, call_id: int, visits: list[tuple[str, datetime]]) -> None:
        with self._lock:
            self._rows.extend({"call_id": call_id, "node": node, "at": at} for node, at in visits)

    def add_heard(self, heard: list[Heard]) -> None:
        with self._lock:
            self._heard.extend({"node": h.node[:40], "lang": h.lang[:5], "words": h.words[:200],
                                "outcome": h.outcome, "at": h.at} for h in heard)

    def due(self) -> bool:
        waiting = len(self._rows) + len(self._heard)
        return bool(waiting) and (waiting >= MAX_BATCH
                                  or time.monotonic() - self._last >= self.flush_every)

    def take(self) -> Batch:
        with self._lock:
            batch = (self._rows, self._heard)
            self._rows, self._heard = [], []
            self._last = time.monotonic()
        return batch

    def restore(self, batch: Batch) -> None:
        """A batch whose transaction failed: kept for the next try (a bounded number)."""
        rows, heard = batch
        with self._lock:
            self._rows[:0] = rows[:MAX_BATCH * 10]
            self._heard[:0] = heard[:MAX_BATCH * 10]

    def write_into(self, db: DbSession) -> Batch:
        """The batch into a transaction the caller commits (the status callback's own, so a
        hang-up takes the write lock once); on a failed commit hand it to ``restore``."""
        batch = self.take()
        _insert(db, batch)
        return batch

    def flush(self) -> None:
        batch = self.take()
        if not batch[0] and not batch[1]:
            return
        try:
            with self.sessions() as db:
                begin_write(db)
                _insert(db, batch)
                db.commit()
        except Exception:  # noqa: BLE001 - statistics must never break a call; keep them for later
            log.warning("could not write %d menu visits and %d words heard now; will try again",
                        len(batch[0]), len(batch[1]))
            self.restore(batch)


def _insert(db: DbSession, batch: Batch) -> None:
    rows, heard = batch
    if rows:
        db.execute(insert(MenuVisit), rows)
    if heard:
        db.execute(insert(SpeechHeard), heard)
