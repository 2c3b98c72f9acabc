"""A call's end answered in front of Flask (``voice.hangup``): the same answer the view gives,
the end in the batch as the view leaves it, and what is not signed refused by the view."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from twilio.request_validator import RequestValidator

from catalogue.models import CallLog
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from tests.test_turn_early import entered_views
from voice import hangup


@pytest.fixture
def views_entered(app: Flask) -> Iterator[list[str]]:
    with entered_views(app) as seen:
        yield seen


def _hang_up(app: Flask, number: str, validator: RequestValidator | None = None) -> Any:
    """A whole short call, then its raw status callback: (response, call's sid)."""
    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number)
    phone.call()
    form = {"CallSid": phone.call_sid, "AccountSid": "AC" + "0" * 32, "From": number,
            "To": phone.to_number, "CallStatus": "completed", "CallDuration": "42",
            "Direction": "inbound", "ApiVersion": "2010-04-01"}
    url = PUBLIC_BASE_URL + hangup.STATUS_PATH
    sign = (validator or RequestValidator(AUTH_TOKEN)).compute_signature(url, form)
    resp = app.test_client().post(hangup.STATUS_PATH, data=form, base_url=PUBLIC_BASE_URL,
                                  headers={"X-Twilio-Signature": sign})
    return resp, phone.call_sid


def _ended(db: DbSession, app: Flask, sid: str) -> CallLog:
    app.extensions["lampio_visits"].flush()
    db.rollback()
    return db.scalars(select(CallLog).where(CallLog.call_sid == sid)).one()


def test_a_calls_end_is_noted_in_front_of_flask_as_the_view_notes_it(
        app: Flask, db: DbSession, views_entered: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    early, sid = _hang_up(app, "+358401000001")
    assert hangup.STATUS_PATH not in views_entered  # no Flask request for the end
    record = _ended(db, app, sid)
    assert (record.status, record.duration_seconds) == ("completed", 42)
    assert record.ended_at is not None

    monkeypatch.setattr(hangup, "answer_early", lambda lean, environ: None)
    by_view, sid = _hang_up(app, "+358401000002")
    assert views_entered[-1] == hangup.STATUS_PATH  # this one the view noted
    assert (by_view.status_code, by_view.get_data()) == (early.status_code, early.get_data())
    same = {"Content-Type", "X-Content-Type-Options"}
    assert {k: v for k, v in early.headers if k in same} == \
        {k: v for k, v in by_view.headers if k in same}
    record = _ended(db, app, sid)
    assert (record.status, record.duration_seconds) == ("completed", 42)


def test_an_unsigned_end_is_left_to_the_view_which_refuses_it(
        app: Flask, db: DbSession, views_entered: list[str]) -> None:
    resp, sid = _hang_up(app, "+358401000003", RequestValidator("not-the-token"))
    assert resp.status_code == 403 and views_entered[-1] == hangup.STATUS_PATH
    assert _ended(db, app, sid).ended_at is None  # the end was not noted
