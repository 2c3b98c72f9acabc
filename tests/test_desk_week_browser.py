"""The desk in headless Chromium (Debian's; issue 12): the week view with search and filters
and its week links, the attendee list printed (print media: no navigation, forms or buttons),
and "what callers hear" chosen by day, time and home city saying what a real call through the
webhooks says at that moment, with "play the whole item" playing each sentence in turn."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration
from catalogue.models import City, SessionKind
from catalogue.timeutil import to_local, utcnow
from tests import factories as f
from tests.admin_support import staff
from tests.test_admin_browser import SCREENSHOT_DIR, _log_in, browser, page, server  # noqa: F401
from tests.test_desk_hear import demo_week, moment, phone_walk
from tests.test_desk_week import at, next_monday_at


def visible(page: Any, selector: str) -> int:
    """How many elements matching ``selector`` take up space on the page."""
    return int(page.locator(selector).evaluate_all(
        "els => els.filter(e => e.getClientRects().length > 0"
        " && getComputedStyle(e).visibility !== 'hidden').length"))


def row_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("tr[id^=session-] td:nth-child(2) a").all_inner_texts()]


def test_the_week_view_with_search_and_filters(app: Flask, db: DbSession, server: str,
                                               page: Any) -> None:
    staff(db)
    orchestra = f.provider(db, "Turun filharmoninen orkesteri")
    concert = f.event(db, title="Kevätkonsertti", prov=orchestra, code="731")
    tour = f.event(db, title="Museokierros", prov=f.provider(db, "Kaupunginmuseo"),
                   city_slug="helsinki", venue="Museo")
    full = at(db, concert, next_monday_at(14), capacity=1)
    at(db, tour, next_monday_at(10, days=2), kind=SessionKind.IN_PERSON)
    for phone in ("+358401000001", "+358401000002"):
        registration.register(db, full.id, f.caller(db, phone), now=utcnow())
    db.commit()
    _log_in(page, server)
    page.get_by_role("link", name="Viikko", exact=True).click()
    page.get_by_role("heading", name="Viikko", exact=True).wait_for()
    page.get_by_role("link", name="Seuraava viikko").click()
    page.locator("tr[id^=session-]").first.wait_for()
    assert row_titles(page) == ["Kevätkonsertti", "Museokierros"]
    row = page.locator(f"#session-{full.id}")
    assert "varattu 1/1" in row.inner_text() and "jonossa 1" in row.inner_text()
    # day by day: Monday's heading holds the concert, Wednesday's the tour
    monday = to_local(next_monday_at(0)).date()
    assert "Kevätkonsertti" in page.locator(f"section[aria-labelledby='day-{monday.isoformat()}']").inner_text()

    page.get_by_label("Hae nimellä, koodilla tai järjestäjällä").fill("filharmoninen")
    page.get_by_role("button", name="Hae", exact=True).click()
    page.wait_for_url("**q=filharmoninen**")
    assert row_titles(page) == ["Kevätkonsertti"]

    page.get_by_label("Hae nimellä, koodilla tai järjestäjällä").fill("")
    page.get_by_label("Miten osallistutaan").select_option(label="paikan päällä")
    page.get_by_role("button", name="Hae", exact=True).click()
    page.wait_for_url("**kind=in_person**")
    assert row_titles(page) == ["Museokierros"]
    # the week's links keep the filters; a week before has none of these
    page.get_by_role("link", name="Edellinen viikko").click()
    page.wait_for_url("**kind=in_person**")
    assert row_titles(page) == []
    assert page.get_by_label("Miten osallistutaan").input_value() == "in_person"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "desk_week.png"), full_page=True)


def test_the_attendee_list_prints_without_navigation_or_buttons(app: Flask, db: DbSession,
                                                                server: str, page: Any) -> None:
    staff(db)
    ev = f.event(db, title="Runoilta")
    s = f.session(db, ev, starts_in=timedelta(days=2), capacity=1)
    for i, phone in enumerate(("+358401000001", "+358401000002")):
        registration.register(db, s.id, f.caller(db, phone, name=f"Henkilö {i}"), now=utcnow())
    db.commit()
    _log_in(page, server)
    page.goto(f"{server}/admin/sessions/{s.id}/attendees")
    assert visible(page, "header.top") == 1 and visible(page, "button") >= 1  # on screen
    page.emulate_media(media="print")
    for selector in ("header.top", "nav", "footer", "button", "a.button", "form", ".crumbs"):
        assert visible(page, selector) == 0, selector
    assert visible(page, "table.attendees tbody tr") == 2
    assert page.locator("table.attendees thead th").all_inner_texts() == [
        "Paikalla", "Nimi", "Puhelinnumero", "Tila"]
    assert visible(page, ".tick-box") == 2
    text = page.locator("table.attendees").inner_text()
    assert "Henkilö 0" in text and "jonossa, sija 1" in text
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOT_DIR / "attendees.pdf"))
    assert (SCREENSHOT_DIR / "attendees.pdf").stat().st_size > 1000


def test_what_callers_hear_matches_the_phone_at_the_chosen_moment(
        app: Flask, db: DbSession, server: str, page: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_audio_support import tone

    staff(db)
    demo_week(db)
    when = to_local(moment())
    helsinki = db.scalar(select(City).where(City.slug == "helsinki"))
    assert helsinki is not None
    # every sentence has audio (a short tone), so the whole item can be played
    name = "recordings/" + "d" * 32 + ".mp3"
    path = Path(app.config["AUDIO_DIR"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tone(path, 0.2, codec=["-codec:a", "libmp3lame"])
    svc = app.extensions["lampio_audio"]
    real_prompt_url = type(svc).prompt_url
    monkeypatch.setattr(type(svc), "prompt_url",
                        lambda self, seg, slow=False: self.recording_url(name))
    _log_in(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Mitä soittajat kuulevat").click()
    page.get_by_label("Päivä", exact=True).fill(when.date().isoformat())
    page.get_by_label("Kellonaika", exact=True).fill(f"{when:%H:%M}")
    page.get_by_label("Soittajan kotikaupunki").select_option(label="Helsinki")
    page.get_by_label("Ryhmä", exact=True).select_option(label="kaikki")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**group=all**")
    opening = page.locator("ol[aria-labelledby=opening-h] q").all_inner_texts()
    firsts = [li.locator("ol.lines").first.locator("q").all_inner_texts()
              for li in page.locator("li.item").all()]

    # the phone, with the audio cache as it really is (its words, not the tone, are compared)
    monkeypatch.setattr(type(svc), "prompt_url", real_prompt_url)
    groups, heard, more = phone_walk(app, monkeypatch, moment(), "4")
    assert opening == groups.said
    assert firsts == [turn.said for turn in heard] and len(firsts) >= 5

    first = page.locator("li.item").first
    first.get_by_role("button", name="Kuuntele koko kohta").click()
    first.locator("li.playing").first.wait_for()
    first.get_by_text("Koko kohta kuunneltu.").wait_for(timeout=30000)
    # each sentence really played, in turn (not skipped as failed)
    played = first.locator("audio[data-sentence]").evaluate_all(
        "els => els.map(a => a.played.length > 0 && a.ended)")
    assert played and all(played), played


def test_the_desk_pages_fit_a_zoomed_screen(app: Flask, db: DbSession, server: str,
                                            browser: Any) -> None:  # noqa: F811
    """200 % zoom on a 1280-pixel screen (a 640-pixel viewport): nothing scrolls sideways."""
    staff(db)
    ev = f.event(db, title="Pitkähkö nimi tapahtumalle, joka ei saa levittää sivua")
    s = f.session(db, ev, starts_in=timedelta(days=1))
    registration.register(db, s.id, f.caller(db, "+358401000001", name="Aino"), now=utcnow())
    db.commit()
    zoomed = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    zp = zoomed.new_page()
    _log_in(zp, server)
    for url in ("/admin/week", "/admin/hear", f"/admin/sessions/{s.id}/attendees",
                f"/admin/sessions/{s.id}/move", "/admin/events?q=nimi"):
        zp.goto(server + url)
        overflow = zp.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (url, overflow)
    zoomed.close()
