"""The live console in headless Chromium: a hand raised on the phone appears without a reload,
and "let speak" sends the participants API request (to the recording fake, never the network)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import LiveRoom
from tests import factories as f
from tests.admin_support import staff
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fake_twilio import RecordingHttpClient
from tests.phone import Phone
from tests.test_admin_browser import _log_in, browser, page, server  # noqa: F401  (fixtures)
from voice.simulator_rooms import SimRooms


def test_a_raised_hand_appears_and_unmute_reaches_twilio(app: Flask, db: DbSession, server: str,  # noqa: F811
                                                         page: Any) -> None:  # noqa: F811
    fake = RecordingHttpClient()
    app.config["TWILIO_HTTP_CLIENT"] = fake
    s = f.session(db, f.event(db, title="Laulutuokio"), starts_in=timedelta(minutes=-5))
    f.caller(db, "+358401234987", language="fi", name="Aino Virtanen")
    staff(db)
    db.commit()
    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358401234987",
                  rooms=SimRooms())
    phone.call()
    phone.press("2")
    phone.press("1")  # in the room, muted

    _log_in(page, server)
    page.goto(f"{server}/admin/sessions/{s.id}/live")
    people = page.locator("#people")
    expect(people).to_contain_text("Aino")
    expect(page.locator("#hands")).to_contain_text("Ei nostettuja käsiä")
    page.evaluate("window.sameDocument = true")  # lost if the page were reloaded

    phone.star()
    phone.press("1")  # raise my hand, and back into the room
    expect(page.locator("#hands li", has_text="Aino")).to_be_visible(timeout=10000)
    assert page.evaluate("window.sameDocument") is True

    page.get_by_role("button", name="Anna puheenvuoro").click()
    expect(people).to_contain_text("voi puhua", timeout=10000)
    expect(page.locator("#hands")).to_contain_text("Ei nostettuja käsiä")
    conf_sid = db.scalar(select(LiveRoom.conference_sid))
    sent = [r for r in fake.sent if r.method == "POST"]
    assert len(sent) == 1
    assert sent[0].url.endswith(f"/Conferences/{conf_sid}/Participants/{phone.call_sid}.json")
    assert sent[0].data["Muted"] == "false"
