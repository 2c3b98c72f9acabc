"""How fast the call job places calls: three job runners (processes) at once against a fake
Twilio REST transport, 1,000 calls due at the same moment.

Prints calls placed per second (all runners together) and the time from "due" to "placed"
(p50, p99, max). Nothing is asserted; nothing reaches the network. ``--rate`` is
``CALLS_PER_SECOND`` (the shared pace): the default is high, to measure the job's own cost
(planning, the atomic claim, the pace row, the REST call); ``--rate 1`` shows the real pace.

    .venv/bin/python bench/bench_outbound.py
    .venv/bin/python bench/bench_outbound.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.http import HttpClient  # noqa: E402
from twilio.http.response import Response  # noqa: E402


class FakeTwilio(HttpClient):
    """Answers ``calls.create`` as Twilio does and notes when each call was asked for."""

    def __init__(self, log: Path) -> None:
        super().__init__(logging.getLogger("bench-twilio"), is_async=False)
        self.log = log

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        sid = "CA" + uuid.uuid4().hex
        with open(self.log, "a") as fh:
            fh.write(json.dumps({"at": time.time(), "to": (data or {}).get("To")}) + "\n")
        return Response(201, json.dumps({"sid": sid, "status": "queued"}))


def _config(url: str, tmp: Path, rate: float, log: Path | None = None) -> dict[str, Any]:
    return {"TESTING": True, "SCHEDULER": False, "DATABASE_URL": url, "DEMO_DATA": False,
            "AUDIO_DIR": str(tmp / "audio"), "TTS_ENGINES": "espeak",
            "TWILIO_AUTH_TOKEN": "bench", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "PUBLIC_BASE_URL": "https://phone.example.test", "SERVICE_PHONE_NUMBER": "+358942000000",
            "CALLS_PER_SECOND": rate, "CALL_QUIET_HOURS": "03:00-03:01",
            **({"TWILIO_HTTP_CLIENT": FakeTwilio(log)} if log else {})}


def _seed(url: str, tmp: Path, n: int) -> None:
    """``n`` people registered for one session that staff then cancelled: ``n`` calls due."""
    from app import create_app
    from catalogue import schedule
    from catalogue.db import session_scope
    from catalogue.models import Caller, Event, Provider, Registration, RegistrationStatus, Session, SessionKind
    from catalogue.setup import prepare_database
    from catalogue.timeutil import utcnow

    app = create_app(_config(url, tmp, 1.0))
    prepare_database(app)
    with session_scope(app) as db:
        prov = Provider(name="Bench")
        ev = Event(code="900", provider=prov, category="music", title_fi="Bench")
        start = utcnow() + timedelta(days=2)
        s = Session(event=ev, starts_at=start, ends_at=start + timedelta(hours=1),
                    kind=SessionKind.PHONE, capacity=None, confirmed_count=n)
        db.add(s)
        db.flush()
        callers = [Caller(phone=f"+35840{i:07d}") for i in range(n)]
        db.add_all(callers)
        db.flush()
        db.add_all(Registration(session_id=s.id, caller_id=c.id, active_key=1,
                                status=RegistrationStatus.CONFIRMED) for c in callers)
        db.flush()
        schedule.cancel_session(db, s)
    app.extensions["lampio_engine"].dispose()


def _runner(url: str, tmp: str, rate: float, log: str, start_at: float) -> None:
    from app import create_app
    from voice.outbound_job import run_calls

    app = create_app(_config(url, Path(tmp), rate, Path(log)))
    while time.time() < start_at:
        time.sleep(0.005)
    run_calls(app)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runners", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="CALLS_PER_SECOND")
    args = parser.parse_args()
    from catalogue.database import private_database

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        with private_database(args.postgres or f"sqlite:///{tmp / 'bench.sqlite3'}") as url:
            _seed(url, tmp, args.calls)
            log = tmp / "placed.jsonl"
            due = time.time() + 3.0  # the runners start together, once all are loaded
            procs = [mp.Process(target=_runner, args=(url, str(tmp), args.rate, str(log), due))
                     for _ in range(args.runners)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            placed = [json.loads(line) for line in log.read_text().splitlines()]
    times = [p["at"] for p in placed]
    delays = [t - due for t in times]
    twice = len(placed) - len({p["to"] for p in placed})
    span = max(times) - due if times else 0.0
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}, {args.runners} runners, "
          f"CALLS_PER_SECOND={args.rate:g}")
    print(f"placed {len(placed)} of {args.calls} due calls ({twice} placed twice) in {span:.2f} s: "
          f"{len(placed) / span if span else 0:.1f} calls/s (planning included)")
    if delays:
        print(f"due → placed: p50 {_pct(delays, 50):.2f} s, p99 {_pct(delays, 99):.2f} s, "
              f"max {max(delays):.2f} s")


if __name__ == "__main__":
    main()
