"""What a call leaves behind, written in batches: the menus callers reach (``menu_visit``, the
admin's overview), the words they say in them (``speech_log``, the admin's speech page), the
language a first-time caller chose (kept on ``caller`` for their next call) and the call's end
(``call_log``: its status, duration and the end of any state kept in the record), and a
main-line call's person and record themselves, which its first webhook no longer writes
(``catalogue.call_records``): each batch makes those of every call it holds anything of, when
missing, before the rest.

A turn, and the hang-up's status callback, only note these here; they are written a batch at a
time, in a short transaction of their own, every ``flush_every`` seconds by a writer thread of
the process, and when the process exits. No caller's turn waits for a batch: the turn that found
it due used to wait for its whole transaction (on PostgreSQL under load 16 ms at the median, up
to half a second in a burst), about one turn in fifty. A request writes it only when it is big
or the thread is long late, and at once with ``flush_every`` 0 (as the tests run). So walking the
programme and hanging up write nothing on the turn: the two writes of a call that were not its
own record became one transaction for all the calls that ended meanwhile. A language waits here
at most ``flush_every`` seconds: a caller who rings again sooner is asked once more, nothing
worse; a typed number kept in a call's record outlives the call by as long (and a process that
dies before its batch leaves it to ``lampio registrations purge``'s stale-call sweep).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from catalogue import call_records
from catalogue.database import begin_write, commit_unhurried
from catalogue.models import Caller, CallLog, MenuVisit, SpeechHeard
from catalogue.timeutil import utcnow
from ivr_flows.context import Heard

log = logging.getLogger(__name__)
MAX_BATCH = 500
MAX_TRIES = 3  # a batch that failed this often is dropped (logged): it must not block the rest
LATE = 3.0  # a request writes the batch itself when the writer thread is this many periods late
# On the tables, built once: the ORM's bulk path costs more than the executemany it runs.
_VISITS = insert(cast("Table", MenuVisit.__table__))
_HEARD = insert(cast("Table", SpeechHeard.__table__))
_CALLERS = cast("Table", Caller.__table__)
# On the table: a caller removed meanwhile (purged) matches no row and is no error, where the
# ORM's update by primary key would refuse the whole batch (StaleDataError) on every try.
_KEEP_LANGUAGE = (update(_CALLERS).where(_CALLERS.c.id == bindparam("cid"))
                  .values(language=bindparam("lang")))

_BY_NUMBER = (update(_CALLERS).where(_CALLERS.c.phone == bindparam("number"))
              .values(language=bindparam("lang")))

_CALLS = cast("Table", CallLog.__table__)
_MENU = cast("Table", MenuVisit.__table__)
# A call whose record the batch makes: its visits find the record's id by the CallSid.
_VISITS_BY_SID = insert(_MENU).from_select(["call_id", "node", "at"], select(
    _CALLS.c.id, bindparam("node", type_=_MENU.c.node.type), bindparam("at", type_=_MENU.c.at.type))
    .where(_CALLS.c.call_sid == bindparam("sid")))
_END = (update(_CALLS).where(_CALLS.c.call_sid == bindparam("sid"))
        .values(status=bindparam("st"), ended_at=bindparam("at"), duration_seconds=bindparam("dur")))
_STATES = (select(_CALLS.c.id, _CALLS.c.state)
           .where(_CALLS.c.call_sid.in_(bindparam("sids", expanding=True))))
_KEEP_ONLY = update(_CALLS).where(_CALLS.c.id == bindparam("cid")).values(state=bindparam("kept"))


class Batch(NamedTuple):
    """Menu visits, words heard, languages chosen by caller id, and ended calls by CallSid;
    the records (and people) of calls whose first webhook wrote nothing, by CallSid, their
    visits by CallSid and their new people's languages by number (``catalogue.call_records``)."""
    visits: list[dict[str, object]]
    heard: list[dict[str, object]]
    languages: dict[int, str]
    ends: dict[str, dict[str, object]]
    records: dict[str, dict[str, Any]]
    sid_visits: list[dict[str, object]]
    languages_of: dict[str, str]

    def size(self) -> int:
        return sum(map(len, self))


