"""PostgreSQL's pooled connections: pinged only after lying idle (``catalogue.pool_ping``), and a
connection the server closed meanwhile is replaced before a turn can use it."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from catalogue import pool_ping
from catalogue.database import make_engine

# SQLite has no server to go away (its pool is not pinged): on the SQLite half of the test
# command these run against the PostgreSQL server that the command starts, as `.ci/test` does.
_GIVEN = os.environ.get("TEST_DATABASE_URL", "")
URL = _GIVEN if _GIVEN.startswith("postgresql") else os.environ.get(
    "PG_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, list[int]]]:
    monkeypatch.setattr(pool_ping, "IDLE_SECONDS", 0.2)
    made = make_engine(URL)
    pings: list[int] = []
    real = made.dialect.do_ping

    def counted(conn: Any) -> bool:
        pings.append(1)
        return real(conn)

    monkeypatch.setattr(made.dialect, "do_ping", counted)
    yield made, pings
    made.dispose()


def _pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: tuple[Engine, list[int]]) -> None:
    made, pings = engine
    first = _pid(made)
    assert [_pid(made) for _ in range(5)] == [first] * 5  # the same pooled connection
    assert pings == []
    time.sleep(0.3)  # idle longer than IDLE_SECONDS: pinged once, then used at once again
    assert _pid(made) == first and _pid(made) == first
    assert pings == [1]


def test_an_idle_connection_the_server_closed_is_replaced(
        engine: tuple[Engine, list[int]]) -> None:
    made, pings = engine
    gone = _pid(made)
    killer = make_engine(URL)
    with killer.connect() as other:  # the server ends it, as a restart would
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone})
    killer.dispose()
    time.sleep(0.3)
    assert _pid(made) != gone  # no error: the ping found it dead and the pool made a new one
    assert pings == [1]
