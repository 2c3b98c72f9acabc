"""WAL checkpoints off the callers' path (catalogue/checkpoint.py): no commit of the app copies
the log back, a thread of its own does, without waiting for anyone, and stops with the engine."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from catalogue.checkpoint import BACKSTOP_PAGES, Checkpointer
from catalogue.database import make_engine


def test_the_apps_connections_leave_the_log_to_the_thread(tmp_path: Path) -> None:
    """The app's SQLite engine (``make_engine``, whatever database the suite runs on)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == BACKSTOP_PAGES
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()
    assert make_engine("sqlite://").dialect.name == "sqlite"  # in memory: no thread, no error


def test_the_thread_checkpoints_what_commits_left(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # as the app's connections (almost)
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(300):
        writer.execute("INSERT INTO t (v) VALUES (?)", ("x" * 500,))
    wal = Path(str(path) + "-wal")
    assert wal.stat().st_size > 100_000  # the commits copied nothing back
    before = path.stat().st_size
    points = Checkpointer(str(path))
    points.start()
    points.start()  # once per process
    try:
        deadline = time.monotonic() + 10
        while points.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert points.runs >= 1
        assert path.stat().st_size > before + 100_000  # the rows are in the database file now
    finally:
        points.stop()
    runs = points.runs
    time.sleep(1.5)
    assert points.runs <= runs + 1  # stopped (a round under way may finish)
    writer.close()


def test_a_database_that_is_gone_is_not_made_again(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite3"
    points = Checkpointer(str(path))
    points.start()
    time.sleep(0.2)
    points.stop()
    assert not path.exists()


def test_disposing_the_engine_stops_the_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    def names() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "lampio-wal-checkpoint"]

    running = len(names())
    engine.dispose()
    deadline = time.monotonic() + 5
    while len(names()) >= running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(names()) < running
