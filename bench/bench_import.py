"""How long a Linked Events import takes per 1,000 events, and that a second run with nothing
changed writes nothing: pages of 100 built from the real Helsinki responses in
``tests/fixtures/linkedevents/``, served on 127.0.0.1 (nothing reaches the network).

Prints the first run's time (fetch + parse + upsert, one transaction), the second's, and the
SQL INSERT/UPDATE/DELETE statements each ran (the source's own note of the run, one UPDATE of
``import_source``, is counted apart).

    .venv/bin/python bench/bench_import.py [--events 1000]
    .venv/bin/python bench/bench_import.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event as sa_event  # noqa: E402


def _pages(n: int) -> list[list[dict[str, Any]]]:
    from tests.linkedevents_support import event

    start = datetime.combine(date.today() + timedelta(days=1), datetime.min.time()).replace(hour=9)
    events = [event(i, start + timedelta(hours=i % 200), name=f"Tapahtuma {i}") for i in range(n)]
    return [events[i:i + 100] for i in range(0, n, 100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()

    from app import create_app
    from catalogue.database import private_database
    from catalogue.db import get_engine, get_sessionmaker
    from catalogue.importers import runner
    from catalogue.models import City, ImportSource, SourceKind
    from catalogue.setup import prepare_database
    from tests.linkedevents_support import serve

    with tempfile.TemporaryDirectory() as tmp_dir, serve() as site:
        tmp = Path(tmp_dir)
        site.set_pages(_pages(args.events))
        with private_database(args.postgres or f"sqlite:///{tmp / 'bench.sqlite3'}") as url:
            app = create_app({"DATABASE_URL": url, "TESTING": True, "SCHEDULER": False,
                              "AUDIO_DIR": str(tmp / "audio")})
            prepare_database(app, demo=False)
            make = get_sessionmaker(app)
            with make() as db:
                city = db.query(City).filter_by(slug="helsinki").one()
                src = ImportSource(name="bench", kind=SourceKind.LINKED_EVENTS,
                                   url=f"{site.base}/v1/", city_id=city.id, auto_approve=True)
                db.add(src)
                db.commit()
                source_id = src.id
            writes: Counter[str] = Counter()

            def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
                words = statement.split()
                verb = words[0].upper()
                if verb in {"INSERT", "UPDATE", "DELETE"}:
                    table = words[2] if verb != "UPDATE" else words[1]
                    writes[f"{verb} {table.strip(chr(34))}"] += 1

            sa_event.listen(get_engine(app), "before_cursor_execute", count)
            for label in ("first run", "second run (no changes)"):
                writes.clear()
                t0 = time.perf_counter()
                outcome = runner.run(make, source_id)
                took = time.perf_counter() - t0
                own = {k: v for k, v in writes.items() if not k.endswith("import_source")}
                print(f"{label}: {took:.2f} s for {args.events} events "
                      f"({took * 1000 / args.events:.2f} s per 1,000); {outcome}")
                print(f"  writes: {sum(own.values())} statements {dict(sorted(own.items()))}; "
                      f"plus {writes.total() - sum(own.values())} for the source's note")
            get_engine(app).dispose()


if __name__ == "__main__":
    main()
