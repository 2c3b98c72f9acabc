"""The batched visits are written by a writer thread of the process, not by a caller's turn
(``voice.visits``): the turn that found the batch due used to wait for its whole transaction.
A request still writes a batch that is big, or whose thread is long late (stuck), and the
tests' own apps (``VISITS_FLUSH_SECONDS`` 0) write at once as before."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from catalogue.db import get_sessionmaker
from catalogue.models import MenuVisit
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _empty_tables, base_config
from tests.phone import Phone
from tests.test_turn_cost import statements
from voice.visits import LATE, VisitBuffer


def _app(schema: tuple[str, Path], tmp_path: Path, seconds: float) -> Iterator[Flask]:
    url, _ = schema
    app = create_app({**base_config(url, tmp_path), "VISITS_FLUSH_SECONDS": seconds})
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
    yield app
    buffer: VisitBuffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0  # the thread idles: nothing of this test is written later
    buffer.flush()
    app.extensions["lampio_engine"].dispose()


@pytest.fixture
def quick(_schema: tuple[str, Path], tmp_path: Path) -> Iterator[Flask]:
    yield from _app(_schema, tmp_path, 0.2)


@pytest.fixture
def hourly(_schema: tuple[str, Path], tmp_path: Path) -> Iterator[Flask]:
    yield from _app(_schema, tmp_path, 3600.0)


def _phone(app: Flask) -> Phone:
    return Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358401234567")


def _visits(app: Flask) -> int:
    with get_sessionmaker(app)() as db:
        return db.scalar(select(func.count()).select_from(MenuVisit)) or 0


def test_the_writer_thread_writes_the_visits_with_no_request(quick: Flask) -> None:
    phone = _phone(quick)
    phone.call()
    phone.press("1")
    buffer: VisitBuffer = quick.extensions["lampio_visits"]
    assert buffer.writing()
    deadline = time.monotonic() + 20
    while (buffer._waiting() or _visits(quick) == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _visits(quick) > 0 and not buffer._waiting()


def test_a_turn_leaves_a_due_batch_to_the_thread_and_writes_a_stuck_ones(hourly: Flask) -> None:
    buffer: VisitBuffer = hourly.extensions["lampio_visits"]
    phone = _phone(hourly)
    phone.call()
    assert buffer.writing()
    buffer._last -= 2 * buffer.flush_every  # due, the thread about to write it
    with statements(hourly) as seen:
        phone.press("1")
    assert not [s for s in seen if s.startswith("INSERT INTO menu_visit")], seen
    assert _visits(hourly) == 0
    buffer._last -= LATE * buffer.flush_every  # the thread is stuck: the turn writes it
    with statements(hourly) as seen:
        phone.press("1")
    assert [s for s in seen if s.startswith("INSERT INTO menu_visit")], seen
    assert _visits(hourly) > 0


def test_a_forked_process_starts_a_writer_of_its_own(hourly: Flask) -> None:
    """The thread is the process's: a worker forked from a process that had one (its pid
    differs) starts its own on the first thing noted."""
    buffer: VisitBuffer = hourly.extensions["lampio_visits"]
    _phone(hourly).call()
    first = buffer._writer
    buffer._writer_pid = -1  # as a forked child sees its parent's thread
    assert not buffer.writing()
    _phone(hourly).call()
    assert buffer.writing() and buffer._writer is not first
