"""SQLite writers of several processes: how long a write waits for its turn.

Four processes (as gunicorn's workers) with eight threads each run short write transactions
(``BEGIN IMMEDIATE``, one INSERT, COMMIT), pausing a little between them, against one WAL
database. Run twice in the same invocation: with the lock file that queues writers across
processes (``catalogue.writelock.ProcessWriters``) and with only the in-process queue, where
the processes meet in SQLite's busy handler. Prints the wait for the write lock and the whole
transaction, p50 / p99 / max in ms, and the transactions per second.

    PYTHONPATH=. .venv/bin/python bench/bench_writers.py [--processes 4 --threads 8 --writes 150]
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import catalogue.database as database  # noqa: E402
from catalogue.writelock import ProcessWriters  # noqa: E402

HOLD_SECONDS = 0.002  # a registration holds the write lock about this long (bench_calls --inproc)


def _worker(url: str, cross: bool, threads: int, writes: int, out: "multiprocessing.Queue[list[tuple[float, float]]]") -> None:
    if not cross:  # only this process's queue: the processes meet in SQLite's busy handler
        database.ProcessWriters = lambda _path: ProcessWriters(None)  # type: ignore[misc,assignment]  # the bench's own switch
    engine = database.make_engine(url)
    rows: list[tuple[float, float]] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[tuple[float, float]] = []
        for _ in range(writes):
            time.sleep(rng.uniform(0, 0.02))
            started = time.perf_counter()
            with Session(engine) as db:
                database.begin_write(db)
                got = time.perf_counter()
                db.execute(text("INSERT INTO t (n, at) VALUES (:n, :at)"), {"n": seed, "at": got})
                spin = time.perf_counter() + HOLD_SECONDS  # a turn's Python work inside the lock
                while time.perf_counter() < spin:
                    pass
                db.commit()
            mine.append((got - started, time.perf_counter() - started))
        with lock:
            rows.extend(mine)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    engine.dispose()
    out.put(rows)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


def measure(cross: bool, args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'w.sqlite3'}"
    engine = database.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, at REAL)"))
    engine.dispose()
    ctx = multiprocessing.get_context("fork")
    out: "multiprocessing.Queue[list[tuple[float, float]]]" = ctx.Queue()
    started = time.perf_counter()
    procs = [ctx.Process(target=_worker, args=(url, cross, args.threads, args.writes, out))
             for _ in range(args.processes)]
    for p in procs:
        p.start()
    rows = [r for _ in procs for r in out.get(timeout=600)]
    for p in procs:
        p.join()
    seconds = time.perf_counter() - started
    waits, totals = [w for w, _ in rows], [t for _, t in rows]
    name = "lock file across processes" if cross else "in-process queue only     "
    print(f"  {name}  wait p50 {_pct(waits, 50):7.2f}  p99 {_pct(waits, 99):8.2f}  "
          f"max {max(waits) * 1000:8.1f}   transaction p50 {_pct(totals, 50):7.2f}  "
          f"p99 {_pct(totals, 99):8.2f} ms   {len(rows) / seconds:6.0f} tx/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--writes", type=int, default=150, help="per thread")
    args = ap.parse_args()
    print(f"bench_writers: {args.processes} processes × {args.threads} threads × "
          f"{args.writes} write transactions, a 0–20 ms pause before each")
    for cross in (True, False, True, False):
        measure(cross, args)


if __name__ == "__main__":
    main()
