"""The admin's pages: forms and their validation messages, events and repeating sessions,
cancelling and moving with confirmation, registrations and CSV, what callers hear, recordings,
the overview, languages, the CLI and the demo logins."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import schedule
from admin.users import DEMO_STAFF_EMAIL, authenticate, demo_banner_lines, load_demo_users
from catalogue.models import (
    AudioDescription,
    CallLog,
    Event,
    MenuVisit,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
    User,
)
from catalogue.timeutil import to_local, utcnow
from ivr_flows.programme import item_segments
from tests import factories as f
from tests.admin_support import login, post, provider_user, staff

EVENT = {"category": "music", "city_id": 0, "title_fi": "Laulutuokio", "title_sv": "Sångstund",
         "title_en": "Sing-along", "short_fi": "Lauletaan yhdessä.", "description_fi": "Tuttuja lauluja."}


@pytest.fixture
def as_staff(app: Flask, db: DbSession, client: Any) -> Any:
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    return client


def local_input(days: int, hour: int = 14) -> str:
    day = to_local(utcnow()).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def fresh(db: DbSession) -> DbSession:
    """End the test session's read snapshot and forget loaded rows, to see what requests wrote."""
    db.commit()
    db.expire_all()
    return db


def create_event(client: Any, db: DbSession, **fields: Any) -> Event:
    prov = db.scalar(select(Event.provider_id)) or f.provider(db).id
    db.commit()
    resp = post(client, "/admin/events/new", {**EVENT, "provider_id": prov, **fields})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ev = fresh(db).scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert ev is not None
    return ev


# ---- login ------------------------------------------------------------------------------

def test_login_with_a_wrong_password_says_so(app: Flask, db: DbSession, client: Any) -> None:
    staff(db)
    db.commit()
    from tests.admin_support import token

    resp = client.post("/admin/login", data={"email": "staff@example.test", "password": "wrong one",
                                             "csrf_token": token(client)})
    assert resp.status_code == 401
    assert "Sähköposti tai salasana on väärin" in resp.get_data(as_text=True)
    assert client.get("/admin/events").status_code == 302


def test_login_form_shows_errors_next_to_the_fields(app: Flask, client: Any) -> None:
    from tests.admin_support import token

    html = client.post("/admin/login", data={"email": "not-an-address", "password": "",
                                             "csrf_token": token(client)}).get_data(as_text=True)
    assert 'id="email-error"' in html and "Anna sähköpostiosoite" in html
    assert 'id="password-error"' in html and "Tämä kenttä on pakollinen." in html
    assert 'aria-describedby="password-error"' in html


def test_logout_ends_the_session(as_staff: Any) -> None:
    resp = post(as_staff, "/admin/logout", {})
    assert resp.status_code == 302
    assert as_staff.get("/admin/events").status_code == 302


def test_an_inactive_user_cannot_log_in(app: Flask, db: DbSession) -> None:
    u = staff(db)
    u.active = False
    db.commit()
    assert authenticate(db, "staff@example.test", "correct horse battery") is None
    u.active = True
    assert authenticate(db, "STAFF@example.test ", "correct horse battery") is u


# ---- events -----------------------------------------------------------------------------

def test_create_event_assigns_a_unique_code(as_staff: Any, db: DbSession) -> None:
    f.provider(db)
    db.commit()
    first = create_event(as_staff, db)
    second = create_event(as_staff, db, title_fi="Runopiiri")
    for ev in (first, second):
        assert ev.code.isdigit() and 3 <= len(ev.code) <= 4 and not ev.code.startswith("0")
    assert first.code != second.code
    assert first.title_sv == "Sångstund" and first.city_id is None


def test_event_codes_stay_unique_when_three_digits_run_out(app: Flask, db: DbSession) -> None:
    prov = f.provider(db)
    for n in range(100, 1000):
        if n != 555:
            db.add(Event(code=str(n), provider_id=prov.id, category="music", title_fi=f"E{n}"))
    db.flush()
    assert schedule.new_event_code(db) == "555"
    db.add(Event(code="555", provider_id=prov.id, category="music", title_fi="E555"))
    db.flush()
    assert len(schedule.new_event_code(db)) == 4


