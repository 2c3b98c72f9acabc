"""The services that the phone and the admin share tell listeners what changed only after it is
committed: nothing for a rollback, once for a commit, and the audio worker is poked then."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration, schedule, signals
from catalogue.db import get_engine, get_sessionmaker
from catalogue.descriptions import create_description, keep
from catalogue.models import AudioDescription, Session, SessionStatus
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.admin_support import login, post, staff


SIGNALS = (signals.programme_changed, signals.description_changed, signals.registration_changed)


@pytest.fixture
def heard(app: Flask) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every signal sent for this app's database, by name with its payload."""
    got: list[tuple[str, dict[str, Any]]] = []
    receivers = []
    for sig in SIGNALS:
        def receiver(sender: object, _name: str = sig.name, **payload: Any) -> None:
            got.append((_name, payload))

        receivers.append(receiver)
        sig.connect(receiver, sender=get_engine(app))
    yield got
    for sig, receiver in zip(SIGNALS, receivers):
        sig.disconnect(receiver)


def test_nothing_is_sent_for_a_rolled_back_change(db: DbSession, heard: list[Any]) -> None:
    s = f.session(db, f.event(db))
    db.commit()
    schedule.cancel_session(db, s)
    assert heard == []  # not before the commit
    db.rollback()
    db.commit()
    assert heard == []
    assert db.get_one(Session, s.id).status == SessionStatus.SCHEDULED

    schedule.cancel_session(db, db.get_one(Session, s.id))
    db.commit()
    assert heard == [("programme-changed", {"event_ids": [s.event_id]})]
    db.commit()
    assert len(heard) == 1  # sent once


def test_a_rolled_back_savepoint_takes_only_its_own_signals(db: DbSession,
                                                             heard: list[Any]) -> None:
    f.event(db)
    db.commit()
    signals.send_after_commit(db, signals.programme_changed, event_ids=[1])
    with db.begin_nested():
        signals.send_after_commit(db, signals.programme_changed, event_ids=[2])
    with pytest.raises(RuntimeError), db.begin_nested():
        signals.send_after_commit(db, signals.programme_changed, event_ids=[3])
        raise RuntimeError
    db.commit()
    assert [p["event_ids"] for _, p in heard] == [[1], [2]]


def test_a_closed_session_forgets_its_signals(app: Flask, heard: list[Any]) -> None:
    with get_sessionmaker(app)() as db:
        signals.send_after_commit(db, signals.programme_changed, event_ids=[1])
        db.close()
        db.commit()
    assert heard == []


def test_another_database_is_not_heard(heard: list[Any]) -> None:
    other = create_engine("sqlite://")
    with DbSession(other) as db:
        signals.send_after_commit(db, signals.programme_changed, event_ids=[1])
        db.commit()
    assert heard == []


def test_registration_and_descriptions_send_after_commit(db: DbSession, heard: list[Any]) -> None:
    ev = f.event(db)
    s = f.session(db, ev)
    caller = f.caller(db)
    db.commit()
    result = registration.register(db, s.id, caller, now=utcnow())
    assert result.kind == registration.Kind.CONFIRMED
    assert heard == [("registration-changed", {"session_id": s.id})]
    registration.register(db, s.id, caller, now=utcnow())  # already registered: nothing new
    assert len(heard) == 1
    registration.cancel(db, f.registered(result).id, now=utcnow())
    assert heard[-1] == ("registration-changed", {"session_id": s.id})

    heard.clear()
    desc = create_description(db, ev, "fi", "recordings/x.mp3", 2.4,
                              AudioDescription.Source.PHONE, now=utcnow())
    assert desc.status == AudioDescription.Status.PENDING and desc.duration_seconds == 2
    keep(db, desc)
    assert heard == []
    db.commit()
    assert heard == [("description-changed", {"description_id": desc.id, "event_id": ev.id})] * 2


# ---- the audio worker, through the admin ------------------------------------------------

@pytest.fixture
def pokes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each poke of the audio worker records what a fresh connection then sees, which proves
    the change was committed before the worker was told."""
    seen: list[Any] = []
    svc = app.extensions["lampio_audio"]

    def poke() -> None:
        with get_sessionmaker(app)() as other:
            seen.append(({s.id: s.status for s in other.scalars(select(Session))},
                         {d.id: d.status for d in other.scalars(select(AudioDescription))}))

    monkeypatch.setattr(svc, "poke", poke)
    return seen


def test_an_admin_cancel_pokes_the_worker_after_commit(app: Flask, db: DbSession, client: Any,
                                                      pokes: list[Any]) -> None:
    staff(db)
    s = f.session(db, f.event(db), starts_in=timedelta(days=2))
    db.commit()
    login(client, "staff@example.test")
    resp = post(client, f"/admin/sessions/{s.id}/cancel", {}, page=f"/admin/sessions/{s.id}/cancel")
    assert resp.status_code == 302
    assert len(pokes) == 1
    assert pokes[0][0][s.id] == SessionStatus.CANCELLED  # already committed when poked


def test_a_review_pokes_the_worker_after_commit(app: Flask, db: DbSession, client: Any,
                                               pokes: list[Any]) -> None:
    staff(db)
    ev = f.event(db)
    rec = AudioDescription(event_id=ev.id, provider_id=ev.provider_id, lang="fi",
                           storage_path="recordings/" + "b" * 32 + ".mp3",
                           status=AudioDescription.Status.AWAITING_REVIEW,
                           source=AudioDescription.Source.PHONE)
    db.add(rec)
    db.commit()
    login(client, "staff@example.test")
    resp = post(client, f"/admin/recordings/{rec.id}/review", {"decision": "approve", "reason": ""})
    assert resp.status_code == 302
    assert len(pokes) == 1
    assert pokes[0][1][rec.id] == AudioDescription.Status.APPROVED
