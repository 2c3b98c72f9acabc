"""The call job's pace (one call per interval over all runners, back-off on HTTP 429), a claim
that never became a call, and the staff list of calls nobody answered."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as DbSession

from catalogue import outbound
from catalogue.models import CallStatus
from tests import factories as f
from tests.fake_twilio import RecordingTwilio
from tests.outbound_support import run, use_fake_twilio
from tests.test_outbound_calls import NOON_BEFORE, _register, _rows, _session


@pytest.fixture
def twilio(app: Flask) -> RecordingTwilio:
    return use_fake_twilio(app)


def test_one_call_per_second_pacing(app: Flask, db: DbSession) -> None:
    fake = use_fake_twilio(app, per_second=5.0)  # 0.2 s apart, so the test stays short
    s = _session(db)
    for n in range(4):
        _register(db, s, f"+35840123456{n}")
    assert run(app, NOON_BEFORE).placed == 4
    times = [c.at for c in fake.calls]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.15, gaps  # 0.2 s apart, less what a busy machine adds to one send
    assert times[-1] - times[0] >= 0.57, gaps


def test_http_429_backs_off_and_the_call_is_placed_once(app: Flask, db: DbSession) -> None:
    fake = use_fake_twilio(app)
    fake.responses = [429]
    s = _session(db)
    _register(db, s, "+358912345678")
    waits: list[float] = []
    report = run(app, NOON_BEFORE, sleep=waits.append)
    assert report.throttled == 1 and report.placed == 1
    assert len(fake.calls) == 2 and max(waits) >= 0.5  # pushed back about a second
    row = _rows(db)[0]
    assert row.status == CallStatus.PLACED and row.attempts == 1


def test_a_claimed_call_that_never_went_out_goes_to_staff_not_twice(
        app: Flask, db: DbSession, twilio: RecordingTwilio) -> None:
    s = _session(db)
    _register(db, s, "+358912345678")
    outbound.plan(db, NOON_BEFORE, outbound.CallRules())
    row = _rows(db)[0]
    row.status, row.claimed_at = CallStatus.PLACING, NOON_BEFORE
    db.commit()
    run(app, NOON_BEFORE + timedelta(minutes=6))
    assert twilio.calls == [] and _rows(db)[0].needs_staff


def test_staff_see_the_unanswered_calls_and_mark_them_done(
        app: Flask, client: FlaskClient, db: DbSession, twilio: RecordingTwilio) -> None:
    from tests.admin_support import login, post, provider_user, staff

    s = _session(db)
    _register(db, s, "+358912345678")
    outbound.plan(db, NOON_BEFORE, outbound.CallRules())
    row = _rows(db)[0]
    row.status, row.needs_staff, row.attempts, row.last_result = CallStatus.STAFF, True, 3, "busy"
    staff(db)
    provider_user(db, f.provider(db, "Teatteri"))
    db.commit()
    login(client, "prov@example.test")
    assert client.get("/admin/calls").status_code == 403  # numbers are for staff only
    fresh = app.test_client()
    login(fresh, "staff@example.test")
    page = fresh.get("/admin/calls").get_data(as_text=True)
    assert "09 12345678" in page and "Runotuokio" in page and "busy" in page
    resp = post(fresh, f"/admin/calls/{row.id}/done", {}, page="/admin/calls")
    assert resp.status_code == 302
    assert not _rows(db)[0].needs_staff
    assert "09 12345678" not in fresh.get("/admin/calls").get_data(as_text=True)


def test_the_privacy_purge_removes_a_called_person_and_their_calls(
        app: Flask, db: DbSession, twilio: RecordingTwilio) -> None:
    from sqlalchemy import select

    from catalogue.models import Caller, OutboundCall
    from catalogue.privacy import purge

    s = _session(db)
    _register(db, s, "+358912345678")
    run(app, NOON_BEFORE)
    assert len(_rows(db)) == 1
    report = purge(db, now=s.ends_at + timedelta(days=400), days=30)
    db.commit()
    assert report.callers_removed == 1
    assert db.scalars(select(Caller)).all() == [] and db.scalars(select(OutboundCall)).all() == []


def test_the_scheduler_thread_places_due_calls(app: Flask, db: DbSession,
                                               twilio: RecordingTwilio) -> None:
    import time as clock

    from catalogue import registration
    from catalogue.timeutil import to_local, utcnow
    from voice.outbound_job import CallWorker

    hour = (to_local(utcnow()).hour + 12) % 24  # quiet hours far from now, whenever this runs
    app.config["CALL_QUIET_HOURS"] = f"{hour:02d}:00-{hour:02d}:30"
    s = f.session(db, f.event(db, title="Runotuokio"), starts_in=timedelta(days=3), capacity=1)
    first = _register(db, s, "+358912345678", at=utcnow())
    _register(db, s, "+358401234567", at=utcnow())
    registration.cancel(db, f.registered(first).id, now=utcnow())  # a place comes free
    worker = CallWorker(app, interval=5)
    worker.start()
    try:
        deadline = clock.time() + 30
        while not twilio.calls and clock.time() < deadline:
            clock.sleep(0.05)
    finally:
        worker.stop()
    assert [c.data["To"] for c in twilio.calls] == ["+358401234567"]
