"""SQLite writers of one process take turns in arrival order, and the turn is always given back."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from catalogue.database import begin_write, make_engine
from catalogue.writelock import FairLock


def test_fair_lock_serves_in_arrival_order() -> None:
    lock = FairLock()
    assert lock.acquire()
    order: list[int] = []

    def writer(n: int) -> None:
        assert lock.acquire(timeout=5)
        order.append(n)
        lock.release()

    threads = []
    for n in range(5):
        t = threading.Thread(target=writer, args=(n,))
        t.start()
        threads.append(t)
        time.sleep(0.05)  # arrive one after another
    lock.release()
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_the_holder_may_take_it_again_and_a_wait_can_time_out() -> None:
    lock = FairLock()
    assert lock.acquire() and lock.acquire()
    lock.release()
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.2)))
    t.start()
    t.join(2)
    assert got == [False]  # still held once
    lock.release()
    assert lock.acquire(timeout=0.2)


def test_write_transactions_release_the_turn_on_commit_and_rollback(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    done: list[int] = []

    def write(n: int, commit: bool) -> None:
        with Session(engine) as db:
            begin_write(db)
            db.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            db.commit() if commit else db.rollback()
            done.append(n)

    threads = [threading.Thread(target=write, args=(n, n % 2 == 0)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(done) == list(range(20))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 10
    engine.dispose()


def test_writers_of_two_processes_take_turns(tmp_path: Path) -> None:
    """The second stage: a lock file that one writer of all processes holds at a time."""
    import multiprocessing

    from catalogue.writelock import ProcessWriters

    path = str(tmp_path / "db-writelock")
    mine = ProcessWriters(path)
    assert mine.acquire()
    ctx = multiprocessing.get_context("fork")
    got = ctx.Queue()

    def other() -> None:
        theirs = ProcessWriters(path)
        got.put(theirs.acquire(timeout=0.3))  # held by the parent: times out, holds nothing
        got.put(theirs.acquire(timeout=10))  # the parent lets go: it gets its turn
        theirs.release()

    child = ctx.Process(target=other)
    child.start()
    assert got.get(timeout=10) is False
    mine.release()
    assert got.get(timeout=10) is True
    child.join(10)
    assert mine.acquire(timeout=5)  # given back when the other process released it
    mine.release()
