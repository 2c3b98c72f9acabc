"""The retention purges people (issue 11, finding 4): old call logs, call-back requests and our
calls' rows go, and so do the callers they alone kept; a typed number leaves the call's state
once used; calls that never got a status callback are closed by a job."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from app import SettingError, create_app
from catalogue.models import (CallbackRequest, Caller, CallLog, MenuVisit, Registration,
                              RegistrationStatus)
from catalogue.privacy import close_stale_calls, purge
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.conftest import base_config
from tests.phone import Phone
from tests.test_registration_flow import aino, make_session, to_readback  # noqa: F401 - fixture

TYPED = "+358401234567"


def _count(db: DbSession, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_purge_removes_old_calls_callbacks_and_the_people_they_kept(db: DbSession) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=45), now - timedelta(days=2)
    only_calls = f.caller(db, "+358401110001")
    only_callback = f.caller(db, "+358401110002")
    called_lately = f.caller(db, "+358401110003")
    said_no_calls = f.caller(db, "+358401110004")
    upcoming = f.caller(db, "+358401110005")
    for c in (only_calls, only_callback, called_lately, said_no_calls, upcoming):
        c.created_at = now - timedelta(days=60)
    said_no_calls.no_calls = True
    s = f.session(db, f.event(db, code="555"), starts_in=timedelta(days=3))
    db.flush()
    db.add(Registration(session_id=s.id, caller_id=upcoming.id,
                        status=RegistrationStatus.CONFIRMED, active_key=1))
    old_call = CallLog(call_sid="CA-old", caller_id=only_calls.id, started_at=old, ended_at=old)
    db.add_all([old_call, CallLog(call_sid="CA-old2", caller_id=called_lately.id, started_at=old),
                CallLog(call_sid="CA-new", caller_id=called_lately.id, started_at=recent),
                CallbackRequest(caller_id=only_callback.id, created_at=old),
                CallbackRequest(caller_id=called_lately.id, created_at=recent)])
    db.flush()
    db.add(MenuVisit(call_id=old_call.id, node="main_menu", at=old))
    db.commit()

    report = purge(db, now=now, days=30)
    db.commit()
    db.expire_all()
    assert (report.calls_removed, report.callbacks_removed, report.callers_removed) == (2, 1, 2)
    assert set(db.scalars(select(CallLog.call_sid))) == {"CA-new"}
    assert _count(db, MenuVisit) == 0 and _count(db, CallbackRequest) == 1
    phones = set(db.scalars(select(Caller.phone)))
    assert phones == {called_lately.phone, said_no_calls.phone, upcoming.phone}
    assert purge(db, now=now, days=30) == type(report)(0, 0, 0, 0)


def test_typed_number_leaves_the_call_state_after_the_turn_that_used_it(
        phone: Phone, aino: Caller, db: DbSession) -> None:  # noqa: F811 - the fixture
    make_session(db)
    to_readback(phone)
    phone.press("3")
    phone.press("0401234567#")
    t = phone.press("1")
    assert "Ilmoitat toisen ihmisen" in t.text  # the read-back, about them
    state = db.scalars(select(CallLog.state)).one()
    assert TYPED in json.dumps(state)  # needed for the confirmation: kept on the server
    db.rollback()
    t = phone.press("1")
    assert "Hän on nyt ilmoittautunut" in t.text
    db.rollback()
    stored = json.dumps(db.scalars(select(CallLog.state)).one())
    assert "401234567" not in stored and "number" not in json.loads(stored).get("data", {})
    assert "s=db" not in (phone.next_action or "")  # the state travels in the URL again


def test_stale_calls_are_closed_and_their_state_cleared(app: Flask, db: DbSession) -> None:
    now = utcnow()
    db.add_all([CallLog(call_sid="CA-lost", started_at=now - timedelta(hours=5),
                        state={"data": {"number": TYPED}}),
                CallLog(call_sid="CA-live", started_at=now - timedelta(minutes=10),
                        state={"data": {"number": TYPED}})])
    db.commit()
    out = app.test_cli_runner().invoke(args=["calls", "close-stale"])
    assert out.exit_code == 0 and "1 stale calls closed" in out.output, out.output
    db.expire_all()
    lost = db.scalars(select(CallLog).where(CallLog.call_sid == "CA-lost")).one()
    live = db.scalars(select(CallLog).where(CallLog.call_sid == "CA-live")).one()
    assert lost.ended_at is not None and lost.state == {} and lost.status == "no-callback"
    assert live.ended_at is None and live.state["data"]["number"] == TYPED
    assert close_stale_calls(db, now=now + timedelta(hours=5), hours=4) == 1  # the live one


def test_the_calls_job_closes_stale_calls_too(app: Flask, db: DbSession) -> None:
    from voice.outbound_job import run_calls

    db.add(CallLog(call_sid="CA-lost", started_at=utcnow() - timedelta(hours=30), state={"x": 1}))
    db.commit()
    report = run_calls(app, sleep=lambda _s: None)
    assert report.stale_closed == 1 and "1 stale calls closed" in str(report)
    db.expire_all()
    assert db.scalars(select(CallLog.state)).one() == {}


def test_purge_days_is_a_checked_setting_used_by_the_command(app: Flask, db: DbSession,
                                                              tmp_path: Path) -> None:
    for bad in ("soon", "0", "-3"):
        with pytest.raises(SettingError, match="PURGE_DAYS"):
            create_app({**base_config("sqlite://", tmp_path), "PURGE_DAYS": bad})
    db.add(CallLog(call_sid="CA-10d", started_at=utcnow() - timedelta(days=10)))
    db.commit()
    app.config["PURGE_DAYS"] = 30
    out = app.test_cli_runner().invoke(args=["registrations", "purge"])
    assert out.exit_code == 0 and "0 call logs" in out.output, out.output
    app.config["PURGE_DAYS"] = 7
    out = app.test_cli_runner().invoke(args=["registrations", "purge"])
    assert out.exit_code == 0 and "1 call logs" in out.output, out.output


def test_the_admin_registrations_page_says_the_retention(app: Flask, db: DbSession,
                                                         client: FlaskClient) -> None:
    from tests.admin_support import login, staff

    staff(db)
    s = f.session(db, f.event(db, code="556"))
    db.commit()
    login(client, "staff@example.test")
    app.config["PURGE_DAYS"] = 45
    html = client.get(f"/admin/sessions/{s.id}/registrations").get_data(as_text=True)
    assert "Tietosuoja: 45 päivää" in html
