"""Running a source: read it whole (no transaction open while the network is slow), apply it in
one transaction, note the result on the source. ``run_due`` is the scheduled pass: each source
on its own interval, claimed with a conditional UPDATE so that on several hosts only one runner
imports a source at a time (a claim older than ``STALE`` is a runner that died)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from ..database import begin_write
from ..models import ImportSource, SourceKind
from ..timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from . import ical, linkedevents, upsert
from .records import ImportedEvent, ImportFailed

log = logging.getLogger("lampio.imports")
STALE = timedelta(hours=1)
Progress = Callable[[int, int | None], None]


def default_window(now: datetime, days: int = 28) -> tuple[date, date]:
    today = to_local(now).date()
    return today, today + timedelta(days=days)


def utc_window(start: date, end: date) -> tuple[datetime, datetime]:
    """The dates as the UTC span they cover in Helsinki (the end date included)."""
    return (to_utc(datetime.combine(start, time(), LOCAL_TZ)),
            to_utc(datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ)))


def read(source: ImportSource, start: date, end: date,
         progress: Progress | None = None) -> list[ImportedEvent]:
    """Everything the source says for the window, or ``ImportFailed``; writes nothing."""
    if source.kind == SourceKind.LINKED_EVENTS:
        url = linkedevents.query_url(source.url, source.keyword_list(), start, end)
        return linkedevents.parse(linkedevents.fetch(url, progress=progress))
    data = ical.read(source.url)
    try:
        events = ical.parse(data, start, end + timedelta(days=1))
    except ImportFailed as exc:
        raise ImportFailed(source.url, exc.reason) from None
    if progress is not None:
        progress(len(events), len(events))
    return events


def run(make_session: sessionmaker[DbSession], source_id: int, *, now: datetime | None = None,
        start: date | None = None, end: date | None = None,
        progress: Progress | None = None) -> upsert.Outcome:
    """Import one source; on any failure nothing of it is kept, and the failure is noted."""
    now = now or utcnow()
    with make_session() as db:
        source = db.get(ImportSource, source_id)
        if source is None:
            raise LookupError(f"no import source {source_id}")
        db.expunge(source)
        db.rollback()
    if start is None or end is None:
        start, end = default_window(now, source.window_days)
    try:
        items = read(source, start, end, progress)
        with make_session() as db:
            begin_write(db)  # reads, then writes: on SQLite a writer from the start
            fresh = db.get(ImportSource, source_id)
            assert fresh is not None
            outcome = upsert.apply(db, fresh, items, utc_window(start, end))
            _note(db, source_id, now, f"{now:%Y-%m-%d %H:%M} UTC: {outcome}")
            db.commit()
        return outcome
    except Exception as exc:
        with make_session() as db:
            begin_write(db)
            _note(db, source_id, now, f"{now:%Y-%m-%d %H:%M} UTC: failed: {exc}")
            db.commit()
        raise


def _note(db: DbSession, source_id: int, now: datetime, result: str) -> None:
    db.execute(update(ImportSource).where(ImportSource.id == source_id)
               .values(last_run_at=now, claimed_at=None, last_result=result[:2000]))


def claim(db: DbSession, source: ImportSource, now: datetime) -> bool:
    """Take this source's run if it is due and no live runner has it; commits at once so the
    claim is seen by the other hosts."""
    seen = source.last_run_at
    begin_write(db)
    done = db.execute(
        update(ImportSource)
        .where(ImportSource.id == source.id, ImportSource.enabled.is_(True),
               or_(ImportSource.claimed_at.is_(None), ImportSource.claimed_at < now - STALE),
               ImportSource.last_run_at.is_(None) if seen is None
               else ImportSource.last_run_at == seen)
        .values(claimed_at=now).execution_options(synchronize_session=False))
    db.commit()
    return cast("CursorResult[Any]", done).rowcount == 1


def due(source: ImportSource, now: datetime) -> bool:
    return source.enabled and (source.last_run_at is None or
                               source.last_run_at + timedelta(minutes=source.interval_minutes) <= now)


def run_due(make_session: sessionmaker[DbSession], now: datetime | None = None) -> dict[str, str]:
    """One scheduled pass: every due source this runner could claim; its result by name."""
    now = now or utcnow()
    results: dict[str, str] = {}
    with make_session() as db:
        sources = [s for s in db.scalars(select(ImportSource).order_by(ImportSource.id))
                   if due(s, now)]
        claimed = [(s.id, s.name) for s in sources if claim(db, s, now)]
    for source_id, name in claimed:
        try:
            results[name] = str(run(make_session, source_id, now=now))
        except Exception as exc:  # noqa: BLE001 - noted on the source; the next source goes on
            log.warning("import of %s failed: %s", name, exc)
            results[name] = f"failed: {exc}"
    return results
