"""Issue 12 in headless Chromium: each worklist from a real phone call through the signed
webhooks to "done" (a call-back request, people told of a cancelled session — one by staff, one
by the service's own call —, a description recorded by phone, a PIN locked by wrong tries), the
undo of a cancelled registration when the place is still free and when it was taken, and the
audit entries all of it left. Screenshots go to instance/screenshots/."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration
from catalogue.models import (AudioDescription, CallbackRequest, Caller, Provider, Registration,
                              RegistrationStatus, Session)
from catalogue.timeutil import to_utc, utcnow
from tests import factories as f
from tests.admin_support import staff
from tests.outbound_support import answer, days_ahead, local, run, use_fake_twilio
from tests.phone import MakePhone, Phone
from tests.test_admin_browser import SCREENSHOT_DIR, _log_in, browser, page, server  # noqa: F401
from tests.test_audio_provider_line import (  # noqa: F401  (fixtures)
    provider_phone, providers, recording_url, speech_wav, to_recording, twilio)
from tests.test_provider_pin import at_pin, wrong_tries


def count(page: Any, key: str) -> int:
    return int(page.locator(f"#nav-{key} .badge").inner_text())


def fresh(db: DbSession) -> DbSession:
    db.rollback()
    db.expire_all()
    return db


def test_a_call_back_request_from_the_phone_to_called_back(
        app: Flask, db: DbSession, server: str, page: Any, make_phone: MakePhone,
        monkeypatch: pytest.MonkeyPatch) -> None:
    staff(db)
    f.caller(db, "+358912345678", language="fi", name="Aino")
    db.commit()
    monkeypatch.setattr("voice.calls.utcnow", lambda: to_utc(datetime(2026, 11, 30, 19, 0)))
    phone = make_phone("+358912345678")
    phone.call()
    t = phone.press("3")  # my registrations: none, then 0 from there
    t = phone.press("0")
    assert "Soitammeko sinulle?" in t.text, t.text
    phone.press("1")

    _log_in(page, server)
    assert count(page, "callbacks") == 1
    page.locator("#nav-callbacks").click()
    row = page.locator("#callbacks tbody tr")
    assert row.count() == 1
    text = row.inner_text()
    assert "09 12345678" in text and "Aino" in text and "suomi" in text
    assert "Painoi nollaa kohdassa" in text
    page.screenshot(path=str(SCREENSHOT_DIR / "desk-callbacks.png"), full_page=True)
    row.get_by_label("Muistiinpano").fill("Soitin, halusi kuulla ohjelmasta.")
    row.get_by_role("button", name="Soitettu").click()
    page.get_by_text("Merkitty soitetuksi.").wait_for()
    assert count(page, "callbacks") == 0 and page.locator("#callbacks tbody tr").count() == 0
    req = fresh(db).scalars(select(CallbackRequest)).one()
    assert req.done_at is not None and req.note == "Soitin, halusi kuulla ohjelmasta."
    page.goto(f"{server}/admin/log?type=callback")
    assert "soitti takaisin" in page.locator("table.audit").inner_text()


def test_people_to_be_told_cleared_by_staff_and_by_the_services_call(
        app: Flask, db: DbSession, client: FlaskClient, server: str, page: Any,
        make_phone: MakePhone) -> None:
    staff(db)
    ev = f.event(db, title="Lauluilta")
    s = f.session(db, ev, starts_in=timedelta(days=2))
    f.caller(db, "+358912345678", language="fi", name="Aino")
    bertta = f.caller(db, "+358401234567", language="fi", name="Bertta")
    db.commit()
    # Aino registers herself by phone; Bertta was registered earlier
    phone: Phone = make_phone("+358912345678")
    phone.call()
    assert "Lauluilta" in phone.press("1").text
    phone.press("2")
    phone.press("1")  # confirm: registered
    registration.register(db, s.id, bertta, now=utcnow())
    regs = fresh(db).scalars(select(Registration).order_by(Registration.id)).all()
    assert [r.status for r in regs] == [RegistrationStatus.CONFIRMED] * 2

    _log_in(page, server)
    assert count(page, "told") == 0
    page.goto(f"{server}/admin/sessions/{s.id}/cancel")
    page.locator("button.danger").click()
    page.get_by_text("merkittiin kerrottaviksi").wait_for()
    assert count(page, "told") == 2
    page.locator("#nav-told").click()
    rows = page.locator("#told tbody tr")
    assert rows.count() == 2 and "kerrottava perumisesta" in rows.first.inner_text()
    assert "ei vielä soitettu" in rows.first.inner_text()
    page.screenshot(path=str(SCREENSHOT_DIR / "desk-told.png"), full_page=True)
    # staff told Aino themselves
    page.locator(f"#told-{regs[0].id}").get_by_role("button", name="Kerrottu").click()
    page.get_by_text("Merkitty kerrotuksi.").wait_for()
    assert count(page, "told") == 1

    # the service calls Bertta; she answers and presses 1: told, and gone from the list
    fake = use_fake_twilio(app)
    report = run(app, local(days_ahead(1), 12))
    assert report.placed == 1 and [c.data["To"] for c in fake.calls] == ["+358401234567"]
    callee, t = answer(client, fake.calls[0])
    assert "peruttu" in t.text and "Lauluilta" in t.text
    callee.press("1")
    page.reload()
    assert count(page, "told") == 0 and page.locator("#told tbody tr").count() == 0
    page.goto(f"{server}/admin/log?action=told")
    log = page.locator("table.audit").inner_text()
    assert "puhelin (soittaja)" in log and "staff@example.test" in log
    assert "+358" not in log


def test_undo_a_cancel_when_the_place_is_free_and_when_it_was_taken(
        app: Flask, db: DbSession, server: str, page: Any) -> None:
    staff(db)
    s = f.session(db, f.event(db, title="Runotuokio"), capacity=1)
    aino = f.caller(db, "+358912345678", name="Aino")
    bertta = f.caller(db, "+358401234567", name="Bertta")
    db.commit()
    first = f.registered(registration.register(db, s.id, aino, now=utcnow()))
    _log_in(page, server)
    url = f"{server}/admin/sessions/{s.id}/registrations"

    def cancel_aino() -> None:
        page.goto(url)
        page.locator(f"#reg-{first.id}").get_by_role("link", name="Peru ilmoittautuminen").click()
        page.get_by_text("Peruttava: Aino").wait_for()  # the click does not wait for the page
        page.get_by_role("button", name="Kyllä, peru ilmoittautuminen").click()
        page.get_by_role("heading", name="Peruttiinko vahingossa?").wait_for()

    # 1. the place is still free: undo gives it back
    cancel_aino()
    assert "Paikka on vielä vapaa" in page.locator("#undo").inner_text()
    page.screenshot(path=str(SCREENSHOT_DIR / "desk-undo.png"), full_page=True)
    page.get_by_role("button", name="Kumoa peruminen").click()
    page.get_by_text("Aino on taas ilmoittautunut.").wait_for()
    assert fresh(db).get_one(Registration, first.id).status == RegistrationStatus.CONFIRMED

    # 2. the place went to the waiting list at once: undo puts Aino on the waiting list
    waiting = f.registered(registration.register(fresh(db), s.id, bertta, now=utcnow()))
    cancel_aino()
    assert "Paikka annettiin jonon ensimmäiselle" in page.locator("main").inner_text()
    assert "jää hänelle" in page.locator("#undo").inner_text()
    page.get_by_role("button", name="Kumoa peruminen").click()
    page.get_by_text("Aino on nyt jonossa sijalla 1.").wait_for()
    fresh(db)
    assert db.get_one(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    assert db.get_one(Registration, first.id).status == RegistrationStatus.WAITING

    # the audit entries, on the session's page and in the log
    entries = page.locator("#audit-h + div table").inner_text()
    assert entries.count("palautti ilmoittautumisen") == 2
    assert "jonosta paikalle" in entries and "staff@example.test" in entries
    page.goto(f"{server}/admin/log")
    page.get_by_label("Kohteen tyyppi").select_option(label="ilmoittautuminen")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**type=registration**")  # a click does not wait for the page it asks for
    assert page.locator("table.audit tbody tr").count() == 7  # add ×2, cancel ×2, restore ×2, promoted
    page.screenshot(path=str(SCREENSHOT_DIR / "desk-log.png"), full_page=True)


def test_a_recording_by_phone_to_review_and_a_locked_pin_to_unlock(
        app: Flask, db: DbSession, server: str, page: Any, make_phone: MakePhone,
        provider_phone: Phone, providers: dict[str, Any], twilio: Any,  # noqa: F811
        speech_wav: bytes) -> None:  # noqa: F811
    staff(db)
    db.commit()
    media, _ = twilio
    to_recording(provider_phone, providers)
    url, _ = recording_url(media, app, speech_wav)
    provider_phone.recorded(url, duration=6)
    provider_phone.press("1")  # keep: it waits for staff
    stranger = make_phone("+358407000001", to="+358942000099")
    at_pin(stranger, providers["mine"])
    wrong_tries(stranger, [providers["mine"]] * 5)

    _log_in(page, server)
    assert (count(page, "review"), count(page, "pins")) == (1, 1)
    page.locator("#nav-review").click()
    page.locator("#review").get_by_role("link", name="Kuuntele ja päätä").click()
    page.get_by_label("Päätös").select_option("approve")
    page.get_by_role("button", name="Tallenna päätös").click()
    page.get_by_text("Äänite hyväksyttiin").wait_for()
    assert count(page, "review") == 0
    desc = fresh(db).scalars(select(AudioDescription)).one()
    assert desc.status == AudioDescription.Status.APPROVED

    page.goto(f"{server}/admin/#pins")
    row = page.locator("#pins tbody tr")
    assert "Tampereen Teatteri" in row.inner_text() and "muiden numeroiden" in row.inner_text()
    row.get_by_role("button", name="Avaa lukko").click()
    page.get_by_text("Lukko avattiin.").wait_for()
    assert count(page, "pins") == 0
    assert fresh(db).get_one(Provider, providers["mine"]).pin_locked_until is None
    page.goto(f"{server}/admin/recordings/{desc.id}")
    assert "tarkasti kuvauksen" in page.locator("table.audit").inner_text()
    page.goto(f"{server}/admin/log?type=provider")
    assert "avasi PIN-lukon" in page.locator("table.audit").inner_text()
    assert db.scalars(select(Caller).where(Caller.phone == "+358407000001")).one() is not None
    assert db.scalars(select(Session)).all() == []