def test_event_validation_messages_are_next_to_the_field(as_staff: Any, db: DbSession) -> None:
    prov = f.provider(db)
    helsinki = f.city(db).id
    db.commit()
    resp = post(as_staff, "/admin/events/new", {**EVENT, "provider_id": prov.id, "title_fi": "",
                                                "city_id": helsinki, "venue": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="title_fi-error"' in html and "Tämä kenttä on pakollinen." in html
    assert 'id="venue-error"' in html and "Anna paikka" in html
    assert 'aria-invalid="true"' in html
    assert 'class="error-summary"' in html
    assert fresh(db).scalar(select(Event)) is None


def test_edit_event_is_heard_on_the_phone_at_once(as_staff: Any, db: DbSession) -> None:
    ev = f.event(db, title="Vanha nimi")
    s = f.session(db, ev)
    db.commit()
    resp = post(as_staff, f"/admin/events/{ev.id}/edit", {**EVENT, "provider_id": ev.provider_id,
                                                         "title_fi": "Uusi nimi"})
    assert resp.status_code == 302
    s = fresh(db).get_one(Session, s.id)
    db.refresh(s.event)
    assert "Uusi nimi" in " ".join(seg.text for seg in item_segments(s, "fi", utcnow()))


# ---- sessions ---------------------------------------------------------------------------

def test_repeating_sessions_weekly_keep_the_local_time(as_staff: Any, db: DbSession) -> None:
    ev = f.event(db)
    db.commit()
    resp = post(as_staff, f"/admin/events/{ev.id}/sessions/new", {
        "starts_at": local_input(2, 14), "minutes": "90", "kind": "phone", "capacity": "15",
        "repeat_weeks": "30"})  # thirty weeks cross a change of summer time
    assert resp.status_code == 302, resp.get_data(as_text=True)
    sessions = fresh(db).scalars(select(Session).where(Session.event_id == ev.id)
                                 .order_by(Session.starts_at)).all()
    assert len(sessions) == 30
    locals_ = [to_local(s.starts_at) for s in sessions]
    assert {(t.hour, t.minute) for t in locals_} == {(14, 0)}
    assert all((b.date() - a.date()).days == 7 for a, b in zip(locals_, locals_[1:]))
    assert {s.length_minutes for s in sessions} == {90}
    assert {s.capacity for s in sessions} == {15}
    assert len({s.starts_at.hour for s in sessions}) == 2  # UTC hour changes with summer time


def test_registration_window_moves_with_each_repeat(as_staff: Any, db: DbSession) -> None:
    ev = f.event(db)
    db.commit()
    resp = post(as_staff, f"/admin/events/{ev.id}/sessions/new", {
        "starts_at": local_input(10, 14), "minutes": "60", "kind": "phone", "capacity": "",
        "repeat_weeks": "3", "registration_opens_at": local_input(3, 9),
        "registration_closes_at": local_input(9, 12)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    sessions = fresh(db).scalars(select(Session).order_by(Session.starts_at)).all()
    assert [s.capacity for s in sessions] == [None, None, None]
    for s in sessions:
        assert s.registration_opens_at is not None and s.registration_closes_at is not None
        assert sessions[0].registration_opens_at is not None
        assert s.starts_at - s.registration_opens_at == sessions[0].starts_at - sessions[0].registration_opens_at
        assert to_local(s.registration_closes_at).hour == 12


@pytest.mark.parametrize("fields, field, message", [
    ({"starts_at": "huomenna"}, "starts_at", "Anna päivä ja kellonaika"),
    ({"starts_at": ""}, "starts_at", "Tämä kenttä on pakollinen."),
    ({"minutes": "tunti"}, "minutes", "Anna kokonaisluku."),
    ({"minutes": "2"}, "minutes", "Kesto on 5–600 minuuttia."),
    ({"repeat_weeks": "60"}, "repeat_weeks", "Toistoja voi olla 1–52 viikkoa."),
    ({"capacity": "-1"}, "capacity", "Paikkoja voi olla 0–10 000."),
    ({"kind": "in_person"}, "kind", "Paikan päällä -esitykselle"),
    ({"registration_closes_at": "2099-01-01T10:00"}, "registration_closes_at", "viimeistään esityksen alkaessa"),
])
def test_session_validation_messages(as_staff: Any, db: DbSession, fields: dict[str, str],
                                     field: str, message: str) -> None:
    ev = f.event(db)
    db.commit()
    data = {"starts_at": local_input(2), "minutes": "60", "kind": "phone", "capacity": "10",
            "repeat_weeks": "1", **fields}
    html = post(as_staff, f"/admin/events/{ev.id}/sessions/new", data).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert fresh(db).scalar(select(Session)) is None


def test_a_session_in_the_past_is_refused(as_staff: Any, db: DbSession) -> None:
    ev = f.event(db)
    db.commit()
    html = post(as_staff, f"/admin/events/{ev.id}/sessions/new", {
        "starts_at": local_input(-1), "minutes": "60", "kind": "phone",
        "repeat_weeks": "1"}).get_data(as_text=True)
    assert "Aika on jo mennyt." in html


def test_edit_session_capacity_cannot_drop_below_the_registered(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=0)
    html = post(as_staff, f"/admin/sessions/{s.id}/edit", {
        "minutes": "60", "kind": "phone", "capacity": "1"}).get_data(as_text=True)
    assert "Ilmoittautuneita on jo enemmän." in html


def test_raising_capacity_gives_places_to_the_waiting_list(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=1)
    resp = post(as_staff, f"/admin/sessions/{s.id}/edit", {"minutes": "60", "kind": "phone",
                                                          "capacity": "3"})
    assert resp.status_code == 302
    regs = fresh(db).scalars(select(Registration).where(Registration.session_id == s.id)).all()
    assert sorted(r.status.value for r in regs) == ["confirmed"] * 3
    assert [r.notify_pending for r in regs].count("promoted") == 1


def _session_with_people(db: DbSession, confirmed: int, waiting: int, capacity: int = 2) -> Session:
    s = f.session(db, f.event(db), capacity=capacity, starts_in=timedelta(days=3))
    now = utcnow()
    for i in range(confirmed + waiting):
        c = f.caller(db, f"+35840555{i:04d}", name=f"Henkilö {i}")
        status = RegistrationStatus.CONFIRMED if i < confirmed else RegistrationStatus.WAITING
        db.add(Registration(session_id=s.id, caller_id=c.id, status=status, active_key=1,
                            created_at=now + timedelta(seconds=i)))
    s.confirmed_count = confirmed
    db.commit()
    return s


def test_cancel_asks_first_and_then_marks_each_registration(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=1)
    page = as_staff.get(f"/admin/sessions/{s.id}/cancel").get_data(as_text=True)
    assert "Ilmoittautuneita 2, jonossa 1." in page
    assert "Kyllä, peru esitys (3 ilmoittautunutta)" in page
    assert fresh(db).get_one(Session, s.id).status == SessionStatus.SCHEDULED  # asking changed nothing
    resp = post(as_staff, f"/admin/sessions/{s.id}/cancel", {}, page=f"/admin/sessions/{s.id}/cancel")
    assert resp.status_code == 302
    db = fresh(db)
    db.expire_all()
    assert db.get_one(Session, s.id).status == SessionStatus.CANCELLED
    regs = db.scalars(select(Registration).where(Registration.session_id == s.id)).all()
    assert [r.notify_pending for r in regs] == ["cancelled"] * 3
    # and the phone says it is cancelled
    text = " ".join(seg.text for seg in item_segments(db.get_one(Session, s.id), "fi", utcnow()))
    assert "peru" in text.lower()
    # a cancelled session cannot be cancelled again
    assert as_staff.get(f"/admin/sessions/{s.id}/cancel").status_code == 409


def test_move_asks_first_then_moves_registrations_and_marks_them(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=1)
    new_time = local_input(8, 15)
    first = post(as_staff, f"/admin/sessions/{s.id}/move", {"starts_at": new_time, "minutes": "45"})
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Vahvista siirto" in html and "Ilmoittautuneita 2, jonossa 1." in html
    assert fresh(db).get_one(Session, s.id).status == SessionStatus.SCHEDULED
    resp = post(as_staff, f"/admin/sessions/{s.id}/move",
                {"starts_at": new_time, "minutes": "45", "confirm": "yes"})
    assert resp.status_code == 302
    db = fresh(db)
    db.expire_all()
    old = db.get_one(Session, s.id)
    assert old.status == SessionStatus.MOVED and old.moved_to_id is not None
    new = db.get_one(Session, old.moved_to_id)
    assert to_local(new.starts_at).strftime("%Y-%m-%dT%H:%M") == new_time
    assert new.length_minutes == 45 and new.confirmed_count == 2 and old.confirmed_count == 0
    regs = db.scalars(select(Registration).where(Registration.session_id == new.id)).all()
    assert len(regs) == 3 and {r.notify_pending for r in regs} == {"moved"}
    assert sorted(r.status.value for r in regs) == ["confirmed", "confirmed", "waiting"]


def test_move_without_registrations_needs_no_second_step(as_staff: Any, db: DbSession) -> None:
    s = f.session(db, f.event(db))
    db.commit()
    resp = post(as_staff, f"/admin/sessions/{s.id}/move", {"starts_at": local_input(5), "minutes": "60"})
    assert resp.status_code == 302
    assert fresh(db).get_one(Session, s.id).status == SessionStatus.MOVED


# ---- registrations ----------------------------------------------------------------------

def test_register_a_caller_who_phoned(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=1, waiting=0, capacity=2)
    url = f"/admin/sessions/{s.id}/registrations"
    resp = post(as_staff, url, {"phone": "040 765 4321", "name": "Eino Esimerkki"}, page=url)
    assert resp.status_code == 302
    page = as_staff.get(url).get_data(as_text=True)
    assert "Ilmoittautuminen on tehty." in page and "Eino Esimerkki" in page and "040 7654321" in page
    # full now: the next goes to the waiting list, with the same rules as the phone
    post(as_staff, url, {"phone": "+358 40 111 2233"}, page=url)
    assert "jonossa sijalla 1" in as_staff.get(url).get_data(as_text=True)
    post(as_staff, url, {"phone": "040 765 4321"}, page=url)
    assert "on jo ilmoittautunut" in as_staff.get(url).get_data(as_text=True)
    reg = fresh(db).scalar(select(Registration).join(Registration.caller)
                           .where(Registration.registered_by_staff.is_(True)).limit(1))
    assert reg is not None and reg.status == RegistrationStatus.CONFIRMED


def test_register_refuses_a_bad_number_next_to_the_field(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=0, waiting=0)
    url = f"/admin/sessions/{s.id}/registrations"
    resp = post(as_staff, url, {"phone": "12"}, page=url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="phone-error"' in html and "Puhelinnumero ei kelpaa" in html


def test_cancel_registration_promotes_the_first_waiting(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=1)
    first = fresh(db).scalars(select(Registration).order_by(Registration.created_at)).first()
    assert first is not None
    url = f"/admin/sessions/{s.id}/registrations"
    resp = post(as_staff, f"/admin/registrations/{first.id}/cancel", {}, page=url)
    assert resp.status_code == 302
    regs = fresh(db).scalars(select(Registration).order_by(Registration.created_at)).all()
    db.expire_all()
    assert [r.status.value for r in regs] == ["cancelled", "confirmed", "confirmed"]
    assert regs[2].notify_pending == "promoted"


def test_mark_attendance(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=1, waiting=0)
    reg = fresh(db).scalars(select(Registration)).one()
    url = f"/admin/sessions/{s.id}/registrations"
    post(as_staff, f"/admin/registrations/{reg.id}/attendance", {"attended": "yes"}, page=url)
    db.expire_all()
    assert fresh(db).get_one(Registration, reg.id).attended is True
    post(as_staff, f"/admin/registrations/{reg.id}/attendance", {"attended": "unknown"}, page=url)
    db.expire_all()
    assert fresh(db).get_one(Registration, reg.id).attended is None


def test_csv_export(as_staff: Any, db: DbSession) -> None:
    s = _session_with_people(db, confirmed=2, waiting=1)
    first = db.scalars(select(Registration).order_by(Registration.created_at)).first()
    assert first is not None and first.caller is not None
    c = first.caller
    c.name = "=HYPERLINK(\"x\")"  # a spreadsheet formula in a name must not run
    db.commit()
    resp = as_staff.get(f"/admin/sessions/{s.id}/registrations.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    rows = rows[3:]  # after the event, its time and an empty row (tests/test_desk_week.py)
    assert rows[0][:4] == ["Tila", "Jonosija", "Nimi", "Puhelinnumero"]
    assert [r[0] for r in rows[1:]] == ["paikka", "paikka", "jonossa"]
    assert rows[3][1] == "1"
    assert rows[1][2].startswith("'=")
    assert rows[2][3] == "+358405550001"


# ---- what callers hear ------------------------------------------------------------------

def test_hear_page_shows_exactly_what_the_phone_says(as_staff: Any, db: DbSession) -> None:
    ev = f.event(db, title="Kamarikonsertti", title_sv="Kammarkonsert")
    s = f.session(db, ev, starts_in=timedelta(hours=2))
    db.commit()
    from markupsafe import escape

    for lang in ("fi", "sv", "en"):  # now, and a caller with no home city: phone events
        html = as_staff.get(f"/admin/hear?lang={lang}").get_data(as_text=True)
        for seg in item_segments(fresh(db).get_one(Session, s.id), lang, utcnow()):
            assert str(escape(seg.text)) in html, (lang, seg.text)
        assert "ei vielä äänenä" in html  # nothing rendered in the test's empty cache


def test_hear_page_plays_rendered_sentences(app: Flask, as_staff: Any, db: DbSession,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ev = f.event(db, title="Kamarikonsertti")
    f.session(db, ev, starts_in=timedelta(hours=2))
    db.commit()
    svc = app.extensions["lampio_audio"]
    monkeypatch.setattr(type(svc), "prompt_url", lambda self, seg: f"/audio/{abs(hash(seg.text))}.mp3")
    html = as_staff.get("/admin/hear").get_data(as_text=True)
    assert "<audio controls" in html


# ---- recordings -------------------------------------------------------------------------

def _recording(db: DbSession, prov_name: str = "Museo") -> AudioDescription:
    ev = f.event(db, prov=f.provider(db, prov_name))
    rec = AudioDescription(event_id=ev.id, provider_id=ev.provider_id, lang="fi",
                           storage_path="recordings/" + "a" * 32 + ".mp3",
                           status=AudioDescription.Status.AWAITING_REVIEW,
                           source=AudioDescription.Source.PHONE, transcript="Tervetuloa näyttelyyn.",
                           transcript_status=AudioDescription.TranscriptStatus.DONE)
    db.add(rec)
    db.commit()
    return rec


def test_review_shows_transcript_and_player_and_approves(as_staff: Any, db: DbSession) -> None:
    rec = _recording(db)
    page = as_staff.get(f"/admin/recordings/{rec.id}").get_data(as_text=True)
    assert "Tervetuloa näyttelyyn." in page and "<audio controls" in page
    assert f"/audio/recordings/{'a' * 32}.mp3" in page
    resp = post(as_staff, f"/admin/recordings/{rec.id}/review", {"decision": "approve", "reason": ""})
    assert resp.status_code == 302
    db.expire_all()
    got = fresh(db).get_one(AudioDescription, rec.id)
    assert got.status == AudioDescription.Status.APPROVED and got.reviewed_at is not None


def test_reject_needs_a_reason_that_the_provider_then_sees(app: Flask, as_staff: Any,
                                                            db: DbSession) -> None:
    rec = _recording(db)
    resp = post(as_staff, f"/admin/recordings/{rec.id}/review", {"decision": "reject", "reason": " "})
    assert resp.status_code == 400 and "Kerro syy" in resp.get_data(as_text=True)
    post(as_staff, f"/admin/recordings/{rec.id}/review",
         {"decision": "reject", "reason": "Taustalla on liikaa melua."})
    db.expire_all()
    assert fresh(db).get_one(AudioDescription, rec.id).status == AudioDescription.Status.REJECTED
    provider_user(db, db.get_one(AudioDescription, rec.id).provider, "museo@example.test")
    db.commit()
    prov_client = app.test_client()
    login(prov_client, "museo@example.test")
    page = prov_client.get(f"/admin/recordings/{rec.id}").get_data(as_text=True)
    assert "Taustalla on liikaa melua." in page and "hylätty" in page
    assert 'action="/admin/recordings/' not in page  # no review form for a provider
    assert post(prov_client, f"/admin/recordings/{rec.id}/review",
                {"decision": "approve"}).status_code == 403


def test_provider_uploads_a_recording(app: Flask, db: DbSession, client: Any, tmp_path: Path) -> None:
    from tests.test_audio_support import espeak_wav

    ev = f.event(db, prov=f.provider(db, "Kirjasto"))
    provider_user(db, ev.provider, "kirjasto@example.test")
    db.commit()
    login(client, "kirjasto@example.test")
    bad = post(client, "/admin/recordings/upload",
               {"event_id": ev.id, "lang": "fi", "audio": (io.BytesIO(b"not audio at all" * 10), "x.mp3")},
               page="/admin/recordings/upload", content_type="multipart/form-data")
    assert bad.status_code == 400 and "ei ole äänitiedosto" in bad.get_data(as_text=True)
    wav = espeak_wav(tmp_path / "desc.wav", "Welcome to the library reading. It is a lovely story.")
    resp = post(client, "/admin/recordings/upload",
                {"event_id": ev.id, "lang": "en", "audio": (open(wav, "rb"), "desc.wav")},
                page="/admin/recordings/upload", content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rec = fresh(db).scalars(select(AudioDescription)).one()
    assert rec.status == AudioDescription.Status.AWAITING_REVIEW
    assert rec.source == AudioDescription.Source.UPLOAD and rec.duration_seconds >= 1
    assert (Path(app.config["AUDIO_DIR"]) / rec.storage_path).is_file()


# ---- overview ---------------------------------------------------------------------------

def test_overview_draws_charts_on_the_server(as_staff: Any, db: DbSession) -> None:
    now = utcnow()
    for i in range(3):
        call = CallLog(call_sid=f"CA{i}", started_at=now - timedelta(days=i))
        db.add(call)
        db.flush()
        db.add(MenuVisit(call_id=call.id, node="programme", at=now))
    s = _session_with_people(db, confirmed=2, waiting=1)
    reg = db.scalars(select(Registration)).first()
    assert reg is not None
    reg.attended = True
    db.commit()
    html = as_staff.get("/admin/").get_data(as_text=True)
    assert html.count("<svg") == 3 and 'role="img"' in html
    assert "Yhteensä 3 puhelua" in html
    assert "Viikon ohjelma" in html  # the menu's name, not its code
    # drawn on the server: no chart script, no CDN (the only script is the admin's own small
    # one for narrow screens, from /admin/static)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/admin/static/admin.js" defer>']
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert s.event.title_fi in html


# ---- languages, CLI, demo logins ---------------------------------------------------------

def test_language_switch_is_kept_in_the_session(as_staff: Any) -> None:
    assert "Tapahtumat" in as_staff.get("/admin/events").get_data(as_text=True)
    post(as_staff, "/admin/language", {"lang": "sv", "next": "/admin/events"})
    html = as_staff.get("/admin/events").get_data(as_text=True)
    assert '<html lang="sv">' in html and "Evenemang" in html
    post(as_staff, "/admin/language", {"lang": "en", "next": "/admin/events"})
    assert "New event" in as_staff.get("/admin/events").get_data(as_text=True)


def test_every_language_has_every_key() -> None:
    from admin.i18n import keys

    assert keys("sv") == keys("fi") and keys("en") == keys("fi")


def test_cli_users_create(app: Flask, db: DbSession) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.test", "--role", "staff",
                                 "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    assert fresh(db).scalar(select(User.email)) == "boss@example.test"
    again = runner.invoke(args=["users", "create", "--email", "boss@example.test", "--role", "staff",
                                "--password", "long enough pw"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "--email", "p@example.test", "--role", "provider",
                                "--password", "long enough pw"])
    assert short.exit_code != 0 and "provider-id" in short.output
    prompted = runner.invoke(args=["users", "create", "--email", "q@example.test", "--role", "staff"],
                             input="another long pw\nanother long pw\n")
    assert prompted.exit_code == 0, prompted.output


def test_demo_logins_work_and_are_printed(app: Flask, db: DbSession, client: Any) -> None:
    f.provider(db, "Demoteatteri")
    logins = load_demo_users(db, "secret")
    load_demo_users(db, "secret")  # idempotent
    db.commit()
    assert [l.email for l in logins] == [DEMO_STAFF_EMAIL, "provider@lampio.example"]
    lines = demo_banner_lines(db, "secret")
    assert any(logins[0].password in line for line in lines)
    assert authenticate(db, DEMO_STAFF_EMAIL, logins[0].password) is not None
    provider_login = authenticate(db, "provider@lampio.example", logins[1].password)
    assert provider_login is not None and provider_login.provider is not None
    assert provider_login.provider.name == "Demoteatteri"
