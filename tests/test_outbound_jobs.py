"""The call job as a whole: the registration prompts' promises have their mechanism, several
runners at once place each call once (PostgreSQL), ``lampio call --answer`` answers what the
simulated Twilio client placed, and the settings are checked at start-up."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.serving import make_server

from app import create_app
from catalogue import registration, schedule
from catalogue.models import CallKind, CallLog, CallStatus, OutboundCall, Registration, Session
from tests import factories as f
from tests.conftest import base_config
from tests.outbound_support import days_ahead, local, room_stub, run, use_fake_twilio
from tests.phone import Phone
from voice.simulator import Turn

ROOT = Path(__file__).resolve().parent.parent
DAY = days_ahead(2)


def _phone_session(db: DbSession, capacity: int | None = 10, code: str = "321") -> Session:
    ev = f.event(db, title="Runotuokio", code=code)
    s = f.session(db, ev, starts_in=local(DAY, 14) - local(DAY, 0), now=local(DAY, 0),
                  capacity=capacity)
    db.commit()
    return s


def _register_by_phone(phone: Phone, db: DbSession, code: str = "321") -> Turn:
    f.caller(db, "+358912345678", language="fi")  # the phone fixture's number, known
    db.commit()
    phone.call()
    phone.press("4")
    phone.press(f"{code}#")
    phone.press("2")
    return phone.press("1")


def test_we_will_call_you_before_it_starts_has_its_call(app: Flask, db: DbSession,
                                                        phone: Phone) -> None:
    fake = use_fake_twilio(app)
    s = _phone_session(db)
    t = _register_by_phone(phone, db)
    assert "Soitamme sinulle juuri ennen alkua" in t.text
    with room_stub():
        run(app, local(DAY, 13, 49))
        assert fake.calls == []
        run(app, local(DAY, 13, 50))
    row = db.scalars(select(OutboundCall).where(OutboundCall.kind == CallKind.STARTING)).one()
    assert row.due_at == s.starts_at - timedelta(minutes=10) and row.status == CallStatus.PLACED
    assert [c.data["To"] for c in fake.calls] == ["+358912345678"]


def test_we_will_let_you_know_has_its_call(app: Flask, db: DbSession, phone: Phone) -> None:
    fake = use_fake_twilio(app)
    s = _phone_session(db, capacity=1)
    holder = f.caller(db, "+358401234567")
    db.commit()
    held = registration.register(db, s.id, holder, now=local(DAY, 0) - timedelta(days=5))
    t = _register_by_phone(phone, db)
    assert "varasijalla" in t.text and "kerromme sinulle" in t.text
    registration.cancel(db, f.registered(held).id, now=local(DAY, 0) - timedelta(days=1))
    run(app, local(DAY - timedelta(days=1), 10, 0))
    row = db.scalars(select(OutboundCall)).one()
    assert row.kind == CallKind.PROMOTED and row.status == CallStatus.PLACED
    assert [c.data["To"] for c in fake.calls] == ["+358912345678"]


RUNNER = """
import sys, time
from datetime import datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from app import create_app
from tests.conftest import base_config
from tests.fake_twilio import RecordingTwilio
from voice.outbound_job import run_calls
url, log, at, me = sys.argv[2], Path(sys.argv[3]), datetime.fromisoformat(sys.argv[4]), sys.argv[5]
app = create_app({**base_config(url, log.parent), "TWILIO_HTTP_CLIENT": RecordingTwilio(log),
                  "CALLS_PER_SECOND": 40, "SERVICE_PHONE_NUMBER": "+358942000000"})
(log.parent / f"ready-{me}").touch()
deadline = time.time() + 60
while len(list(log.parent.glob("ready-*"))) < 3 and time.time() < deadline:
    time.sleep(0.01)