def end_calls(db: DbSession, ends: list[dict[str, object]]) -> None:
    """Calls' ends (``sid``, ``st``, ``at``, ``dur``) in a transaction the caller commits: one
    executemany, then only a state kept in a record (a typed number, a long state) is written
    again, with nothing but its language, so that the number is not kept past the call."""
    if not ends:
        return
    db.execute(_END, ends)
    kept = [{"cid": row.id, "kept": {"lang": row.state.get("lang")}} for row in db.execute(
        _STATES, {"sids": [end["sid"] for end in ends]}) if row.state]
    if kept:
        db.execute(_KEEP_ONLY, kept)


class VisitBuffer:
    def __init__(self, sessions: sessionmaker[DbSession], flush_every: float = 2.0) -> None:
        self.sessions = sessions
        self.flush_every = flush_every
        self._rows: list[dict[str, object]] = []
        self._heard: list[dict[str, object]] = []
        self._languages: dict[int, str] = {}
        self._ends: dict[str, dict[str, object]] = {}
        self._records: dict[str, dict[str, Any]] = {}
        self._sid_rows: list[dict[str, object]] = []
        self._languages_of: dict[str, str] = {}
        self._failures = 0  # failed tries in a row
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self.background = flush_every > 0  # a writer thread writes the batches (``_writer``)
        self._writer: threading.Thread | None = None
        self._writer_pid = 0  # the process it runs in (a forked worker starts its own)
        atexit.register(self.flush)

    def add(self, call_id: int, visits: list[tuple[str, datetime]]) -> None:
        with self._lock:
            self._rows.extend({"call_id": call_id, "node": node, "at": at} for node, at in visits)
        self._wake()

    def start(self, record: dict[str, Any]) -> None:
        """A call whose first webhook wrote nothing: its record (``call_records.record_row``)
        waits here, and its person with it."""
        with self._lock:
            self._records.setdefault(str(record["sid"]), record)
        self._wake()

    def add_pending(self, record: dict[str, Any], visits: list[tuple[str, datetime]]) -> None:
        """Visits of a call whose record may not be written yet (by this process or another):
        the record comes along, made first if missing."""
        sid = str(record["sid"])
        with self._lock:
            self._records.setdefault(sid, record)
            self._sid_rows.extend({"sid": sid, "node": node, "at": at} for node, at in visits)
        self._wake()

    def add_language_of(self, number: str, lang: str) -> None:
        """A language chosen by a new number whose row may not be written yet."""
        with self._lock:
            self._languages_of[number] = lang
        self._wake()

    def add_heard(self, heard: list[Heard]) -> None:
        with self._lock:
            self._heard.extend({"node": h.node[:40], "lang": h.lang[:5], "words": h.words[:200],
                                "outcome": h.outcome, "at": h.at} for h in heard)
        self._wake()

    def add_language(self, caller_id: int, lang: str) -> None:
        with self._lock:
            self._languages[caller_id] = lang  # the last choice wins
        self._wake()

    def end(self, end: dict[str, object], record: dict[str, Any] | None = None) -> None:
        """A call's end (``sid``, ``st``, ``at``, ``dur``: ``calls.call_end``), and the record
        it makes if none was made yet (``calls.ended_record``)."""
        with self._lock:
            self._ends[str(end["sid"])] = end
            if record is not None:
                self._records.setdefault(str(end["sid"]), record)
        self._wake()

    def _waiting(self) -> int:
        return (len(self._rows) + len(self._heard) + len(self._languages) + len(self._ends)
                + len(self._records) + len(self._sid_rows) + len(self._languages_of))

    def writing(self) -> bool:
        """Whether this process's writer thread runs."""
        return (self._writer is not None and self._writer_pid == os.getpid()
                and self._writer.is_alive())

    def _wake(self) -> None:
        """The writer thread started in this process on the first thing noted (not before: a
        process forked later, as gunicorn's workers are, has no thread of its parent's)."""
        if not self.background or self.writing():
            return
        with self._lock:
            if not self.writing():
                self._writer_pid = os.getpid()
                self._writer = threading.Thread(target=_write_every, args=(weakref.ref(self),),
                                                name="lampio-visits", daemon=True)
                self._writer.start()

    def due(self) -> bool:
        """Whether a request should write the batch itself: when it is big, or (with the
        writer thread running) only when the thread is ``LATE`` times its period late."""
        waiting = self._waiting()
        late = LATE if self.writing() else 1.0
        return bool(waiting) and (waiting >= MAX_BATCH
                                  or time.monotonic() - self._last >= late * self.flush_every)

    def take(self) -> Batch:
        with self._lock:
            batch = Batch(self._rows, self._heard, self._languages, self._ends, self._records,
                          self._sid_rows, self._languages_of)
            self._rows, self._heard, self._languages, self._ends = [], [], {}, {}
            self._records, self._sid_rows, self._languages_of = {}, [], {}
            self._last = time.monotonic()
        return batch

    def restore(self, batch: Batch) -> None:
        """A batch whose transaction failed: kept for the next try, at most ``MAX_TRIES`` in a
        row (then dropped and logged: statistics must not stop being written for good; a
        call's record and person are made again by its later turns' batches or its end)."""
        keep = MAX_BATCH * 10
        with self._lock:
            self._failures += 1
            if self._failures >= MAX_TRIES:
                self._failures = 0
                log.warning("dropped %d menu visits, %d words heard, %d languages, %d calls' "
                            "ends and %d calls' records after %d failed tries",
                            len(batch.visits) + len(batch.sid_visits), len(batch.heard),
                            len(batch.languages) + len(batch.languages_of), len(batch.ends),
                            len(batch.records), MAX_TRIES)
                return
            self._rows[:0] = batch.visits[:keep]
            self._sid_rows[:0] = batch.sid_visits[:keep]
            self._heard[:0] = batch.heard[:keep]
            self._languages = {**dict(list(batch.languages.items())[:keep]), **self._languages}
            self._languages_of = {**dict(list(batch.languages_of.items())[:keep]),
                                  **self._languages_of}
            self._ends = {**dict(list(batch.ends.items())[:keep]), **self._ends}
            self._records = {**dict(list(batch.records.items())[:keep]), **self._records}

    def written(self) -> None:
        """A batch was committed: the count of failed tries starts again."""
        self._failures = 0

    def flush(self) -> None:
        batch = self.take()
        if not any(batch):
            return
        try:
            self._write(batch)
            self.written()
        except Exception:  # noqa: BLE001 - statistics must never break a call; keep them for later
            log.warning("could not write %d things a call left now; will try again",
                        batch.size())
            if batch.ends and batch.size() > len(batch.ends):
                try:  # a call's end does not wait for statistics that cannot be written
                    self._write(Batch([], [], {}, batch.ends, {
                        sid: rec for sid, rec in batch.records.items() if sid in batch.ends},
                        [], {}))
                    batch = batch._replace(ends={})
                except Exception:  # noqa: BLE001 - the database's fault: all of it waits
                    pass
            self.restore(batch)

    def _write(self, batch: Batch) -> None:
        with self.sessions() as db:
            begin_write(db)
            insert_batch(db, batch)
            commit_unhurried(db)  # a call's end and statistics: no disk wait on PostgreSQL


