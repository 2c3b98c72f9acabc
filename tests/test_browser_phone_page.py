"""The browser phone in headless Chromium (Debian's): dial, hear the greeting (its text, and its
audio from a real URL), press 1 with a click and with the keyboard, hear the first programme
item; hang up. Under the admin's CSP, with no violation reported."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import CallLog

from ivr_flows import prompts
from tests.admin_support import staff
from tests.test_admin_browser import SCREENSHOT_DIR, _log_in, browser, page, server  # noqa: F401
from tests.test_admin_csp_browser import _watch
from tests.test_browser_phone import week  # noqa: F401 - the programme the calls hear

AINO = "+358912345678"


def _transcript(page: Any) -> str:  # noqa: F811
    return str(page.locator("#transcript").inner_text())


def test_dial_hear_the_greeting_press_one_and_hear_the_programme(
        app: Flask, db: DbSession, server: str, page: Any, week: None) -> None:  # noqa: F811
    staff(db)
    db.commit()
    # The greeting is in the audio cache; the language menu's lines are not (said as text).
    greeting = prompts.text("fi", "greeting.welcome")
    rendered = app.extensions["lampio_audio"].cache.render(greeting, "fi")
    assert rendered is not None
    refused = _watch(page)
    _log_in(page, server)
    page.get_by_role("link", name="Selainpuhelin").click()
    assert page.locator("#transcript").get_attribute("aria-live") == "polite"
    page.get_by_label("Soittaja", exact=True).select_option(f"demo:{AINO}")
    page.get_by_label("Valittava kieli").select_option("fi")
    page.get_by_role("button", name="Soita").click()

    page.locator("#transcript li", has_text=greeting).first.wait_for()
    # The greeting's line plays from the cache: the player gets its URL, which serves audio.
    page.wait_for_function("() => document.getElementById('player').src.includes('/audio/')")
    src = page.evaluate("document.getElementById('player').src")
    assert src.endswith(f"/audio/{rendered.key}.mp3")
    resp = page.request.get(src)
    assert resp.status == 200 and resp.headers["content-type"].startswith("audio/")
    assert len(resp.body()) > 1000
    # A line with no audio yet is shown as text, and says so.
    assert page.locator("#transcript li .hint").count() >= 1
    assert "Painettiin 1" in _transcript(page)  # the language, pressed for the caller
    assert "Tarjotut näppäimet: 1, 2, 3, 4" in page.locator("#call-status").inner_text()
    # No Finnish speech model here: the speak button says so rather than hiding.
    assert page.locator("#speak").is_disabled()
    assert "Puhe ei ole käytössä kielellä suomi" in page.locator("#speak-note").inner_text()

    # Press 1 with a click: the programme's first item.
    key = page.locator('.keypad .key[data-key="1"]')
    key.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('.keypad .key').disabled")
    key.click()
    page.locator("#transcript li", has_text="Runotuokio").first.wait_for()
    assert "Painoit 1" in _transcript(page)

    # Hang up: the call ends, the page says so, and the keypad is off.
    page.get_by_role("button", name="Lopeta puhelu").click()
    page.get_by_text("Puhelu on päättynyt.").wait_for()
    assert page.locator('.keypad .key[data-key="1"]').is_disabled()

    # Again with the keyboard alone: the number is known now (no language menu this time).
    page.get_by_label("Soittaja", exact=True).focus()
    page.keyboard.press("Tab")  # the line
    page.keyboard.press("Tab")  # the language
    page.keyboard.press("Tab")  # the speech model
    page.keyboard.press("Tab")  # the call button
    assert page.evaluate("document.activeElement.id") == "dial"
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('transcript').textContent"
                           ".includes('Runotuokio')")  # a new call, a new transcript
    page.locator("#transcript li", has_text=greeting).first.wait_for()
    assert "Painettiin" not in _transcript(page)
    page.wait_for_function("() => document.activeElement.classList.contains('key')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible on the keypad
    page.keyboard.press("1")
    page.locator("#transcript li", has_text="Runotuokio").first.wait_for()
    assert refused == [] and page.evaluate("window.__csp || []") == []
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "browser_phone.png"), full_page=True)


def test_silence_on_the_page_goes_on_as_on_a_phone(db: DbSession, server: str,
                                                    page: Any) -> None:  # noqa: F811
    """No key within the gather's timeout (after the prompts): the page posts silence and the
    line reprompts, never a hang. The page's clock is Playwright's, run forward."""
    staff(db)
    db.commit()
    page.clock.install()
    _log_in(page, server)
    page.goto(f"{server}/admin/phone")
    page.get_by_role("button", name="Soita").click()
    page.locator("#transcript li").first.wait_for()
    for _ in range(60):
        if "(hiljaisuus)" in _transcript(page):
            break
        page.clock.run_for(2000)
        page.wait_for_timeout(100)
    page.locator("#transcript li", has_text="(hiljaisuus)").first.wait_for()
    # The reprompt arrived and the call still waits for a key.
    page.wait_for_function("() => !document.querySelector('.keypad .key').disabled")
    after = _transcript(page).split("(hiljaisuus)", 1)[1]
    assert after.strip() and not page.locator('.keypad .key[data-key="1"]').is_disabled()


def test_leaving_the_page_mid_call_hangs_up(db: DbSession, server: str,
                                             page: Any) -> None:  # noqa: F811
    staff(db)
    db.commit()
    _log_in(page, server)
    page.goto(f"{server}/admin/phone")
    page.get_by_role("button", name="Soita").click()
    page.wait_for_function("() => !document.querySelector('.keypad .key').disabled")
    page.goto(f"{server}/admin/")  # the page goes: its beacon posts the hang-up
    for _ in range(100):
        # A new transaction each time: on SQLite (WAL) a read transaction kept across the loop
        # keeps its first snapshot, and a hang-up committed after the first look is never seen.
        db.rollback()
        log = db.scalar(select(CallLog).order_by(CallLog.id.desc()))
        if log is not None and log.ended_at is not None:
            break
        page.wait_for_timeout(100)
    assert log is not None and log.ended_at is not None  # the status callback arrived
