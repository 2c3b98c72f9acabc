"""Past sessions are read-only, and moving asks about the registration window (issue 12): an
ended session offers no edit, move or cancel, and its URLs (GET and POST) refuse with a page that
says why; the service refuses too. Moving asks whether the window moves, keeps it when told so
(refusing a kept window that would close after the new start, next to the field, losing
nothing typed), and the confirmation's way back says "don't move"."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from admin.i18n import t
from catalogue import registration, schedule
from catalogue.models import Session, SessionStatus
from catalogue.timeutil import to_local, utcnow
from tests import factories as f
from tests.admin_support import as_staff  # noqa: F401  (a fixture)
from tests.admin_support import post



def _input(dt: Any) -> str:
    return to_local(dt).strftime("%Y-%m-%dT%H:%M")


def test_an_ended_session_is_read_only(app: Flask, db: DbSession, as_staff: Any) -> None:
    ev = f.event(db, title="Eilinen konsertti")
    past = f.session(db, ev, starts_in=timedelta(days=-1))
    coming = f.session(db, ev, starts_in=timedelta(days=2))
    db.commit()
    html = as_staff.get(f"/admin/events/{ev.id}").get_data(as_text=True)
    for action in ("edit", "move", "cancel"):
        assert f"/admin/sessions/{past.id}/{action}" not in html
        assert f"/admin/sessions/{coming.id}/{action}" in html
    assert t("session.over_short", "fi") in html
    for action in ("edit", "move", "cancel"):
        url = f"/admin/sessions/{past.id}/{action}"
        got = as_staff.get(url)
        assert got.status_code == 409 and t("session.over", "fi") in got.get_data(as_text=True)
        sent = post(as_staff, url, {"starts_at": _input(utcnow() + timedelta(days=3)),
                                    "minutes": 60}, page=f"/admin/events/{ev.id}")
        assert sent.status_code == 409 and t("session.over", "fi") in sent.get_data(as_text=True)
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    assert db.get_one(Session, past.id).status == SessionStatus.SCHEDULED
    with pytest.raises(schedule.SessionOver):
        schedule.cancel_session(db, db.get_one(Session, past.id), now=utcnow())
    with pytest.raises(schedule.SessionOver):
        schedule.move_session(db, db.get_one(Session, past.id), now=utcnow(), minutes=60,
                              new_start_local=to_local(utcnow() + timedelta(days=3)))


def _windowed(db: DbSession) -> Session:
    ev = f.event(db, title="Ikkunallinen")
    s = f.session(db, ev, starts_in=timedelta(days=5))
    s.registration_opens_at = s.starts_at - timedelta(days=6)
    s.registration_closes_at = s.starts_at - timedelta(days=1)
    db.commit()
    return s


def test_moving_asks_about_the_window_and_keeps_it_when_told(app: Flask, db: DbSession,
                                                            as_staff: Any) -> None:
    s = _windowed(db)
    opens, closes = s.registration_opens_at, s.registration_closes_at
    url = f"/admin/sessions/{s.id}/move"
    html = as_staff.get(url).get_data(as_text=True)
    assert t("session.window_move", "fi") in html and t("session.window_keep", "fi") in html
    assert 'name="window"' in html
    later = s.starts_at + timedelta(days=2)
    resp = post(as_staff, url, {"starts_at": _input(later), "minutes": 60, "window": "keep"},
                page=url)
    assert resp.status_code == 302
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    new = db.scalar(select(Session).where(Session.status == SessionStatus.SCHEDULED))
    assert new is not None and new.starts_at == later
    assert (new.registration_opens_at, new.registration_closes_at) == (opens, closes)


def test_moving_the_window_too_shifts_it(app: Flask, db: DbSession, as_staff: Any) -> None:
    s = _windowed(db)
    opens, closes = s.registration_opens_at, s.registration_closes_at
    url = f"/admin/sessions/{s.id}/move"
    later = s.starts_at + timedelta(days=2)
    assert post(as_staff, url, {"starts_at": _input(later), "minutes": 60, "window": "move"},
                page=url).status_code == 302
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    new = db.scalar(select(Session).where(Session.status == SessionStatus.SCHEDULED))
    assert new is not None and opens is not None and closes is not None
    assert new.registration_opens_at == opens + timedelta(days=2)
    assert new.registration_closes_at == closes + timedelta(days=2)


def test_a_kept_window_closing_after_the_new_start_is_refused(app: Flask, db: DbSession,
                                                              as_staff: Any) -> None:
    s = _windowed(db)
    url = f"/admin/sessions/{s.id}/move"
    earlier = s.starts_at - timedelta(days=2)  # before registration closes
    resp = post(as_staff, url, {"starts_at": _input(earlier), "minutes": 45, "window": "keep"},
                page=url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and t("err.window_after_new_start", "fi") in html
    assert f'value="{_input(earlier)}"' in html and 'value="45"' in html
    assert 'value="keep" checked' in html
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    assert db.get_one(Session, s.id).status == SessionStatus.SCHEDULED


def test_the_confirmation_says_what_happens_and_its_way_back_says_dont_move(
        app: Flask, db: DbSession, as_staff: Any) -> None:
    s = _windowed(db)
    f.registered(registration.register(db, s.id, f.caller(db), now=utcnow()))
    db.commit()
    url = f"/admin/sessions/{s.id}/move"
    later = s.starts_at + timedelta(days=1)
    resp = post(as_staff, url, {"starts_at": _input(later), "minutes": 60, "window": "move"},
                page=url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert t("session.move_back", "fi") in html and t("session.keep", "fi") not in html
    assert 'name="window" value="move"' in html
    assert t("session.window_after", "fi").split("{")[0] in html
    resp = post(as_staff, url, {"starts_at": _input(later), "minutes": 60, "window": "move",
                                "confirm": "yes"}, page=url)
    assert resp.status_code == 302


def test_a_moved_session_keeps_its_recording_permission(app: Flask, db: DbSession) -> None:
    s = f.session(db, f.event(db, title="Nauhoitettava"), starts_in=timedelta(days=3))
    s.may_be_recorded = True
    db.commit()
    new, _ = schedule.move_session(db, s, minutes=60, now=utcnow(),
                                   new_start_local=to_local(s.starts_at + timedelta(days=1)))
    db.commit()
    assert new.may_be_recorded is True
