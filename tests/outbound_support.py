"""Helpers for the tests of the calls the service makes: the fake REST transport in the app, a
clock for the job, answering a placed call through the signed webhooks, and the room stub."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from catalogue.timeutil import to_local, to_utc, utcnow
from ivr_flows import engine
from ivr_flows.engine import Ctx, Finish, Input, Node, Outcome
from ivr_flows.reply import Reply, Segment
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fake_twilio import RecordingTwilio, Sent
from tests.phone import Phone
from voice.outbound_job import Report, run_calls
from voice.simulator import Turn

SERVICE_NUMBER = "+358942000000"


def use_fake_twilio(app: Flask, per_second: float = 1000.0) -> RecordingTwilio:
    fake = RecordingTwilio()
    app.config.update(TWILIO_HTTP_CLIENT=fake, CALLS_PER_SECOND=per_second,
                      SERVICE_PHONE_NUMBER=SERVICE_NUMBER)
    return fake


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Helsinki wall-clock time as stored (naive UTC)."""
    return to_utc(datetime.combine(day, time(hour, minute)))


def days_ahead(n: int) -> date:
    """A Helsinki date ``n`` days from today: the flows' own clock is real time, so the tests'
    sessions lie in the future whenever they run."""
    return to_local(utcnow()).date() + timedelta(days=n)


def run(app: Flask, at: datetime, **kwargs: Any) -> Report:
    return run_calls(app, now=lambda: at, **kwargs)


def answer(client: FlaskClient, sent: Sent, answered_by: str = "human") -> tuple[Phone, Turn]:
    """Pick up a placed call: Twilio posts to its URL with ``AnsweredBy``."""
    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=sent.data["From"],
                  to_number=sent.data["To"], direction="outbound-api")
    phone.call_sid = sent.sid
    return phone, phone.post(sent.data["Url"], {"AnsweredBy": answered_by})


def ended(client: FlaskClient, sent: Sent, status: str = "completed") -> None:
    """Twilio's status callback for the placed call."""
    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=sent.data["From"],
                  to_number=sent.data["To"], direction="outbound-api")
    phone.call_sid = sent.sid
    turn = phone.post(sent.data["StatusCallback"], {"CallStatus": status, "CallDuration": "20"})
    assert turn.status == 204


@contextmanager
def room_stub() -> Iterator[bool]:
    """Part G's "join_room" stands in here only when it is not in the tree; yields whether the
    stub (which says "ROOM <session id>") is the one in use."""
    if engine.has_node("join_room"):
        yield False
        return

    class RoomStub(Node):
        name = "join_room"

        def enter(self, ctx: Ctx) -> Outcome:
            text = f"ROOM {ctx.data['session_id']}"
            return Finish(Reply(speech=[Segment(text, ctx.lang)], hangup=True))

        def handle(self, ctx: Ctx, inp: Input) -> Outcome:
            return self.enter(ctx)

    engine.node(RoomStub)
    try:
        yield True
    finally:
        engine._NODES.pop("join_room", None)
