"""The browser phone's JSON endpoints (/admin/phone/dial and /step): each act is posted to the
real /voice webhooks signed on the server side, silence and hanging up follow the phone's
rules, and bad input gets a clear message."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller, CallLog
from catalogue.timeutil import to_utc
from tests import factories as f
from tests.admin_support import login, provider_user, staff, token
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from twilio.request_validator import RequestValidator
from voice import browser_phone

AINO = "+358912345678"  # a demo caller
MONDAY_10 = to_utc(datetime(2026, 11, 30, 10, 0))  # office open (Helsinki time)


class PagePhone:
    """What the page's script does: JSON with the CSRF token in the header."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf = token(client, "/admin/phone")
        self.token = ""
        self.last: dict[str, Any] = {}

    def post(self, url: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        resp = self.client.post(url, json=body, headers={"X-CSRFToken": self.csrf})
        assert resp.status_code == status, resp.get_data(as_text=True)[:500]
        data: dict[str, Any] = resp.get_json()
        if data.get("token"):
            self.token = data["token"]
            self.last = data
        return data

    def dial(self, fields: dict[str, str] | None = None, status: int = 200,
             **body: str) -> dict[str, Any]:
        return self.post("/admin/phone/dial", {"from": f"demo:{AINO}", "line": "service",
                                               "lang": "fi", **(fields or {}), **body}, status)

    def act(self, action: str, value: str = "", status: int = 200) -> dict[str, Any]:
        return self.post("/admin/phone/step", {"token": self.token, "action": action,
                                               "value": value}, status)


def text(answer: dict[str, Any]) -> str:
    return " ".join(h["text"] for h in answer["heard"] if "text" in h)


@pytest.fixture
def week(db: DbSession) -> None:
    prov = f.provider(db, "Tampereen Teatteri")
    f.session(db, f.event(db, title="Runotuokio", prov=prov, code="101"),
              starts_in=timedelta(hours=5))
    f.session(db, f.event(db, title="Laulamme yhdessä", prov=prov, code="102"),
              starts_in=timedelta(days=1))
    db.commit()


@pytest.fixture
def page_phone(client: FlaskClient, db: DbSession) -> PagePhone:
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    return PagePhone(client)


def test_dial_press_one_and_hear_the_first_item(page_phone: PagePhone, db: DbSession,
                                                week: None) -> None:
    first = page_phone.dial()
    assert first["error"] == "" and not first["ended"]
    # A new caller hears the language menu; the page presses the chosen language's key.
    assert {"pressed": "1"} in first["heard"]
    assert "Tervetuloa" in text(first)
    expect = first["expect"]
    assert expect["kind"] == "keys" and expect["num_digits"] == 1 and expect["timeout"] >= 6
    assert "1" in expect["keys"]
    assert expect["speech"] is True and expect["recognisable"] is False  # no Finnish model
    programme = page_phone.act("keys", "1")
    assert "Runotuokio" in text(programme)
    # The webhooks really ran: the call is in the call log, from the chosen number.
    db.expire_all()
    caller = db.scalar(select(Caller).where(Caller.phone == AINO))
    assert caller is not None and caller.language == "fi"
    log = db.scalar(select(CallLog).order_by(CallLog.id.desc()))
    assert log is not None and log.ended_at is None


def test_silence_follows_the_gather_timeout_and_hang_up_ends_the_call(
        page_phone: PagePhone, db: DbSession, week: None) -> None:
    page_phone.dial()
    before = text(page_phone.last)
    quiet = page_phone.act("silence")
    assert quiet["expect"]["kind"] == "keys" and not quiet["ended"]
    assert text(quiet) and text(quiet) != before  # a simpler reprompt, never a hang-up
    bye = page_phone.act("hangup")
    assert bye["ended"] and bye["ended_by"] == "caller" and bye["expect"]["kind"] == "ended"
    db.expire_all()
    log = db.scalar(select(CallLog).order_by(CallLog.id.desc()))
    assert log is not None and log.ended_at is not None  # the status callback arrived
    again = page_phone.act("keys", "1", status=409)
    assert again["error"] == "ended" and again["message"]


def test_bad_input_gets_a_clear_message(page_phone: PagePhone, app: Flask) -> None:
    assert page_phone.dial({"from": "demo:+358400000000"}, status=400)["error"] == "bad_from"
    bad = page_phone.dial({"from": "own", "number": "12"}, status=400)
    assert bad["error"] == "bad_number" and bad["field"] == "number" and bad["message"]
    assert page_phone.dial(status=400, line="nowhere")["error"] == "bad_choice"
    page_phone.dial()
    assert page_phone.act("keys", "1x", status=400)["error"] == "bad_keys"
    assert page_phone.act("dance", status=400)["error"] == "bad_action"
    assert page_phone.act("transfer_done", status=409)["error"] == "not_now"
    forged = page_phone.token[:-3] + ("aaa" if not page_phone.token.endswith("aaa") else "bbb")
    page_phone.token = forged
    assert page_phone.act("keys", "1", status=400)["error"] == "bad_token"


def test_staff_may_type_a_number_and_the_webhooks_are_signed(
        page_phone: PagePhone, app: Flask, db: DbSession, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, dict[str, str], dict[str, str]]] = []
    real = browser_phone.wsgi_transport

    def recording(app_: Flask, base: str) -> Any:
        send = real(app_, base)

        def wrapped(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            sent.append((path, form, headers))
            return send(path, form, headers)

        return wrapped

    monkeypatch.setattr(browser_phone, "wsgi_transport", recording)
    typed = page_phone.dial({"from": "own", "number": "040 765 4321"})
    assert typed["error"] == "" and typed["expect"]["kind"] == "keys"
    db.expire_all()
    assert db.scalar(select(Caller).where(Caller.phone == "+358407654321")) is not None
    # Every webhook went out as Twilio sends it: signed with the auth token for the public URL.
    validator = RequestValidator(AUTH_TOKEN)
    assert [p for p, _, _ in sent][:1] == ["/voice/incoming"]
    for path, form, headers in sent:
        assert headers["X-Twilio-Signature"] == validator.compute_signature(
            PUBLIC_BASE_URL + path, form)
        assert form["From"] == "+358407654321"

    # A signature the webhooks refuse is said plainly, and the call ends.
    def forged(app_: Flask, base: str) -> Any:
        send = real(app_, base)
        return lambda path, form, headers: send(path, form, {"X-Twilio-Signature": "forged"})

    monkeypatch.setattr(browser_phone, "wsgi_transport", forged)
    refused = page_phone.dial()
    assert refused["error"] == "refused" and refused["ended"] and refused["message"]


def test_a_provider_calls_from_the_provider_phone_never_a_typed_number(
        client: FlaskClient, db: DbSession) -> None:
    prov = f.provider(db, "Kirjasto")
    provider_user(db, prov)
    db.commit()
    login(client, "prov@example.test")
    pp = PagePhone(client)
    # No phone for the provider yet: "own" has nothing to call from, and typing is not enough.
    assert "040 765 4321" not in client.get("/admin/phone").get_data(as_text=True)
    none = pp.dial({"from": "own", "number": "040 765 4321"}, status=400)
    assert none["error"] == "no_own_number" and none["message"]
    prov.phone = "+358401110000"
    db.commit()
    line = pp.dial({"from": "own", "number": "040 765 4321", "line": "provider"})
    assert line["error"] == "" and line["expect"]["kind"] == "keys"
    assert line["expect"]["finish_on_key"] == "#"  # the PIN, ended with #
    db.expire_all()
    assert db.scalar(select(Caller).where(Caller.phone == "+358407654321")) is None


def test_the_page_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/admin/phone").status_code == 302


def test_a_person_transfer_waits_for_its_end_then_the_call_goes_on(
        page_phone: PagePhone, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice.calls.utcnow", lambda: MONDAY_10)
    page_phone.dial()
    transfer = page_phone.act("keys", "0")
    assert transfer["expect"] == {"kind": "transfer", "number": "+358901234567"}
    assert page_phone.act("keys", "1", status=409)["error"] == "not_now"
    back = page_phone.act("transfer_done")
    assert back["expect"]["kind"] == "keys" and "Olet taas päävalikossa" in text(back)


def test_the_provider_line_reaches_the_recording_and_nothing_recorded_is_explained(
        page_phone: PagePhone, db: DbSession) -> None:
    prov = f.provider(db, "Kirjasto", pin="2468")
    f.event(db, title="Satutunti", prov=prov, code="321")
    db.commit()
    page_phone.dial(line="provider")
    assert page_phone.act("keys", str(prov.id))["expect"]["finish_on_key"] == "#"
    assert "Kirjautuminen onnistui" in text(page_phone.act("keys", "2468"))
    chosen = page_phone.act("keys", "321")
    assert "Satutunti" in text(chosen) and chosen["expect"] == {"kind": "record"}, chosen
    assert page_phone.act("keys", "1", status=409)["error"] == "not_now"  # it is recording
    after = page_phone.act("no_recording")  # Twilio falls through to the <Redirect>
    assert after["error"] == "" and not after["ended"] and text(after)


def test_a_live_room_star_menu_and_the_end_of_the_performance(
        page_phone: PagePhone, app: Flask, db: DbSession, tmp_path: Path) -> None:
    app.extensions["lampio_browser_phone"].rooms_folder = tmp_path  # this test's own rooms
    f.session(db, f.event(db, title="Laulutuokio"), starts_in=timedelta(minutes=5))
    db.commit()
    page_phone.dial({"from": "own", "number": "+358912340001"})
    page_phone.act("keys", "2")
    room = page_phone.act("keys", "1")
    assert room["expect"] == {"kind": "room", "star": True, "host": False}, text(room)
    assert "Tervetuloa: Laulutuokio." in text(room)
    assert page_phone.act("poll")["expect"]["kind"] == "room"
    menu = page_phone.act("keys", "*")
    assert menu["expect"]["kind"] == "keys" and "Jos haluat nostaa käden, paina yksi." in text(menu)
    back = page_phone.act("keys", "1")
    assert back["expect"]["kind"] == "room" and "Kätesi on nostettu." in text(back)
    ended = page_phone.act("room_end")
    assert "Esitys päättyi." in text(ended) and ended["expect"]["kind"] != "room"
    assert page_phone.act("hangup")["ended"]
