"""Scheduled imports: each source on its own interval, claimed so that only one runner of
several imports it, run by the service's job runner (the scheduler thread's pass)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from catalogue import jobs
from catalogue.db import get_sessionmaker
from catalogue.importers import runner
from catalogue.models import Event, ImportSource, SourceKind
from catalogue.timeutil import utcnow
from tests import factories
from tests.linkedevents_support import event, serve


def test_each_source_runs_once_per_interval_and_a_claim_is_exclusive(app: Flask, db: DbSession) -> None:
    with serve() as site:
        start = datetime.combine(date.today() + timedelta(days=2), datetime.min.time()).replace(hour=12)
        site.set_pages([[event(1, start)]])
        src = ImportSource(name="hki", kind=SourceKind.LINKED_EVENTS, url=f"{site.base}/v1/",
                           city_id=factories.city(db).id, interval_minutes=60, auto_approve=True)
        db.add(src)
        db.commit()
        now = utcnow()
        # Two runners see the source due; only the first claim wins.
        make = get_sessionmaker(app)
        with make() as one, make() as two:
            a, b = one.get(ImportSource, src.id), two.get(ImportSource, src.id)
            assert a is not None and b is not None
            assert runner.claim(one, a, now) is True
            assert runner.claim(two, b, now) is False
        with make() as reset:
            reset.execute(update(ImportSource).values(claimed_at=None))
            reset.commit()
        jobs.run_all(app)  # what the scheduler thread runs after each calls pass
        assert len(site.requests) == 1
        db.rollback()
        assert db.scalar(select(func.count()).select_from(Event)) == 1
        assert runner.run_due(make, now + timedelta(minutes=30)) == {}  # not due yet
        assert len(site.requests) == 1
        later = runner.run_due(make, now + timedelta(minutes=61))
        assert later == {"hki": "0 new, 0 updated, 1 unchanged, 0 sessions cancelled"}
        # A runner that died holding a claim holds it only for STALE.
        with make() as dead:
            dead.execute(update(ImportSource).values(
                claimed_at=now + timedelta(minutes=130), last_run_at=now))
            dead.commit()
        assert runner.run_due(make, now + timedelta(minutes=140)) == {}
        assert "hki" in runner.run_due(make, now + timedelta(minutes=131) + runner.STALE)
