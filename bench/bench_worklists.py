"""Staff's desk at a busy week's size: what the worklists' counts (on every staff page) and
the pages themselves cost. A temp SQLite database gets ``--sessions`` sessions of ``--people``
registrations each, a third of the sessions cancelled (everyone on them to be told), call-back
requests and audit entries; then each page is fetched ``--rounds`` times in-process (Flask's
test client, a logged-in staff user). Prints p50 / max in ms.

    PYTHONPATH=. .venv/bin/python bench/bench_worklists.py [--sessions 60 --people 20 --rounds 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from catalogue import audit, registration, schedule, worklists  # noqa: E402
from catalogue.db import session_scope  # noqa: E402
from catalogue.models import CallbackRequest, Caller, Event, Provider, Session, SessionKind  # noqa: E402
from catalogue.setup import prepare_database  # noqa: E402
from catalogue.timeutil import utcnow  # noqa: E402


def seed(app: object, sessions: int, people: int) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    with session_scope(app) as db:  # type: ignore[arg-type]
        prov = Provider(name="Bench")
        db.add(prov)
        db.flush()
        callers = [Caller(phone=f"+35840{i:07d}", language="fi") for i in range(people * 3)]
        db.add_all(callers)
        db.flush()
        rows = []
        for n in range(sessions):
            ev = Event(code=str(1000 + n), provider_id=prov.id, category="music", title_fi=f"T{n}")
            db.add(ev)
            db.flush()
            start = now + timedelta(days=1 + n % 6, hours=n % 8)
            s = Session(event_id=ev.id, starts_at=start, ends_at=start + timedelta(hours=1),
                        kind=SessionKind.PHONE, capacity=people, confirmed_count=0)
            db.add(s)
            db.flush()
            rows.append(s.id)
        db.commit()
        for n, sid in enumerate(rows):
            for c in callers[(n % 3) * people:(n % 3) * people + people]:
                registration.register(db, sid, c, now=now, actor=audit.PHONE)
            if n % 3 == 0:
                schedule.cancel_session(db, db.get_one(Session, sid))
                db.commit()
        for c in callers[:people]:
            db.add(CallbackRequest(caller_id=c.id, created_at=now, lang="fi", topic="main_menu"))
        db.commit()


def timed(fn: object, rounds: int) -> tuple[float, float]:
    took = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took), max(took)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=60)
    ap.add_argument("--people", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "TESTING": True,
                          "SCHEDULER": False, "DEMO_DATA": False, "WTF_CSRF_ENABLED": False,
                          "AUDIO_DIR": f"{tmp}/audio", "TTS_ENGINES": "espeak",
                          "SECRET_KEY": "bench", "TWILIO_AUTH_TOKEN": "bench"})
        prepare_database(app)
        seed(app, args.sessions, args.people)
        from admin.users import create_user

        with session_scope(app) as db:
            create_user(db, email="staff@bench.test", password="bench password", role="staff")
            db.commit()
            counts = worklists.counts(db, utcnow())
            entries = audit.search(db, audit.Filter())[1]
        client = app.test_client()
        client.post("/admin/login", data={"email": "staff@bench.test", "password": "bench password"})
        print(f"{args.sessions} sessions × {args.people} people; worklists {counts}; "
              f"{entries} audit entries")
        with session_scope(app) as db:
            p50, worst = timed(lambda: worklists.counts(db, utcnow()), args.rounds)
        print(f"worklists.counts: p50 {p50:.1f} ms, max {worst:.1f} ms")
        for url in ("/admin/", "/admin/events", "/admin/log", "/admin/calls"):
            def get(url: str = url) -> None:
                assert client.get(url).status_code == 200, url
            p50, worst = timed(get, args.rounds)
            print(f"GET {url}: p50 {p50:.1f} ms, max {worst:.1f} ms")


if __name__ == "__main__":
    main()
