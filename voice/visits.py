"""The menus callers reach (``menu_visit``, the admin's overview), the words they say in
them (``speech_log``, the admin's speech page) and the language a first-time caller chose
(kept on ``caller`` for their next call), written in batches.

A turn only notes its visits here; they are written a batch at a time, in a short transaction of
their own, at most every ``flush_every`` seconds (and inside the status callback's transaction at
the end of a call, and when the process exits), so that walking the programme writes nothing
on the turn. A language waits here at most ``flush_every`` seconds: a caller who rings again
sooner is asked once more, nothing worse.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from catalogue.database import begin_write, commit_unhurried
from catalogue.models import Caller, MenuVisit, SpeechHeard
from ivr_flows.context import Heard

log = logging.getLogger(__name__)
MAX_BATCH = 500
MAX_TRIES = 3  # a batch that failed this often is dropped (logged): it must not block the rest
# On the tables, built once: the ORM's bulk path costs more than the executemany it runs.
_VISITS = insert(cast("Table", MenuVisit.__table__))
_HEARD = insert(cast("Table", SpeechHeard.__table__))
_CALLERS = cast("Table", Caller.__table__)
# On the table: a caller removed meanwhile (purged) matches no row and is no error, where the
# ORM's update by primary key would refuse the whole batch (StaleDataError) on every try.
_KEEP_LANGUAGE = (update(_CALLERS).where(_CALLERS.c.id == bindparam("cid"))
                  .values(language=bindparam("lang")))


# menu visits, words heard, and languages chosen by caller id
Batch = tuple[list[dict[str, object]], list[dict[str, object]], dict[int, str]]


class VisitBuffer:
    def __init__(self, sessions: sessionmaker[DbSession], flush_every: float = 2.0) -> None:
        self.sessions = sessions
        self.flush_every = flush_every
        self._rows: list[dict[str, object]] = []
        self._heard: list[dict[str, object]] = []
        self._languages: dict[int, str] = {}
        self._failures = 0  # failed tries in a row
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

    def add_language(self, caller_id: int, lang: str) -> None:
        with self._lock:
            self._languages[caller_id] = lang  # the last choice wins

    def due(self) -> bool:
        waiting = len(self._rows) + len(self._heard) + len(self._languages)
        return bool(waiting) and (waiting >= MAX_BATCH
                                  or time.monotonic() - self._last >= self.flush_every)

    def take(self) -> Batch:
        with self._lock:
            batch = (self._rows, self._heard, self._languages)
            self._rows, self._heard, self._languages = [], [], {}
            self._last = time.monotonic()
        return batch

    def restore(self, batch: Batch) -> None:
        """A batch whose transaction failed: kept for the next try, at most ``MAX_TRIES`` in a
        row (then dropped and logged: statistics must not stop being written for good)."""
        rows, heard, languages = batch
        with self._lock:
            self._failures += 1
            if self._failures >= MAX_TRIES:
                self._failures = 0
                log.warning("dropped %d menu visits, %d words heard and %d languages after %d "
                            "failed tries", len(rows), len(heard), len(languages), MAX_TRIES)
                return
            self._rows[:0] = rows[:MAX_BATCH * 10]
            self._heard[:0] = heard[:MAX_BATCH * 10]
            self._languages = {**dict(list(languages.items())[:MAX_BATCH * 10]), **self._languages}

    def written(self) -> None:
        """A batch was committed: the count of failed tries starts again."""
        self._failures = 0

    def flush(self) -> None:
        batch = self.take()
        if not any(batch):
            return
        try:
            with self.sessions() as db:
                begin_write(db)
                insert_batch(db, batch)
                commit_unhurried(db)
            self.written()
        except Exception:  # noqa: BLE001 - statistics must never break a call; keep them for later
            log.warning("could not write %d menu visits, %d words heard and %d languages now; "
                        "will try again", len(batch[0]), len(batch[1]), len(batch[2]))
            self.restore(batch)


def insert_batch(db: DbSession, batch: Batch) -> None:
    """A taken batch into a transaction the caller commits (the status callback's own, so a
    hang-up takes the write lock once); should it fail, the batch goes back by ``restore``."""
    rows, heard, languages = batch
    if rows:
        db.execute(_VISITS, rows)
    if heard:
        db.execute(_HEARD, heard)
    if languages:
        db.execute(_KEEP_LANGUAGE, [{"cid": cid, "lang": lang} for cid, lang in languages.items()])
