"""End to end in headless Chromium (Debian's, never a downloaded browser): log in, create an
event with a repeating session, see it on "what callers hear", register a caller, approve a
recording. Also keyboard, focus and 200 % zoom checks, and a screenshot to look at."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright import sync_api
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.serving import make_server

from catalogue.models import AudioDescription, Event, Registration, Session
from catalogue.timeutil import to_local, utcnow
from tests import factories as f
from tests.admin_support import PASSWORD, staff

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "instance" / "screenshots"

# No skip when the browser is missing: `make test` installs Debian's chromium, and a silently
# skipped end-to-end test would prove nothing.


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fi-FI")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def _recording(app: Flask, db: DbSession) -> AudioDescription:
    """A phone recording awaiting review, with a real MP3 so the browser's player can load it."""
    from tests.test_audio_support import tone

    ev = f.event(db, title="Museokierros", prov=f.provider(db, "Kaupunginmuseo"))
    name = "recordings/" + "c" * 32 + ".mp3"
    path = Path(app.config["AUDIO_DIR"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tone(path, 1.5, codec=["-codec:a", "libmp3lame"])
    rec = AudioDescription(event_id=ev.id, provider_id=ev.provider_id, lang="fi", storage_path=name,
                           duration_seconds=2, status=AudioDescription.Status.AWAITING_REVIEW,
                           source=AudioDescription.Source.PHONE,
                           transcript="Tervetuloa museokierrokselle.",
                           transcript_status=AudioDescription.TranscriptStatus.DONE)
    db.add(rec)
    db.commit()
    return rec


def _log_in(page: Any, server: str) -> None:
    page.goto(f"{server}/admin/login")
    page.get_by_label("Sähköposti").fill("staff@example.test")
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_url(f"{server}/admin/")


def test_staff_runs_the_programme_in_a_real_browser(app: Flask, db: DbSession, server: str,
                                                    page: Any) -> None:
    staff(db)
    f.provider(db, "Helsingin kaupunginorkesteri")
    rec = _recording(app, db)
    db.commit()

    # 1. log in
    _log_in(page, server)
    page.get_by_role("heading", name="Yleiskatsaus").wait_for()

    # 2. an event with a session repeating weekly
    page.get_by_role("link", name="Tapahtumat").first.click()
    page.get_by_role("link", name="Uusi tapahtuma").click()
    page.get_by_label("Tuottaja").select_option(label="Helsingin kaupunginorkesteri")
    page.get_by_label("Nimi suomeksi").fill("Kevätkonsertti puhelimessa")
    page.get_by_label("Nimi ruotsiksi").fill("Vårkonsert per telefon")
    page.get_by_role("button", name="Tallenna").click()
    page.get_by_text("Tapahtuma luotiin").wait_for()
    db.commit()
    event = db.scalar(select(Event).where(Event.title_fi == "Kevätkonsertti puhelimessa"))
    assert event is not None and len(event.code) in (3, 4)

    first_day = to_local(utcnow()).date() + timedelta(days=3)
    page.get_by_label("Alkaa (pakollinen)", exact=True).fill(f"{first_day.isoformat()}T14:00")
    page.get_by_label("Kuinka monena viikkona").fill("4")
    page.get_by_label("Kesto minuutteina").fill("60")
    page.get_by_label("Paikkoja", exact=True).fill("1")
    page.get_by_role("button", name="Tallenna").click()
    page.get_by_text("Lisättiin 4 esitysaikaa.").wait_for()
    assert page.locator("tbody tr[id^=session-]").count() == 4  # not the log's rows

    # 3. what callers hear, in Finnish and in Swedish
    page.get_by_role("link", name="Mitä soittajat kuulevat").click()
    item = page.locator("li.item", has_text="Kevätkonsertti puhelimessa")  # now: within a week
    item.first.wait_for()
    item.first.locator("summary").click()  # the organiser comes with "more", as on the phone
    assert "Helsingin kaupunginorkesteri" in item.first.inner_text()
    page.get_by_label("Kieli, jolla kuunnellaan").select_option(label="ruotsi")
    page.get_by_role("button", name="Näytä").click()
    page.locator("li.item", has_text="Vårkonsert per telefon").first.wait_for()

    # 4. register a caller who phoned
    page.goto(f"{server}/admin/events/{event.id}")
    page.get_by_role("link", name="Ilmoittautuneet").first.click()
    page.get_by_label("Puhelinnumero").fill("040 123 4567")
    page.get_by_label("Nimi", exact=True).fill("Aino Esimerkki")
    page.get_by_role("button", name="Ilmoita").click()
    page.get_by_text("Ilmoittautuminen on tehty.").wait_for()
    assert page.locator("tbody tr", has_text="Aino Esimerkki").count() == 1
    db.commit()
    reg = db.scalar(select(Registration))
    assert reg is not None and reg.registered_by_staff

    # 5. approve a recording after listening and reading the transcript
    page.get_by_role("link", name="Äänitteet").click()
    page.get_by_role("link", name="Museokierros").click()
    page.wait_for_url(f"{server}/admin/recordings/{rec.id}")  # a click does not wait for the page
    page.get_by_text("Tervetuloa museokierrokselle.").wait_for()  # waits until visible
    duration = page.locator("audio").evaluate(
        "a => new Promise(r => { if (a.readyState >= 1) r(a.duration);"
        " a.addEventListener('loadedmetadata', () => r(a.duration)); a.load(); })")
    assert duration > 1
    page.get_by_label("Päätös").select_option("approve")
    page.get_by_role("button", name="Tallenna päätös").click()
    page.get_by_text("Äänite hyväksyttiin").wait_for()
    db.expire_all()
    db.commit()
    assert db.get_one(AudioDescription, rec.id).status == AudioDescription.Status.APPROVED

    # the same registration is on the phone's side: one service, one database
    db.expire_all()
    sessions = db.scalars(select(Session).where(Session.event_id == event.id)
                          .order_by(Session.starts_at)).all()
    assert sessions[0].confirmed_count == 1


def test_keyboard_focus_zoom_and_a_screenshot(app: Flask, db: DbSession, server: str,
                                              page: Any, browser: Any) -> None:
    staff(db)
    ev = f.event(db, title="Runoilta: syksyn runot", prov=f.provider(db, "Kirjasto"))
    for week in range(2):
        f.session(db, ev, starts_in=timedelta(days=2 + 7 * week))
    db.commit()
    _log_in(page, server)

    # the first Tab reaches the skip link, and focus is visible (an outline is drawn)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className,"
                            " getComputedStyle(document.activeElement).outlineStyle]")
    assert focused == ["skip", "solid"]

    # the whole event form can be filled with the keyboard alone
    page.goto(f"{server}/admin/events/new")
    page.get_by_label("Nimi suomeksi").focus()
    page.keyboard.type("Näppäimistöllä tehty")
    page.get_by_label("Nimi suomeksi").press("Enter")
    page.get_by_text("Tapahtuma luotiin").wait_for()

    # a validation error is shown next to its field and named for screen readers
    page.goto(f"{server}/admin/events/new")
    page.get_by_role("button", name="Tallenna").click()
    page.locator("#title_fi-error").wait_for()  # the answer page, not the form before it
    title = page.get_by_label("Nimi suomeksi")
    assert title.get_attribute("aria-invalid") == "true"
    assert page.locator("#title_fi-error").inner_text().strip() == "Tämä kenttä on pakollinen."

    # 200 % zoom: a 1280-pixel screen at 200 % is a 640-pixel viewport; nothing scrolls sideways
    zoomed = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    zp = zoomed.new_page()
    _log_in(zp, server)
    for url in ("/admin/", "/admin/events", f"/admin/events/{ev.id}", "/admin/hear",
                "/admin/events/new"):
        zp.goto(server + url)
        overflow = zp.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (url, overflow)
    zoomed.close()

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/admin/events/{ev.id}")
    page.screenshot(path=str(SCREENSHOT_DIR / "admin_event.png"), full_page=True)
    assert (SCREENSHOT_DIR / "admin_event.png").stat().st_size > 10_000
