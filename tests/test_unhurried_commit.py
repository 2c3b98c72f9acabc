"""Writes nobody was told about commit without waiting for the disk on PostgreSQL
(``catalogue.database.commit_unhurried``): a call's end and the batched visits do; the confirm
of a registration, said to the caller after its commit, never does."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from catalogue.db import get_sessionmaker
from catalogue.models import CallLog, MenuVisit, Registration, RegistrationStatus
from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _empty_tables, base_config
from tests.phone import Phone
from tests.test_turn_cost import statements

UNHURRIED = "SET LOCAL synchronous_commit TO OFF"


@pytest.fixture
def batched(_schema: tuple[str, Path], tmp_path: Path) -> Iterator[Flask]:
    """The service as it runs: visits and calls' ends written every few seconds, not on
    every turn as the other tests have it."""
    url, _ = _schema
    app = create_app({**base_config(url, tmp_path), "VISITS_FLUSH_SECONDS": 3600})
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
    yield app
    app.extensions["lampio_engine"].dispose()


def test_a_hang_up_and_the_visits_commit_unhurried_and_a_confirm_does_not(
        batched: Flask) -> None:
    app = batched
    db = get_sessionmaker(app)()
    ev = f.event(db, title="Konsertti", code="911")
    f.session(db, ev, starts_in=timedelta(days=2))
    f.caller(db, "+358401234567", language="fi")
    db.commit()
    postgres = db.get_bind().dialect.name == "postgresql"

    def make_phone(from_number: str) -> Phone:
        return Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=from_number)

    phone = make_phone(from_number="+358401234567")
    seen_before: list[str] = []
    with statements(app) as seen:
        phone.call()
        t = phone.press("1")
        if "paina neljä" in t.text and "Jos haluat kuulla kaikki" in t.text:
            phone.press("1")
        assert "Jos haluat vahvistaa" in phone.press("2").text
    seen_before += seen
    with statements(app) as at_confirm:
        assert "Olet nyt ilmoittautunut" in phone.press("1").text
    with statements(app) as at_hang_up:
        phone.hang_up()
    assert at_hang_up == []  # the call's end waits for the batch
    with statements(app) as at_batch:
        app.extensions["lampio_visits"].flush()
    assert UNHURRIED not in seen_before + at_confirm  # the call's start and the confirm wait
    assert (UNHURRIED in at_batch) is postgres, at_batch
    db.expire_all()
    assert db.scalars(select(Registration)).one().status == RegistrationStatus.CONFIRMED
    call = db.scalars(select(CallLog)).one()
    assert call.ended_at is not None and call.status == "completed"
    assert db.scalars(select(MenuVisit).where(MenuVisit.call_id == call.id)).first() is not None

    other = make_phone(from_number="+358401234568")
    other.call()
    other.press("1")
    with statements(app) as at_flush:
        app.extensions["lampio_visits"].flush()  # the batch written between hang-ups
    assert any(s.startswith("INSERT INTO menu_visit") for s in at_flush), at_flush
    assert (UNHURRIED in at_flush) is postgres, at_flush
    db.close()
