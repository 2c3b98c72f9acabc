"""How long the staff's desk pages take on the demo programme, in-process (Flask's test client,
one worker, a fresh database): the week view (plain, searched, filtered), "what callers hear"
(which runs the phone's own nodes over the whole programme), the events list, an attendee list
and its CSV. Prints p50 / p90 / max in ms per page over ``--rounds`` requests.

    PYTHONPATH=. .venv/bin/python bench/bench_desk.py [--rounds 30]
    PYTHONPATH=. .venv/bin/python bench/bench_desk.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import app_config, database, pct, prepare_database  # noqa: E402  (and the root on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres")
    args = parser.parse_args()
    from sqlalchemy import select

    from admin.users import DEMO_STAFF_EMAIL, demo_password
    from app import create_app
    from catalogue.db import session_scope
    from catalogue.models import City, Registration
    from tests.admin_support import login

    with tempfile.TemporaryDirectory() as tmp_name, database(Path(tmp_name), args.postgres) as url:
        tmp = Path(tmp_name)
        prepare_database(tmp, url)
        app = create_app({**app_config(tmp, url), "DEMO_DATA": False, "WTF_CSRF_ENABLED": True})
        with session_scope(app) as db:
            helsinki = db.scalar(select(City.id).where(City.slug == "helsinki"))
            session_id = db.scalar(select(Registration.session_id).limit(1))
        client = app.test_client()
        login(client, DEMO_STAFF_EMAIL, demo_password(str(app.config["SECRET_KEY"]), DEMO_STAFF_EMAIL))
        pages = {
            "week": "/admin/week",
            "week, searched": "/admin/week?q=konsertti",
            "week, filtered": "/admin/week?kind=phone&status=scheduled",
            "what callers hear (all, fi)": f"/admin/hear?city={helsinki}&group=all",
            "what callers hear (all, sv)": f"/admin/hear?city={helsinki}&group=all&lang=sv",
            "events list": "/admin/events",
            "attendee list": f"/admin/sessions/{session_id}/attendees",
            "attendee CSV": f"/admin/sessions/{session_id}/registrations.csv",
        }
        print(f"desk pages on {url.split(':', 1)[0]}, {args.rounds} requests each (ms)")
        print(f"{'page':32} {'p50':>7} {'p90':>7} {'max':>7}")
        for name, path in pages.items():
            client.get(path)  # warm: templates compiled, sentences memoised
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                resp = client.get(path)
                times.append(time.perf_counter() - start)  # seconds: pct gives ms
                assert resp.status_code == 200, (path, resp.status_code)
            print(f"{name:32} {pct(times, 50):7.1f} {pct(times, 90):7.1f} {max(times) * 1000:7.1f}")
        app.extensions["lampio_engine"].dispose()


if __name__ == "__main__":
    main()
