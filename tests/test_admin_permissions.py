"""The admin's permission rules, checked against the whole URL table so a new route cannot be
forgotten: anonymous users are refused everywhere, a provider cannot reach another provider's
events by guessing ids, and every POST without a CSRF token is refused."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from admin.access import PUBLIC_ENDPOINTS
from catalogue.models import (
    AudioDescription,
    Event,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
)
from tests import factories as f
from tests.admin_support import login, post, provider_user, staff, token

PARAM = re.compile(r"<(?:int:)?(\w+)>")


def admin_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every admin route and method."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, rule.rule, method))
    return out


def fill(rule: str, ids: dict[str, int]) -> str:
    return PARAM.sub(lambda m: str(ids.get(m.group(1), 1)), rule)


def _world(db: DbSession) -> dict[str, Any]:
    """Two providers; B has an event with a session, a registration and a recording."""
    prov_a = f.provider(db, "Teatteri A")
    prov_b = f.provider(db, "Museo B")
    staff(db)
    provider_user(db, prov_a, "a@example.test")
    ev_a = f.event(db, title="A:n tapahtuma", prov=prov_a)
    ev_b = f.event(db, title="B:n salainen tapahtuma", prov=prov_b)
    s_b = f.session(db, ev_b)
    s_b.confirmed_count = 1
    caller = f.caller(db, "+358401234567", name="Aino Esimerkki")
    reg = Registration(session_id=s_b.id, caller_id=caller.id, status=RegistrationStatus.CONFIRMED,
                       active_key=1)
    rec = AudioDescription(event_id=ev_b.id, provider_id=prov_b.id, lang="fi",
                           storage_path="recordings/" + "b" * 32 + ".mp3",
                           status=AudioDescription.Status.AWAITING_REVIEW,
                           source=AudioDescription.Source.PHONE, transcript="Tervetuloa museoon.")
    db.add_all([reg, rec])
    db.commit()
    return {"event_id": ev_b.id, "session_id": s_b.id, "reg_id": reg.id, "rec_id": rec.id,
            "own_event_id": ev_a.id, "filename": "admin.css"}


def test_every_admin_route_refuses_an_anonymous_user(app: Flask, db: DbSession, client: Any) -> None:
    ids = _world(db)
    rules = admin_rules(app)
    assert len(rules) > 20
    checked = 0
    for endpoint, rule, method in rules:
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        url = fill(rule, ids)
        if method == "GET":
            resp = client.get(url)
        else:  # a valid token, so that it is the login that refuses, not CSRF
            resp = client.post(url, data={"csrf_token": token(client), "decision": "approve",
                                          "phone": "0401112222", "attended": "yes"})
        assert resp.status_code in (302, 401), (method, url, resp.status_code)
        if resp.status_code == 302:
            assert resp.headers["Location"].startswith("/admin/login"), (method, url)
        checked += 1
    assert checked >= 20
    session = db.get_one(Session, ids["session_id"])
    db.refresh(session)
    assert session.status == SessionStatus.SCHEDULED
    assert db.get_one(AudioDescription, ids["rec_id"]).status == AudioDescription.Status.AWAITING_REVIEW


def test_public_admin_endpoints_are_only_login_language_css_and_the_password_link(app: Flask) -> None:
    assert PUBLIC_ENDPOINTS == {"admin.login", "admin.static", "admin.set_language",
                                "admin.reset_password"}


def test_a_provider_cannot_reach_another_providers_things_by_guessing_ids(
        app: Flask, db: DbSession, client: Any) -> None:
    ids = _world(db)
    login(client, "a@example.test")
    guessed = 0
    for endpoint, rule, method in admin_rules(app):
        if not PARAM.search(rule) or endpoint == "admin.static":
            continue
        url = fill(rule, ids)
        if method == "GET":
            resp = client.get(url)
        else:
            resp = post(client, url, {"title_fi": "Kaapattu", "provider_id": ids["own_event_id"],
                                      "category": "music", "city_id": 0, "decision": "approve",
                                      "starts_at": "2099-01-01T12:00", "minutes": "60",
                                      "confirm": "yes", "phone": "0401112222",
                                      "attended": "yes", "kind": "phone"})
        # 404 for what belongs to someone else (existence not revealed); 403 for staff-only pages
        assert resp.status_code in (403, 404), (method, url, resp.status_code)
        guessed += 1
    assert guessed >= 12
    db.commit()  # end the test session's read snapshot (SQLite WAL)
    ev = db.get_one(Event, ids["event_id"])
    assert ev.title_fi == "B:n salainen tapahtuma"
    s = db.get_one(Session, ids["session_id"])
    assert s.status == SessionStatus.SCHEDULED
    assert db.scalar(select(func.count()).select_from(Session)) == 1
    assert db.get_one(Registration, ids["reg_id"]).status == RegistrationStatus.CONFIRMED
    assert db.get_one(AudioDescription, ids["rec_id"]).status == AudioDescription.Status.AWAITING_REVIEW


def test_a_provider_sees_only_its_own_events_in_lists(app: Flask, db: DbSession, client: Any) -> None:
    _world(db)
    login(client, "a@example.test")
    for url in ("/admin/events", "/admin/recordings", "/admin/hear", "/admin/",
                "/admin/recordings/upload"):
        html = client.get(url).get_data(as_text=True)
        assert "B:n salainen tapahtuma" not in html, url
        assert "Museo B" not in html, url
    assert "A:n tapahtuma" in client.get("/admin/events").get_data(as_text=True)


def test_a_provider_creates_events_only_for_itself(app: Flask, db: DbSession, client: Any) -> None:
    ids = _world(db)
    prov_b_id = db.get_one(Event, ids["event_id"]).provider_id
    login(client, "a@example.test")
    resp = post(client, "/admin/events/new", {"title_fi": "Uusi", "provider_id": prov_b_id,
                                              "category": "music", "city_id": 0})
    assert resp.status_code == 302
    db.commit()  # end the test session's read snapshot
    made = db.scalar(select(Event).where(Event.title_fi == "Uusi"))
    assert made is not None and made.provider_id != prov_b_id


def test_staff_only_pages_refuse_a_provider_even_for_its_own_session(
        app: Flask, db: DbSession, client: Any) -> None:
    ids = _world(db)
    own = db.get_one(Event, ids["own_event_id"])
    s = f.session(db, own)
    db.commit()
    login(client, "a@example.test")
    assert client.get(f"/admin/sessions/{s.id}/registrations").status_code == 403
    assert client.get(f"/admin/sessions/{s.id}/registrations.csv").status_code == 403
    assert client.get(f"/admin/sessions/{s.id}/edit").status_code == 200


def test_every_post_without_a_csrf_token_is_refused(app: Flask, db: DbSession, client: Any) -> None:
    assert app.config["WTF_CSRF_ENABLED"] is True
    ids = _world(db)
    login(client, "staff@example.test")
    posts = [(e, r) for e, r, m in admin_rules(app) if m == "POST"]
    assert len(posts) >= 12
    for endpoint, rule in posts:
        url = fill(rule, ids)
        resp = client.post(url, data={"title_fi": "Ilman tokenia", "category": "music",
                                      "provider_id": 1, "city_id": 0, "decision": "approve",
                                      "starts_at": "2099-01-01T12:00", "minutes": "60",
                                      "confirm": "yes", "phone": "0401112222", "attended": "yes",
                                      "email": "staff@example.test", "password": "x", "lang": "sv"})
        assert resp.status_code == 400, (endpoint, url, resp.status_code)
        # a forged token is refused too
        resp = client.post(url, data={"csrf_token": "forged"})
        assert resp.status_code == 400, (endpoint, url, resp.status_code)
    db.commit()  # end the test session's read snapshot (SQLite WAL)
    assert db.scalar(select(Event).where(Event.title_fi == "Ilman tokenia")) is None
    assert db.get_one(Session, ids["session_id"]).status == SessionStatus.SCHEDULED
    assert db.get_one(Registration, ids["reg_id"]).attended is None
    assert db.get_one(AudioDescription, ids["rec_id"]).status == AudioDescription.Status.AWAITING_REVIEW
    # still logged in: the logout without a token did nothing
    assert client.get("/admin/events").status_code == 200


def test_twilio_webhooks_are_not_under_csrf(app: Flask, phone: Any, db: DbSession) -> None:
    """The voice blueprint is protected by signatures; CSRF must not block a real call."""
    turn = phone.call()
    assert turn.status == 200


def test_session_cookie_settings(app: Flask) -> None:
    from admin import _cookie_secure

    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60
    prod = Flask("x")
    prod.config.update(TESTING=False, PUBLIC_BASE_URL="https://phone.example.fi")
    assert _cookie_secure(prod) is True
    local = Flask("y")
    local.config.update(TESTING=False, PUBLIC_BASE_URL="")
    assert _cookie_secure(local) is False


def test_login_sets_a_permanent_session_that_expires_when_idle(app: Flask, db: DbSession,
                                                               client: Any) -> None:
    staff(db)
    db.commit()
    resp = login(client, "staff@example.test")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert client.get("/admin/events").status_code == 200
    # Flask checks the signed cookie's age against PERMANENT_SESSION_LIFETIME: idle too long is out
    from datetime import timedelta

    app.permanent_session_lifetime = timedelta(seconds=0)
    import time

    time.sleep(1.1)
    assert client.get("/admin/events").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/voice/incoming"])
def test_login_never_redirects_outside_the_admin(app: Flask, db: DbSession, client: Any,
                                                  target: str) -> None:
    staff(db)
    db.commit()
    resp = client.post(f"/admin/login?next={target}", data={
        "email": "staff@example.test", "password": "correct horse battery",
        "csrf_token": token(client)})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/"
