"""Every admin page, in headless Chromium at 1280×800 and at phone width 390×844, as staff and
as a provider: axe-core (installed from npm by ``.ci/setup test``, injected with Playwright)
finds no violation, and at phone width the header takes at most 120 px, nothing scrolls
sideways, tables are stacked cards with their column names as labels and no cell is cut
off, and chart text is at least 12 px. A screenshot of each page at each width is saved under
``instance/screenshots/pages/``.

The pages are the admin's GET routes read from the app's URL map, their ids filled from the
demo programme (and a few rows the demo lacks), so a page added later is checked too."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from playwright import sync_api
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from werkzeug.serving import make_server

from admin import resets
from admin.users import demo_logins
from app import create_app
from catalogue.db import Base, get_sessionmaker, private_database
from catalogue.models import (AudioDescription, CallbackRequest, Caller, CallLog, Event,
                              ImportSource, MenuVisit, Registration, Session, SessionAudio,
                              SessionKind, SessionStatus, SourceKind, User, UserRole)
from catalogue.setup import prepare_database
from catalogue.timeutil import utcnow
from tests.conftest import base_config, database_url
from tests.test_admin_permissions import PARAM, admin_rules, fill
from tests.test_admin_browser import SCREENSHOT_DIR, chromium

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
HEADER_MAX = 120  # px of the phone's 844 for the header
# Table names for ids whose argument does not name its table.
TABLES = {"rec_id": "audio_description", "audio_id": "session_audio", "user_id": "admin_user",
          "source_id": "import_source", "reg_id": "registration"}
SKIP_ENDPOINTS = {"admin.static", "admin.login"}  # the login page is checked logged out


@dataclass
class Desk:
    app: Flask
    base: str
    logins: dict[str, tuple[str, str]]
    provider_id: int
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)


def _add_what_the_demo_lacks(db: DbSession, provider_id: int) -> None:
    """A call with menu visits (the overview's charts), a call-back request, an import source,
    a recorded description and a recording session's audio awaiting review."""
    now = utcnow()
    caller = db.scalars(select(Caller).order_by(Caller.id)).first()
    for day in range(6):
        call = CallLog(call_sid=f"CA{day:032d}", caller_id=caller.id if caller else None,
                       started_at=now - timedelta(days=day, hours=1), status="completed")
        db.add(call)
        db.flush()
        for node in ("main", "programme", "programme", "register")[: day % 4 + 1]:
            db.add(MenuVisit(call_id=call.id, node=node, at=call.started_at))
    db.add(CallbackRequest(caller_id=caller.id if caller else None, created_at=now))
    db.add(ImportSource(name="Helsingin tapahtumat", kind=SourceKind.LINKED_EVENTS,
                        url="https://api.hel.fi/linkedevents/v1/"))
    event = db.scalars(select(Event).where(Event.provider_id == provider_id)).first()
    assert event is not None
    db.add(AudioDescription(event_id=event.id, provider_id=provider_id, lang="fi",
                            storage_path="recordings/none.mp3", duration_seconds=42,
                            status=AudioDescription.Status.AWAITING_REVIEW,
                            source=AudioDescription.Source.PHONE, transcript="Tervetuloa."))
    recording = db.scalars(select(Session).join(Session.event).where(
        Session.kind == SessionKind.RECORDING, Event.provider_id == provider_id)).first() or \
        db.scalars(select(Session).where(Session.kind == SessionKind.RECORDING)).first()
    if recording is not None:
        db.add(SessionAudio(session_id=recording.id, storage_path="recordings/none-all.mp3",
                            parts=["recordings/none-1.mp3"], part_seconds=180,
                            duration_seconds=100, status=SessionAudio.Status.PENDING,
                            source=SessionAudio.Source.UPLOAD))
    db.commit()


def _busiest_session(db: DbSession, provider_id: int | None) -> Session:
    """A scheduled session with the most registrations (a full page of people, cancel and
    move offered)."""
    stmt = (select(Session).join(Session.event).outerjoin(Registration)
            .where(Session.status == SessionStatus.SCHEDULED, Session.starts_at > utcnow())
            .group_by(Session.id).order_by(func.count(Registration.id).desc(), Session.id))
    if provider_id is not None:
        stmt = stmt.where(Event.provider_id == provider_id)
    found = db.scalars(stmt).first()
    assert found is not None
    return found


def _ids(app: Flask, db: DbSession, provider_id: int | None) -> dict[str, Any]:
    """A value for each URL argument: the busiest session and its event; any other ``x_id``
    the first row of its table (by name)."""
    session = _busiest_session(db, provider_id)
    ids: dict[str, Any] = {"session_id": session.id, "event_id": session.event_id}
    if provider_id is not None:
        own = db.scalar(select(AudioDescription.id).where(AudioDescription.provider_id == provider_id))
        ids["rec_id"] = own
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for rule_arg in {a for _, rule in _get_routes(app) for a in PARAM.findall(rule)}:
        if rule_arg in ids or not rule_arg.endswith("_id"):
            continue
        name = TABLES.get(rule_arg) or rule_arg[:-3]
        table = tables.get(name)
        if table is None:
            table = next((t for n, t in sorted(tables.items())
                          if n.endswith("_" + name) or n.startswith(name + "_")), None)
        if table is not None:
            ids[rule_arg] = db.scalar(select(func.min(table.c.id)))
    return ids


def _get_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, rule) of the admin's GET routes (``admin_rules``: the same URL map the
    permission tests walk)."""
    return sorted((endpoint, rule) for endpoint, rule, method in admin_rules(app)
                  if method == "GET" and endpoint not in SKIP_ENDPOINTS)


def admin_pages(desk: Desk, role: str) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET page of the admin; a route whose argument has no value
    fails the test, naming it (add it to ``_ids``)."""
    out = []
    for endpoint, rule in _get_routes(desk.app):
        missing = [a for a in PARAM.findall(rule) if desk.ids[role].get(a) is None]
        assert not missing, f"{rule}: no value for {missing} (see _ids)"
        out.append((endpoint, fill(rule, desk.ids[role])))
    return out


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    assert AXE.exists(), f"axe-core is missing: run `bash .ci/setup test` (it installs {AXE})"
    tmp = tmp_path_factory.mktemp("axe")
    with private_database(database_url(tmp)) as url:
        app = create_app({**base_config(url, tmp), "DEMO_DATA": True})
        prepare_database(app, demo=True)
        with get_sessionmaker(app)() as db:
            logins = {d.role: (d.email, d.password) for d in demo_logins(db, app.config["SECRET_KEY"])}
            prov = db.scalar(select(User.provider_id).where(User.email == logins["provider"][0]))
            assert prov is not None
            _add_what_the_demo_lacks(db, prov)
            srv = make_server("127.0.0.1", 0, app, threaded=True)
            result = Desk(app, f"http://127.0.0.1:{srv.server_port}", logins, prov)
            result.ids = {"staff": _ids(app, db, None), "provider": _ids(app, db, prov)}
            user = db.scalars(select(User).where(User.role == UserRole.PROVIDER)).first()
            assert user is not None  # one link for both: a new one would end the first
            link = resets.issue(db, user, None, 24, utcnow())[0]
            db.commit()
            for ids in result.ids.values():
                ids["token"] = link
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        try:
            yield result
        finally:
            srv.shutdown()
            thread.join(5)
            app.extensions["lampio_engine"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:  # one browser for the module, a page per role
        yield b


def _page(browser: Any, desk: Desk, role: str | None) -> Any:
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS["desktop"])),
                                  locale="fi-FI", bypass_csp=True)  # only to inject axe-core
    page = context.new_page()
    page.set_default_timeout(15000)
    if role:
        email, password = desk.logins[role]
        page.goto(f"{desk.base}/admin/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{desk.base}/admin/")
    return page


AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, help: v.help,
                                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

# At phone width: the header's height; sideways scrolling; table cells without a label or
# outside the screen; chart text below 12 px as drawn.
LAYOUT = """() => {
  const out = {header: document.querySelector('header.top').getBoundingClientRect().height,
               overflow: document.documentElement.scrollWidth - window.innerWidth,
               unlabelled: [], cut: [], small: []};
  for (const td of document.querySelectorAll('main table td')) {
    const box = td.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // inside a closed <details>
    if (td.colSpan > 1) continue;  // a whole row's note ("nobody yet")
    const label = getComputedStyle(td, '::before').content;
    if (td.closest('table').tHead && (!label || label === 'none' || label === '""'))
      out.unlabelled.push(td.textContent.trim().slice(0, 40));
    if (box.right > window.innerWidth + 1) out.cut.push(td.textContent.trim().slice(0, 40));
  }
  for (const svg of document.querySelectorAll('svg.chart')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    if (!scale) continue;
    for (const t of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (px < 12) out.small.push(t.textContent + ': ' + px.toFixed(1));
    }
  }
  return out;
}"""


def _check(page: Any, desk: Desk, role: str, endpoint: str, path: str,
           problems: list[str], checked: list[str]) -> None:
    response = page.context.request.get(desk.base + path, max_redirects=0)
    if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html"):
        return  # a file (CSV, JSON), or not this role's page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["desktop"])))
    page.goto(desk.base + path)
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        for v in page.evaluate(AXE_RUN):
            problems.append(f"{role} {width} {path}: {v['id']} ({v['help']}) at {v['nodes']}")
        folder = SCREENSHOT_DIR / "pages" / f"{w}x{h}"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{role}-{endpoint.split('.')[-1]}.png"), full_page=True)
        if width == "phone":
            layout = page.evaluate(LAYOUT)
            if layout["header"] > HEADER_MAX:
                problems.append(f"{role} phone {path}: header {layout['header']:.0f} px")
            if layout["overflow"] > 1:
                problems.append(f"{role} phone {path}: scrolls sideways by {layout['overflow']} px")
            for kind in ("unlabelled", "cut", "small"):
                if layout[kind]:
                    problems.append(f"{role} phone {path}: {kind} {layout[kind][:3]}")
    checked.append(path)


