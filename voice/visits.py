"""The menus callers reach (``menu_visit``, the admin's overview), written in batches.

A turn only notes its visits here; they are written a batch at a time, in a short transaction of
their own, at most every ``flush_every`` seconds (and inside the status callback's transaction
at the end of a call, and when the process exits), so that walking the programme writes nothing on the turn.
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
from catalogue.models import MenuVisit

log = logging.getLogger(__name__)
MAX_BATCH = 500


class VisitBuffer:
    def __init__(self, sessions: sessionmaker[DbSession], flush_every: float = 2.0) -> None:
        self.sessions = sessions
        self.flush_every = flush_every
        self._rows: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._last = time.monotonic()
        atexit.register(self.flush)

    def add(self, call_id: int, visits: list[tuple[str, datetime]]) -> None:
        with self._lock:
            self._rows.extend({"call_id": call_id, "node": node, "at": at} for node, at in visits)

    def due(self) -> bool:
        return bool(self._rows) and (len(self._rows) >= MAX_BATCH
                                     or time.monotonic() - self._last >= self.flush_every)

    def take(self) -> list[dict[str, object]]:
        with self._lock:
            rows, self._rows = self._rows, []
            self._last = time.monotonic()
        return rows

    def restore(self, rows: list[dict[str, object]]) -> None:
        """Rows whose transaction failed: kept for the next try (a bounded number)."""
        with self._lock:
            self._rows[:0] = rows[:MAX_BATCH * 10]

    def write_into(self, db: DbSession) -> list[dict[str, object]]:
        """The batch into a transaction the caller commits (the status callback's own, so a
        hang-up takes the write lock once); on a failed commit hand the rows to ``restore``."""
        rows = self.take()
        if rows:
            db.execute(insert(MenuVisit), rows)
        return rows

    def flush(self) -> None:
        rows = self.take()
        if not rows:
            return
        try:
            with self.sessions() as db:
                begin_write(db)
                db.execute(insert(MenuVisit), rows)
                db.commit()
        except Exception:  # noqa: BLE001 - statistics must never break a call; keep them for later
            log.warning("could not write %d menu visits now; will try again", len(rows))
            self.restore(rows)