print(run_calls(app, now=lambda: at).placed)
"""


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="three job runners at once need PostgreSQL (FOR UPDATE SKIP LOCKED); "
                           "set TEST_DATABASE_URL")
def test_three_runners_at_once_place_every_call_exactly_once(app: Flask, db: DbSession,
                                                             tmp_path: Path) -> None:
    s = _phone_session(db)
    for n in range(40):
        registration.register(db, s.id, f.caller(db, f"+3584012{n:05d}"),
                              now=local(DAY, 0) - timedelta(days=3))
    schedule.cancel_session(db, s)
    db.commit()
    log = tmp_path / "placed.jsonl"
    at = local(DAY - timedelta(days=1), 10, 0).isoformat()
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, str(ROOT), app.config["DATABASE_URL"],
                               str(log), at, str(i)], stdout=subprocess.PIPE, text=True)
             for i in range(3)]
    placed = [int(p.communicate(timeout=180)[0].strip().splitlines()[-1]) for p in procs]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sum(placed) == 40 and len(lines) == 40
    assert len({line["to"] for line in lines}) == 40  # nobody called twice
    assert len({line["url"] for line in lines}) == 40
    assert len({line["pid"] for line in lines}) >= 2, placed  # the runners really overlapped
    db.rollback()
    db.expire_all()
    rows = list(db.scalars(select(OutboundCall)))
    assert {r.status for r in rows} == {CallStatus.PLACED}
    assert {r.call_sid for r in rows} == {line["sid"] for line in lines}


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def test_lampio_call_answer_picks_up_the_simulated_call(app: Flask, db: DbSession, server: str,
                                                        tmp_path: Path) -> None:
    app.instance_path = str(tmp_path)  # the simulated Twilio keeps its calls here
    app.config.update(TWILIO_ACCOUNT_SID="", SERVICE_PHONE_NUMBER="", CALLS_PER_SECOND=1000)
    s = _phone_session(db)
    registration.register(db, s.id, f.caller(db, "+358912345678"),
                           now=local(DAY, 0) - timedelta(days=3))
    schedule.cancel_session(db, s)
    db.commit()
    assert run(app, local(DAY - timedelta(days=1), 10, 0)).placed == 1
    assert (tmp_path / "simulated_calls.jsonl").exists()
    cli = app.test_cli_runner()
    result = cli.invoke(args=["call", "--url", server, "--from", "0912345678", "--answer",
                              "--script", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "tilaisuus on peruttu" in result.output and "Runotuokio" in result.output
    assert "Pahoittelemme" in result.output and "call ended" in result.output
    db.rollback()
    db.expire_all()
    assert db.scalars(select(OutboundCall)).one().status == CallStatus.HEARD
    assert db.scalars(select(Registration)).one().notify_pending is None
    log = db.scalars(select(CallLog)).one()
    assert log.direction == "outbound" and log.ended_at is not None
    again = cli.invoke(args=["call", "--url", server, "--from", "0912345678", "--answer"])
    assert again.exit_code != 0 and "No call is waiting" in again.output


def test_lampio_calls_run_command(app: Flask, db: DbSession) -> None:
    fake = use_fake_twilio(app)
    result = app.test_cli_runner().invoke(args=["calls", "run"], catch_exceptions=False)
    assert result.exit_code == 0 and "0 placed" in result.output and fake.calls == []


@pytest.mark.parametrize("name,value", [("CALL_QUIET_HOURS", "late"),
                                        ("CALLS_PER_SECOND", "fast"),
                                        ("CALL_REMINDER_MINUTES", "60"),
                                        ("SERVICE_PHONE_NUMBER", "12")])
def test_a_bad_setting_stops_the_app_with_one_line(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        create_app({**base_config(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path), name: value})
    message = str(stopped.value)
    assert name in message and "\n" not in message


def test_a_real_account_needs_the_service_number(tmp_path: Path) -> None:
    config = {**base_config(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path), "TESTING": False}
    with pytest.raises(SystemExit, match="SERVICE_PHONE_NUMBER"):
        create_app(config)
    app = create_app({**config, "SERVICE_PHONE_NUMBER": "09 4200 0000"})
    assert app.config["SERVICE_PHONE_NUMBER"] == "+358942000000"
    app.extensions["lampio_engine"].dispose()