@pytest.mark.parametrize("role", ["staff", "provider"])
def test_every_admin_page_passes_axe_at_both_widths(desk: Desk, browser: Any, role: str) -> None:
    page = _page(browser, desk, role)
    problems: list[str] = []
    checked: list[str] = []
    try:
        for endpoint, path in admin_pages(desk, role):
            _check(page, desk, role, endpoint, path, problems, checked)
    finally:
        page.context.close()
    expected = 25 if role == "staff" else 10
    assert len(checked) >= expected, checked  # the ids reached real pages, not 404s
    assert not problems, "\n".join(problems)


def test_the_pages_before_logging_in_pass_axe(desk: Desk, browser: Any) -> None:
    page = _page(browser, desk, None)
    problems: list[str] = []
    checked: list[str] = []
    try:
        _check(page, desk, "anonymous", "admin.login", "/admin/login", problems, checked)
        with desk.app.test_request_context():
            link = url_for("admin.reset_password", token=desk.ids["staff"]["token"])
        _check(page, desk, "anonymous", "admin.reset_password", link, problems, checked)
    finally:
        page.context.close()
    assert len(checked) == 2, checked
    assert not problems, "\n".join(problems)


def test_the_menu_opens_at_phone_width_and_the_root_url_leads_to_the_admin(
        desk: Desk, browser: Any) -> None:
    page = _page(browser, desk, "staff")
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(desk.base + "/")
        assert page.url == desk.base + "/admin/"
        events = page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Tapahtumat")
        toggle = page.get_by_role("button", name="Valikko")
        assert toggle.get_attribute("aria-expanded") == "false" and not events.first.is_visible()
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN) == []  # the open menu too
        header = page.evaluate("() => document.querySelector('header.top').getBoundingClientRect().height")
        assert header > HEADER_MAX  # open, it shows the languages, logout and every page
        events.first.click()
        page.wait_for_url(desk.base + "/admin/events")
        # at desktop width the menu is open, with no toggle
        page.set_viewport_size({"width": 1280, "height": 800})
        sync_api.expect(toggle).to_be_hidden()  # expect waits for the layout, is_visible does not
        sync_api.expect(events.first).to_be_visible()
    finally:
        page.context.close()
