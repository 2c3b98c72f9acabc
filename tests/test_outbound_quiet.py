"""Quiet hours hold every call but the one a person asked for by registering: the call a few
minutes before an evening phone performance ("we will call you a few minutes before it starts")."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration
from catalogue.models import CallKind, OutboundCall, SessionKind
from tests import factories as f
from tests.outbound_support import days_ahead, local, run, use_fake_twilio


def test_the_call_before_an_evening_performance_goes_out_in_quiet_hours(
        app: Flask, db: DbSession) -> None:
    twilio = use_fake_twilio(app)
    day = days_ahead(3)
    ev = f.event(db, title="Iltakonsertti", code="931")
    s = f.session(db, ev, starts_in=local(day, 20, 30) - local(day, 0), now=local(day, 0),
                  kind=SessionKind.PHONE, capacity=10)
    caller = f.caller(db, "+358912345678")
    db.commit()
    registration.register(db, s.id, caller, now=local(day, 0) - timedelta(days=3))
    assert run(app, local(day - timedelta(days=1), 12, 5)).placed == 1  # the day before, at noon
    assert run(app, local(day, 20, 21)).placed == 1  # 20:21, quiet hours: still placed
    kinds = [c.kind for c in db.scalars(select(OutboundCall).order_by(OutboundCall.id))]
    assert kinds == [CallKind.DAY_BEFORE, CallKind.STARTING]
    assert [c.data["To"] for c in twilio.calls] == ["+358912345678"] * 2