def _write_every(ref: weakref.ref[VisitBuffer]) -> None:
    """The writer thread: the batch every ``flush_every`` seconds, until the buffer is gone."""
    while (buffer := ref()) is not None:
        wait = buffer.flush_every - (time.monotonic() - buffer._last)
        if wait <= 0:
            if buffer._waiting():
                buffer.flush()
            else:
                buffer._last = time.monotonic()
            wait = buffer.flush_every
        del buffer  # no reference held while asleep: an app that is gone takes its thread along
        time.sleep(min(max(wait, 0.01), 1.0))


def insert_batch(db: DbSession, batch: Batch) -> None:
    """A taken batch into a transaction the caller commits; should it fail, the batch goes back
    by ``restore``. The records (and people) first: the ends, visits and languages refer to
    them."""
    people = {rec["phone"]: call_records.person_row(rec["phone"], rec["now"])
              for rec in batch.records.values() if rec["phone"] is not None and rec["new"]}
    for number in batch.languages_of:
        people.setdefault(number, call_records.person_row(number, utcnow()))
    call_records.ensure_people(db, list(people.values()))
    call_records.ensure_records(db, list(batch.records.values()))
    end_calls(db, list(batch.ends.values()))
    if batch.visits:
        db.execute(_VISITS, batch.visits)
    if batch.sid_visits:
        db.execute(_VISITS_BY_SID, batch.sid_visits)
    if batch.heard:
        db.execute(_HEARD, batch.heard)
    if batch.languages:
        db.execute(_KEEP_LANGUAGE, [{"cid": cid, "lang": lang}
                                    for cid, lang in batch.languages.items()])
    if batch.languages_of:
        db.execute(_BY_NUMBER, [{"number": number, "lang": lang}
                                for number, lang in batch.languages_of.items()])
