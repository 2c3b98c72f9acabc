"""iCalendar import: weekly RRULE with an EXDATE and a moved occurrence (RECURRENCE-ID), time
zones (Helsinki wall clock, UTC), a date-only event; by URL from a local server and from a file;
idempotent by UID; a broken feed keeps nothing."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.db import get_sessionmaker
from catalogue.importers import runner
from catalogue.importers.records import ImportFailed
from catalogue.models import Event, ImportSource, Session, SessionStatus, SourceKind
from catalogue.timeutil import to_local
from tests import factories
from tests.linkedevents_support import serve

FEED = Path(__file__).parent / "fixtures" / "ical" / "provider.ics"
MONDAY = date.today() + timedelta(days=7 - date.today().weekday())  # next Monday


def feed(first: date = MONDAY) -> bytes:
    text = FEED.read_text()
    for mark, day in (("__FIRST__", first), ("__SECOND__", first + timedelta(weeks=1)),
                      ("__THIRD__", first + timedelta(weeks=2))):
        text = text.replace(mark, day.strftime("%Y%m%d"))
    return text.replace("\n", "\r\n").encode()


def ical_source(db: DbSession, url: str) -> int:
    src = ImportSource(name="provider", kind=SourceKind.ICAL, url=url,
                       city_id=factories.city(db, "turku").id,
                       provider_id=factories.provider(db, "Kulttuuritalo").id, auto_approve=True)
    db.add(src)
    db.commit()
    return src.id


def run(app: Flask, sid: int) -> runner.upsert.Outcome:
    return runner.run(get_sessionmaker(app), sid, start=MONDAY - timedelta(days=1),
                      end=MONDAY + timedelta(weeks=8))


def test_recurrences_exceptions_and_time_zones(app: Flask, db: DbSession) -> None:
    with serve() as site:
        site.files["/feed.ics"] = (200, feed(), "text/calendar")
        sid = ical_source(db, f"{site.base}/feed.ics")
        outcome = run(app, sid)
        assert outcome.created == 3
        events = {e.source_key: e for e in db.scalars(select(Event))}
        song = events["laulu@provider.example"]
        starts = [to_local(s.starts_at) for s in song.sessions]
        # Six weekly, one excluded; the third moved to 17:00 the same day.
        assert len(starts) == 5
        assert MONDAY + timedelta(weeks=1) not in [s.date() for s in starts]
        assert [(s.hour, s.minute) for s in starts] == [(14, 0), (17, 0), (14, 0), (14, 0), (14, 0)]
        assert all(s.length_minutes == 90 for s in song.sessions)
        assert song.venue == "Kulttuuritalo" and song.address == "Sturenkatu 4"
        assert song.description_fi == "Laulamme yhdessä tuttuja lauluja. Lisää:"
        assert song.city is not None and song.city.slug == "turku" and song.provider.name == "Kulttuuritalo"
        lecture = events["luento@provider.example"].sessions[0]
        assert lecture.starts_at.hour == 10  # given in UTC, stored in UTC
        day = events["paiva@provider.example"].sessions[0]
        assert day.all_day and to_local(day.starts_at).hour == 0

        # The moved occurrence is keyed by its RECURRENCE-ID: moving it again updates that session.
        moved = song.sessions[1]
        site.files["/feed.ics"] = (200, feed().replace(b"T170000", b"T160000"), "text/calendar")
        again = run(app, sid)
        assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
        db.rollback()
        db.expire_all()
        assert to_local(db.get(Session, moved.id).starts_at).hour == 16  # type: ignore[union-attr]
        assert run(app, sid).unchanged == 3


def test_an_occurrence_removed_from_the_feed_is_cancelled(app: Flask, db: DbSession, tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(feed())
    sid = ical_source(db, str(path))
    run(app, sid)
    fourth = MONDAY + timedelta(weeks=3)
    path.write_bytes(feed().replace(
        b"EXDATE;TZID=Europe/Helsinki:", b"EXDATE;TZID=Europe/Helsinki:"
        + fourth.strftime("%Y%m%d").encode() + b"T140000,"))
    assert run(app, sid).cancelled == 1
    db.rollback()
    cancelled = db.scalars(select(Session).where(Session.status == SessionStatus.CANCELLED)).all()
    assert [to_local(s.starts_at).date() for s in cancelled] == [fourth]


@pytest.mark.parametrize("body,status", [(b"BEGIN:VCALENDAR\r\nthis is not", 200), (b"gone", 503)])
def test_a_broken_feed_keeps_nothing(app: Flask, db: DbSession, body: bytes, status: int) -> None:
    with serve() as site:
        site.files["/feed.ics"] = (status, body, "text/calendar")
        sid = ical_source(db, f"{site.base}/feed.ics")
        with pytest.raises(ImportFailed) as failed:
            run(app, sid)
    assert failed.value.where.endswith("/feed.ics")
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_the_cli_imports_a_file(app: Flask, db: DbSession, tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(feed())
    args = ["import", "ical", "--url", str(path), "--city", "tampere",
            "--start", (MONDAY - timedelta(days=1)).isoformat(),
            "--end", (MONDAY + timedelta(weeks=8)).isoformat()]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    assert "0 new, 0 updated, 3 unchanged" in app.test_cli_runner().invoke(args=args).output
