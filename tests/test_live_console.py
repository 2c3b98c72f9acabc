"""The live console: staff and the session's provider only, callers shown without their number,
and every control sends the right request to Twilio's participants API (a recording fake http
client; nothing reaches the network)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalogue.models import LiveRoom, RoomParticipant
from tests import factories as f
from tests.admin_support import login, provider_user, staff, token
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fake_twilio import RecordingHttpClient
from tests.phone import Phone
from voice.simulator_rooms import SimRooms

ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def fake_rest(app: Any) -> RecordingHttpClient:
    fake = RecordingHttpClient()
    app.config["TWILIO_HTTP_CLIENT"] = fake
    return fake


def in_room(app: Any, db: Any, *, name: str | None = "Aino Virtanen",
            number: str = "+358401234987", hand: bool = True) -> tuple[Any, Any, Phone]:
    """A live phone session with one caller in its room (hand raised when ``hand``)."""
    prov = f.provider(db, pin="4321")
    s = f.session(db, f.event(db, title="Laulutuokio", prov=prov), starts_in=timedelta(minutes=-5))
    f.caller(db, number, language="fi", name=name)
    db.commit()
    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number,
                  rooms=SimRooms())
    phone.call()
    phone.press("2")
    assert phone.press("1").find("Dial") is not None
    if hand:
        phone.star()
        phone.press("1")
    db.rollback()
    return prov, s, phone


def test_console_lists_the_room_without_numbers_and_hands_in_order(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    _, s, _ = in_room(app, db, name=None, number="+358401234987")
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    page = client.get(f"/admin/sessions/{s.id}/live").get_data(as_text=True)
    assert "…987" in page and "+358401234987" not in page and "401234987" not in page
    state = client.get(f"/admin/sessions/{s.id}/live.json").get_json()
    assert [p["label"] for p in state["participants"]] == ["…987"]
    assert [h["label"] for h in state["hands"]] == ["…987"]
    assert state["participants"][0]["muted"] is True


def test_first_name_only(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    _, s, _ = in_room(app, db, name="Aino Virtanen")
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    state = client.get(f"/admin/sessions/{s.id}/live.json").get_json()
    assert state["participants"][0]["label"] == "Aino"
    assert "Virtanen" not in client.get(f"/admin/sessions/{s.id}/live").get_data(as_text=True)


def test_unmute_and_mute_send_the_participants_api_requests(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    _, s, phone = in_room(app, db)
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    row = db.scalars(select(RoomParticipant)).one()
    conf_sid = db.scalar(select(LiveRoom.conference_sid))
    assert conf_sid and conf_sid.startswith("CF")
    csrf = token(client, f"/admin/sessions/{s.id}/live")
    resp = client.post(f"/admin/sessions/{s.id}/live/{row.id}/unmute",
                       data={"csrf_token": csrf}, headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    sent = fake_rest.sent[-1]
    assert sent.method == "POST"
    assert sent.url == (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Conferences/"
                        f"{conf_sid}/Participants/{phone.call_sid}.json")
    assert sent.data["Muted"] == "false"
    assert sent.data["AnnounceUrl"] == f"{PUBLIC_BASE_URL}/voice/room/announce?lang=fi"
    db.rollback()
    row = db.scalars(select(RoomParticipant)).one()
    assert row.muted is False and row.hand_raised_at is None  # unmuting answers the hand
    # the announcement Twilio fetches is ours, signed, and says "you can speak now"
    said = phone.post(sent.data["AnnounceUrl"])
    assert "Voit nyt puhua." in said.text
    resp = client.post(f"/admin/sessions/{s.id}/live/{row.id}/mute", data={"csrf_token": csrf})
    assert resp.status_code == 302
    assert fake_rest.sent[-1].data == {"Muted": "true"}
    assert fake_rest.sent[-1].url.endswith(f"/Participants/{phone.call_sid}.json")


def test_remove_lower_and_end(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    _, s, phone = in_room(app, db)
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    row = db.scalars(select(RoomParticipant)).one()
    conf_sid = db.scalar(select(LiveRoom.conference_sid))
    csrf = token(client, f"/admin/sessions/{s.id}/live")
    client.post(f"/admin/sessions/{s.id}/live/{row.id}/lower", data={"csrf_token": csrf})
    db.rollback()
    assert db.scalars(select(RoomParticipant)).one().hand_raised_at is None
    assert fake_rest.sent == []  # a hand is ours alone
    client.post(f"/admin/sessions/{s.id}/live/{row.id}/remove", data={"csrf_token": csrf})
    assert fake_rest.sent[-1].method == "DELETE"
    assert fake_rest.sent[-1].url.endswith(f"/Conferences/{conf_sid}/Participants/{phone.call_sid}.json")
    back = phone.room_ended()  # Twilio takes the call out and posts its <Dial> action
    assert "Juontaja poisti sinut" in back.text and back.find("Dial") is None
    phone.press("2")  # take part now again: not let back into that room
    assert "Juontaja poisti sinut" in phone.press("1").text
    client.post(f"/admin/sessions/{s.id}/live/end", data={"csrf_token": csrf})
    assert fake_rest.sent[-1].url.endswith(f"/Conferences/{conf_sid}.json")
    assert fake_rest.sent[-1].data == {"Status": "completed"}


def test_posts_need_csrf(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    _, s, _ = in_room(app, db)
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    row = db.scalars(select(RoomParticipant)).one()
    assert client.post(f"/admin/sessions/{s.id}/live/{row.id}/unmute").status_code == 400
    assert client.post(f"/admin/sessions/{s.id}/live/end").status_code == 400
    assert fake_rest.sent == []


def test_only_staff_and_the_sessions_provider(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    prov, s, _ = in_room(app, db)
    other = f.provider(db, name="Toinen")
    provider_user(db, prov, email="own@example.test")
    provider_user(db, other, email="other@example.test")
    db.commit()
    login(client, "other@example.test")
    assert client.get(f"/admin/sessions/{s.id}/live").status_code == 404
    assert client.get(f"/admin/sessions/{s.id}/live.json").status_code == 404
    client.post("/admin/logout", data={"csrf_token": token(client, "/admin/")})
    login(client, "own@example.test")
    assert client.get(f"/admin/sessions/{s.id}/live.json").status_code == 200
    assert client.get(f"/admin/sessions/{s.id}/live").status_code == 200


def test_staff_calls_a_host_in_when_a_number_to_call_from_is_set(app: Any, client: Any, db: Any, fake_rest: Any) -> None:
    prov = f.provider(db)
    s = f.session(db, f.event(db, prov=prov), starts_in=timedelta(minutes=5))
    s.may_be_recorded = True
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    assert "live/host" not in client.get(f"/admin/sessions/{s.id}/live").get_data(as_text=True)
    app.config["ROOM_HOST_CALLER_ID"] = "+358942000000"
    csrf = token(client, f"/admin/sessions/{s.id}/live")
    client.post(f"/admin/sessions/{s.id}/live/host",
                data={"csrf_token": csrf, "number": "+358401110000"})
    sent = fake_rest.sent[-1]
    assert sent.url.endswith(f"/Conferences/lampio-session-{s.id}/Participants.json")
    assert sent.data["To"] == "+358401110000" and sent.data["From"] == "+358942000000"
    assert sent.data["StartConferenceOnEnter"] == "true"
    assert sent.data["ConferenceRecord"] == "record-from-start"
    assert sent.data["ConferenceStatusCallback"].endswith(f"/voice/room/events?session={s.id}")
    db.rollback()
    host = db.scalars(select(RoomParticipant)).one()
    assert host.host is True  # not counted as a caller in the room


def test_may_be_recorded_on_the_session_form(app: Any, client: Any, db: Any) -> None:
    s = f.session(db, f.event(db), starts_in=timedelta(days=3))
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    url = f"/admin/sessions/{s.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="may_be_recorded"' in page
    form = {"csrf_token": token(client, url), "minutes": "60", "kind": "phone", "capacity": "10",
            "may_be_recorded": "y"}
    assert client.post(url, data=form).status_code == 302
    db.rollback()
    db.refresh(s)
    assert s.may_be_recorded is True
    del form["may_be_recorded"]
    assert client.post(url, data=form).status_code == 302
    db.rollback()
    db.refresh(s)
    assert s.may_be_recorded is False
