"""The admin's Content-Security-Policy in headless Chromium: every main page loads with the
policy and reports no violation, and the live console still updates itself (its polling script
is a static file). A script injected into a page is blocked and reported: the check can fail."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy.orm import Session as DbSession

from admin.hardening import CSP
from tests import factories as f
from tests.admin_support import staff
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from tests.test_admin_browser import _log_in, _recording, browser, page, server  # noqa: F401
from voice.simulator_rooms import SimRooms

# Runs in every document before its own scripts: keeps what the policy refused.
LISTEN = """document.addEventListener("securitypolicyviolation", function (e) {
  (window.__csp = window.__csp || []).push(e.violatedDirective + " " + e.blockedURI);
});"""


def _watch(page: Any) -> list[str]:  # noqa: F811
    refused: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return refused


def _visit(page: Any, url: str, refused: list[str]) -> None:  # noqa: F811
    resp = page.goto(url)
    assert resp is not None and resp.status == 200, url
    assert resp.headers.get("content-security-policy") == CSP, url
    page.wait_for_load_state("load")
    refused.extend(page.evaluate("window.__csp || []"))
    assert refused == [], (url, refused)


def test_the_admin_pages_pass_their_csp_in_chromium(app: Flask, db: DbSession, server: str,  # noqa: F811
                                                    page: Any) -> None:  # noqa: F811
    staff(db)
    rec = _recording(app, db)
    ev = f.event(db, title="Laulutuokio")
    s = f.session(db, ev, starts_in=timedelta(days=2))
    live = f.session(db, ev, starts_in=timedelta(minutes=-5))
    db.commit()
    refused = _watch(page)
    _visit(page, f"{server}/admin/login", refused)
    _log_in(page, server)
    for path in ["/admin/", "/admin/events", f"/admin/events/{ev.id}", "/admin/events/new",
                 f"/admin/events/{ev.id}/edit", f"/admin/events/{ev.id}/sessions/new",
                 f"/admin/sessions/{s.id}/edit", f"/admin/sessions/{s.id}/move",
                 f"/admin/sessions/{s.id}/cancel", f"/admin/sessions/{s.id}/registrations",
                 "/admin/hear", "/admin/recordings", f"/admin/recordings/{rec.id}",
                 "/admin/recordings/upload", "/admin/listen", "/admin/listen/upload",
                 "/admin/calls", f"/admin/sessions/{live.id}/live", "/admin/week",
                 f"/admin/sessions/{s.id}/attendees"]:
        _visit(page, server + path, refused)
    # The player on the recording's page loads its audio under media-src 'self'.
    page.goto(f"{server}/admin/recordings/{rec.id}")
    page.locator("audio").first.evaluate("a => a.load()")
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1")
    assert page.evaluate("window.__csp || []") == [] and refused == []

    # The detector works: an inline script is refused and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.ran = true"; document.body.appendChild(s); }""")
    page.wait_for_function("() => (window.__csp || []).length > 0")
    assert page.evaluate("window.ran === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__csp"))


def test_the_live_console_updates_itself_under_the_csp(app: Flask, db: DbSession, server: str,  # noqa: F811
                                                       page: Any) -> None:  # noqa: F811
    s = f.session(db, f.event(db, title="Laulutuokio"), starts_in=timedelta(minutes=-5))
    f.caller(db, "+358401234987", language="fi", name="Aino Virtanen")
    staff(db)
    db.commit()
    refused = _watch(page)
    _log_in(page, server)
    _visit(page, f"{server}/admin/sessions/{s.id}/live", refused)
    expect(page.locator("#people")).not_to_contain_text("Aino")
    page.evaluate("window.sameDocument = true")

    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358401234987",
                  rooms=SimRooms())
    phone.call()
    phone.press("2")
    phone.press("1")  # joins the room while the console is open
    expect(page.locator("#people")).to_contain_text("Aino", timeout=10000)
    assert page.evaluate("window.sameDocument") is True  # updated by its script, not reloaded
    assert page.evaluate("window.__csp || []") == [] and refused == []
