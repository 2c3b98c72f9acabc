"""Issue 12 in the admin (Flask's test client, CSRF on): the worklists and their counts, cancel
with a confirmation page and undo said plainly, a caller's name kept unless edited on purpose,
and the audit log on each object's page and as a filtered list for staff only."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration, schedule
from catalogue.models import (AuditEntry, AudioDescription, CallbackRequest, Caller, Registration,
                              RegistrationStatus)
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.admin_support import login, post, provider_user
from tests.test_admin_views import as_staff  # noqa: F401  (the fixture)


def html(client: Any, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return str(resp.get_data(as_text=True))


def nav_count(page: str, key: str) -> int:
    m = re.search(rf'id="nav-{key}">[^<]*<span class="badge">(\d+)</span>', page)
    assert m, f"no count for {key}"
    return int(m.group(1))


def _full_session(db: DbSession) -> tuple[int, Registration, Registration]:
    s = f.session(db, f.event(db, title="Lauluilta"), capacity=1)
    aino = f.caller(db, "+358912345678", name="Aino")
    bertta = f.caller(db, "+358401234567", name="Bertta")
    db.commit()
    first = f.registered(registration.register(db, s.id, aino, now=utcnow()))
    second = f.registered(registration.register(db, s.id, bertta, now=utcnow()))
    return s.id, first, second


def test_worklists_and_their_counts(as_staff: Any, db: DbSession) -> None:
    c = f.caller(db, "+358912345678", name="Aino")
    db.add(CallbackRequest(caller_id=c.id, created_at=utcnow(), lang="sv", topic="my_registrations"))
    s = f.session(db, f.event(db, title="Lauluilta"))
    prov = f.provider(db, "Teatteri", pin="2468")
    prov.pin_locked_until = utcnow() + timedelta(minutes=5)
    ev = f.event(db, title="Museokierros", prov=prov)
    db.add(AudioDescription(event_id=ev.id, provider_id=prov.id, lang="fi", storage_path="x.mp3",
                            status=AudioDescription.Status.AWAITING_REVIEW,
                            source=AudioDescription.Source.PHONE))
    db.commit()
    f.registered(registration.register(db, s.id, c, now=utcnow()))
    schedule.cancel_session(db, s)
    db.commit()
    page = html(as_staff, "/admin/")
    assert [nav_count(page, k) for k in ("callbacks", "told", "review", "pins")] == [1, 1, 1, 1]
    assert "Omat ilmoittautumiset" in page or "my_registrations" not in page  # the menu's name
    assert "ruotsi" in page  # the call's language
    assert 'id="told-' in page and "kerrottava perumisesta" in page
    assert "Museokierros" in page and "Teatteri" in page
    # another page has the same counts
    assert nav_count(html(as_staff, "/admin/events"), "told") == 1


def test_worklist_actions_clear_rows_and_log_who(as_staff: Any, db: DbSession) -> None:
    c = f.caller(db)
    req = CallbackRequest(caller_id=c.id, created_at=utcnow())
    db.add(req)
    prov = f.provider(db, "Teatteri", pin="2468")
    prov.own_pin_locked_until = utcnow() + timedelta(minutes=5)
    s = f.session(db, f.event(db))
    db.commit()
    reg = f.registered(registration.register(db, s.id, c, now=utcnow()))
    schedule.cancel_session(db, s)
    db.commit()
    assert post(as_staff, f"/admin/callbacks/{req.id}/done", {"note": "Ei vastannut, uudelleen"}
                ).status_code == 302
    assert post(as_staff, f"/admin/registrations/{reg.id}/told", {}).status_code == 302
    assert post(as_staff, f"/admin/providers/{prov.id}/unlock", {}).status_code == 302
    page = html(as_staff, "/admin/")
    assert [nav_count(page, k) for k in ("callbacks", "told", "review", "pins")] == [0, 0, 0, 0]
    db.expire_all()
    assert db.get_one(CallbackRequest, req.id).note == "Ei vastannut, uudelleen"
    actions = {(e.action, e.actor) for e in db.scalars(select(AuditEntry))}
    assert {("callback.done", "staff@example.test"), ("registration.told", "staff@example.test"),
            ("provider.pin_unlock", "staff@example.test")} <= actions


def test_cancel_asks_first_then_offers_undo_when_the_place_is_free(as_staff: Any,
                                                                   db: DbSession) -> None:
    s = f.session(db, f.event(db), capacity=1)
    c = f.caller(db, name="Aino")
    db.commit()
    reg = f.registered(registration.register(db, s.id, c, now=utcnow()))
    page = html(as_staff, f"/admin/registrations/{reg.id}/cancel")
    assert "Peruttava: Aino" in page and "Paikka jää vapaaksi" in page
    db.expire_all()
    assert db.get_one(Registration, reg.id).status == RegistrationStatus.CONFIRMED  # asked only
    resp = post(as_staff, f"/admin/registrations/{reg.id}/cancel", {},
                page=f"/admin/registrations/{reg.id}/cancel")
    assert resp.status_code == 302 and f"cancelled={reg.id}" in resp.headers["Location"]
    page = html(as_staff, resp.headers["Location"])
    assert 'id="undo"' in page and "Paikka on vielä vapaa" in page
    resp = post(as_staff, f"/admin/registrations/{reg.id}/restore", {})
    page = html(as_staff, resp.headers["Location"])
    assert "Aino on taas ilmoittautunut" in page
    db.expire_all()
    assert db.get_one(Registration, reg.id).status == RegistrationStatus.CONFIRMED


def test_undo_when_the_place_was_taken_says_the_waiting_list(as_staff: Any, db: DbSession) -> None:
    sid, first, second = _full_session(db)
    page = html(as_staff, f"/admin/registrations/{first.id}/cancel")
    assert "Jonon ensimmäinen saa paikan heti" in page
    resp = post(as_staff, f"/admin/registrations/{first.id}/cancel", {},
                page=f"/admin/registrations/{first.id}/cancel")
    page = html(as_staff, resp.headers["Location"])
    assert "Paikka annettiin jonon ensimmäiselle" in page
    assert "jää hänelle" in page  # what undoing would do now, before it is pressed
    resp = post(as_staff, f"/admin/registrations/{first.id}/restore", {})
    page = html(as_staff, resp.headers["Location"])
    assert "Aino on nyt jonossa sijalla 1" in page
    db.expire_all()
    assert db.get_one(Registration, second.id).status == RegistrationStatus.CONFIRMED
    # the session's page shows who did it
    assert "palautti ilmoittautumisen" in page and "staff@example.test" in page


def test_registering_never_renames_and_an_edit_does(as_staff: Any, db: DbSession) -> None:
    s = f.session(db, f.event(db), capacity=0)  # full: registered on the waiting list
    closed = f.session(db, f.event(db), starts_in=timedelta(days=-1))  # ended: refused
    c = f.caller(db, name="Aino")
    db.commit()
    resp = post(as_staff, f"/admin/sessions/{closed.id}/registrations",
                {"phone": "09 1234 5678", "name": "Joku Muu"},
                page=f"/admin/sessions/{closed.id}/registrations")
    page = html(as_staff, resp.headers["Location"])
    assert "tunnetaan nimellä Aino" in page
    resp = post(as_staff, f"/admin/sessions/{s.id}/registrations",
                {"phone": "09 1234 5678", "name": "Joku Muu"},
                page=f"/admin/sessions/{s.id}/registrations")
    db.rollback()
    assert db.get_one(Caller, c.id).name == "Aino"
    # a new person refused gets no name; one registered does
    post(as_staff, f"/admin/sessions/{closed.id}/registrations",
         {"phone": "040 765 4321", "name": "Uusi"}, page=f"/admin/sessions/{closed.id}/registrations")
    made = post(as_staff, f"/admin/sessions/{s.id}/registrations",
                {"phone": "040 111 2222", "name": "Toinen"},
                page=f"/admin/sessions/{s.id}/registrations")
    assert made.status_code == 302, made.get_data(as_text=True)[-3000:]
    db.rollback()  # a fresh snapshot after the requests' writes
    names = {x.phone: x.name for x in db.scalars(select(Caller))}
    assert "+358407654321" in names and names["+358407654321"] is None and names["+358401112222"] == "Toinen"
    # the explicit edit, with its entry on the caller's page
    url = f"/admin/callers/{c.id}/name?session={s.id}"
    assert "Aino" in html(as_staff, url)
    resp = post(as_staff, url, {"name": "Aino Virtanen", "session": str(s.id)}, page=url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/admin/sessions/{s.id}/registrations")
    db.rollback()
    assert db.get_one(Caller, c.id).name == "Aino Virtanen"
    page = html(as_staff, url)
    assert "muutti soittajan nimeä" in page and "Aino → Aino Virtanen" in page
    too_long = post(as_staff, url, {"name": "x" * 200}, page=url)
    assert too_long.status_code == 400 and "x" * 200 in too_long.get_data(as_text=True)


def test_the_log_page_filters_and_pages(as_staff: Any, db: DbSession) -> None:
    sid, first, _ = _full_session(db)
    registration.cancel(db, first.id, now=utcnow(), actor=registration.audit.PHONE)
    ev = f.event(db, title="Kuorokonsertti")
    db.commit()
    post(as_staff, f"/admin/events/{ev.id}/edit",
         {"provider_id": ev.provider_id, "city_id": 0, "category": "music",
          "title_fi": "Kuorokonsertti 2"}, page=f"/admin/events/{ev.id}/edit")
    page = html(as_staff, "/admin/log")
    assert "muokkasi tapahtumaa" in page and "Kuorokonsertti → Kuorokonsertti 2" in page
    assert "puhelin (soittaja)" in page and "+358" not in page.split("<main")[1]
    phone_only = html(as_staff, "/admin/log?channel=phone")
    assert "perui ilmoittautumisen" in phone_only and "muokkasi tapahtumaa" not in phone_only
    assert "tila: ilmoittautunut → peruttu" in phone_only
    by_type = html(as_staff, "/admin/log?type=event")
    assert "muokkasi tapahtumaa" in by_type and "perui ilmoittautumisen" not in by_type
    bad = html(as_staff, "/admin/log?since=eilen")
    assert "Anna päivä" in bad  # said next to the field, the list unfiltered
    assert "muokkasi tapahtumaa" in html(as_staff, f"/admin/events/{ev.id}")
    for i in range(60):
        registration.audit.record(db, None, "event.edit", "event", ev.id, after={"n": i})
    db.commit()
    first_page = html(as_staff, "/admin/log?type=event")
    assert "Sivu 1 / 2" in first_page and 'rel="next"' in first_page
    assert 'rel="prev"' in html(as_staff, "/admin/log?type=event&page=2")


def test_providers_get_none_of_it(app: Flask, db: DbSession, client: Any) -> None:
    prov = f.provider(db, "Teatteri")
    ev = f.event(db, prov=prov)
    s = f.session(db, ev)
    c = f.caller(db)
    db.commit()
    reg = f.registered(registration.register(db, s.id, c, now=utcnow()))
    provider_user(db, prov)
    db.commit()
    login(client, "prov@example.test")
    page = html(client, "/admin/")
    assert 'id="nav-callbacks"' not in page and 'id="callbacks"' not in page
    assert "audit-h" not in html(client, f"/admin/events/{ev.id}")
    for url in ("/admin/log", f"/admin/callers/{c.id}/name", f"/admin/registrations/{reg.id}/cancel"):
        assert client.get(url).status_code == 403, url
    for url in (f"/admin/registrations/{reg.id}/told", f"/admin/providers/{prov.id}/unlock",
                f"/admin/registrations/{reg.id}/restore"):
        assert post(client, url, {}).status_code == 403, url


def test_a_call_staff_made_themselves_clears_the_news(as_staff: Any, db: DbSession) -> None:
    from catalogue.models import CallKind, CallStatus, OutboundCall

    s = f.session(db, f.event(db))
    c = f.caller(db)
    db.commit()
    reg = f.registered(registration.register(db, s.id, c, now=utcnow()))
    schedule.cancel_session(db, s)
    call = OutboundCall(kind=CallKind.CANCELLED, registration_id=reg.id, session_id=s.id,
                        caller_id=c.id, status=CallStatus.STAFF, due_at=utcnow(),
                        needs_staff=True)
    db.add(call)
    db.commit()
    assert nav_count(html(as_staff, "/admin/"), "told") == 1
    assert post(as_staff, f"/admin/calls/{call.id}/done", {}).status_code == 302
    assert nav_count(html(as_staff, "/admin/"), "told") == 0
    db.rollback()
    db.expire_all()
    assert db.get_one(Registration, reg.id).notify_pending is None


@pytest.mark.parametrize("lang, words", [("sv", ("Önskemål om samtal", "Ändringslogg")),
                                         ("en", ("Call-back requests", "Change log"))])
def test_the_desk_in_swedish_and_english(as_staff: Any, db: DbSession, lang: str,
                                         words: tuple[str, str]) -> None:
    sid, first, _ = _full_session(db)
    db.add(CallbackRequest(caller_id=first.caller_id, created_at=utcnow(), lang="fi",
                           topic="main_menu", session_id=sid))
    db.commit()
    registration.cancel(db, first.id, now=utcnow(), actor=registration.audit.PHONE)
    assert post(as_staff, "/admin/language", {"lang": lang, "next": "/admin/"}).status_code == 302
    assert words[0] in html(as_staff, "/admin/")
    assert words[1] in html(as_staff, "/admin/log")
    for url in (f"/admin/sessions/{sid}/registrations?cancelled={first.id}",
                f"/admin/registrations/{first.id + 1}/cancel",
                f"/admin/callers/{first.caller_id}/name", "/admin/calls"):
        page = html(as_staff, url)
        assert "audit.act." not in page and "work." not in page and "regcancel." not in page, url
