"""Live rooms across processes on the embedded default (no Twilio account): each simulated call
has its own ``SimRooms`` on one file, as two ``lampio call`` terminals do, and the live console
reaches them through the server's simulated participants API. Everything goes through the real
signed webhooks and the admin's real forms."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.serving import make_server

from app import create_app
from catalogue.db import get_sessionmaker
from catalogue.models import LiveRoom, RoomParticipant, SessionAudio
from tests import factories as f
from tests.admin_support import login, staff, token
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _empty_tables, base_config
from tests.phone import Phone, played
from tests.test_live_rooms import live_event
from voice.sim_store import SimRooms
from voice.simulator_answer import AnsweredCall
from voice.simulator_rooms import IN_ROOM, MUTED, SPEAK, WAITING
from voice.twilio_sim import SimulatedTwilio

LISTENER = "+358922222222"
HOST = "+358401112223"


@pytest.fixture
def app(_schema: tuple[str, Path], tmp_path: Path) -> Iterator[Flask]:
    """The embedded default: no account, so the REST client and the media are simulated."""
    url, _ = _schema
    app = create_app({**base_config(url, tmp_path), "TWILIO_ACCOUNT_SID": ""})
    app.instance_path = str(tmp_path / "instance")
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
    yield app
    app.extensions["lampio_engine"].dispose()


@pytest.fixture
def events() -> list[str]:
    """Every conference status callback any simulated call posted, in order."""
    return []


@pytest.fixture
def phone_in(app: Flask, client: Any, events: list[str]) -> Any:
    """A simulated call with its own store on the shared file (another process, as it were)."""
    def make(number: str, to: str = "+358942000000") -> Phone:
        phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number, to_number=to,
                      rooms=SimRooms.in_folder(app.instance_path))
        posted = phone.callback

        def callback(url: str, extra: dict[str, str]) -> int:
            if "StatusCallbackEvent" in extra:
                events.append(extra["StatusCallbackEvent"])
            return posted(url, extra)

        phone.callback = callback  # type: ignore[method-assign]
        return phone
    return make


def listener_in(phone_in: Any) -> Phone:
    listener = phone_in(LISTENER)
    listener.call()
    listener.press("1")  # Finnish
    listener.press("2")  # take part now
    assert WAITING in listener.press("1").said
    return listener


def host_in(phone_in: Any, prov: Any) -> Phone:
    host = phone_in(HOST, to="+358942000099")
    host.call("/voice/provider/incoming")
    host.press(f"{prov.id}#")
    host.press("4321#")
    assert IN_ROOM in host.press("1").said
    return host


def console(client: Any, db: DbSession, session_id: int) -> str:
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    return token(client, f"/admin/sessions/{session_id}/live")


def test_the_host_comes_in_and_the_listener_hears_the_room_start(db: DbSession, phone_in: Any,
                                                                events: list[str]) -> None:
    prov, _, _ = live_event(db, pin="4321")
    db.commit()
    listener = listener_in(phone_in)
    assert listener.poll_room() is False and listener.heard == []
    host_in(phone_in, prov)
    assert listener.poll_room() is False
    assert listener.heard == [IN_ROOM]
    assert events == ["participant-join", "participant-join", "conference-start"]


def test_console_unmute_mute_and_remove_reach_the_listener(app: Flask, client: Any,
                                                           db: DbSession, phone_in: Any,
                                                           events: list[str]) -> None:
    prov, _, s = live_event(db, pin="4321")
    db.commit()
    listener = listener_in(phone_in)
    listener.star()
    listener.press("1")  # raise a hand, back in the room
    host_in(phone_in, prov)
    csrf = console(client, db, s.id)
    row = db.scalar(select(RoomParticipant).where(RoomParticipant.call_sid == listener.call_sid))
    assert row is not None and row.hand_raised_at is not None
    live = f"/admin/sessions/{s.id}/live/{row.id}"
    resp = client.post(f"{live}/unmute", data={"csrf_token": csrf},
                       headers={"Accept": "application/json"})
    assert resp.get_json()["ok"] is True
    listener.poll_room()
    assert listener.heard == [IN_ROOM, "Voit nyt puhua.", SPEAK]
    listener.heard.clear()
    assert client.post(f"{live}/mute", data={"csrf_token": csrf}).status_code == 302
    assert listener.poll_room() is False and listener.heard == [MUTED]
    client.post(f"{live}/remove", data={"csrf_token": csrf})
    assert listener.poll_room() is True
    assert listener.room is None and listener.after_room is not None
    assert "Juontaja poisti sinut" in listener.after_room.text
    db.rollback()
    row = db.scalar(select(RoomParticipant).where(RoomParticipant.call_sid == listener.call_sid))
    assert row is not None and row.left_at is not None and row.removed_at is not None
    assert events.count("participant-leave") == 2  # the * menu, then the removal


def test_staff_end_the_room_for_everyone_and_the_end_is_posted_once(client: Any, db: DbSession,
                                                                   phone_in: Any,
                                                                   events: list[str]) -> None:
    prov, _, s = live_event(db, pin="4321")
    db.commit()
    listener = listener_in(phone_in)
    host = host_in(phone_in, prov)
    csrf = console(client, db, s.id)
    assert client.post(f"/admin/sessions/{s.id}/live/end",
                       data={"csrf_token": csrf}).status_code == 302
    assert listener.poll_room() is True
    assert listener.after_room is not None and "Esitys päättyi" in listener.after_room.text
    assert host.poll_room() is True and host.room is None
    assert events.count("conference-end") == 1
    db.rollback()
    assert db.scalar(select(LiveRoom.ended_at).where(LiveRoom.session_id == s.id)) is not None
    assert all(r.left_at is not None for r in db.scalars(select(RoomParticipant)))


def test_the_host_leaving_ends_the_room_in_the_other_process(db: DbSession, phone_in: Any,
                                                            events: list[str]) -> None:
    prov, _, _ = live_event(db, pin="4321")
    db.commit()
    listener = listener_in(phone_in)
    host = host_in(phone_in, prov)
    host.hang_up()
    assert events[-2:] == ["participant-leave", "conference-end"]
    assert listener.poll_room() is True
    assert listener.after_room is not None and "Esitys päättyi" in listener.after_room.text
    assert events.count("conference-end") == 1


def test_a_recorded_room_posts_its_recording_and_the_service_keeps_it(app: Flask, client: Any,
                                                                      db: DbSession,
                                                                      phone_in: Any) -> None:
    app.config["RECORDING_PART_SECONDS"] = 30
    prov, _, s = live_event(db, pin="4321", recorded=True)
    db.commit()
    listener = listener_in(phone_in)
    host = host_in(phone_in, prov)
    with host.rooms.edit() as state:  # the room has gone on for 70 seconds
        for conf in state["conferences"].values():
            conf["started_at"] -= 70
    host.hang_up()
    assert listener.poll_room() is True
    db.rollback()
    audio = db.scalars(select(SessionAudio)).one()
    assert audio.status == SessionAudio.Status.PENDING and audio.from_session_id == s.id
    assert 65 <= audio.duration_seconds <= 75 and len(audio.parts) == 3  # 70 s in 30 s parts
    assert audio.source == SessionAudio.Source.ROOM and audio.recording_sid
    csrf = console(client, db, s.id)
    assert client.post(f"/admin/listen/{audio.id}/review", data={
        "decision": "approve", "reason": "", "csrf_token": csrf}).status_code == 302
    s.starts_at -= timedelta(hours=3)  # later: the performance is over, its recording is on
    s.ends_at -= timedelta(hours=3)
    audio.session.starts_at = s.ends_at
    db.commit()
    caller = phone_in("+358933333333")
    caller.call()
    caller.press("1")
    assert "Laulutuokio" in caller.press("2").text  # offered in "take part now"
    first = caller.press("1")
    second = caller.press("3")
    urls = [played(t)[-1] for t in (first, second)]
    assert [u.rsplit("/", 1)[-1] for u in urls] == [p.rsplit("/", 1)[-1] for p in audio.parts[:2]]


def test_the_console_calls_a_staff_host_in(app: Flask, client: Any, db: DbSession,
                                          phone_in: Any) -> None:
    app.config["ROOM_HOST_CALLER_ID"] = "+358942000000"
    _, _, s = live_event(db, pin="4321")
    db.commit()
    listener = listener_in(phone_in)
    csrf = console(client, db, s.id)
    client.post(f"/admin/sessions/{s.id}/live/host", data={"csrf_token": csrf, "number": HOST})
    placed = SimulatedTwilio.for_app(app).store.take_next(HOST)
    assert placed is not None and placed["conference"]["name"] == f"lampio-session-{s.id}"
    staff_host = AnsweredCall(listener.transport, AUTH_TOKEN, PUBLIC_BASE_URL, placed,
                              rooms=SimRooms.in_folder(app.instance_path))
    assert IN_ROOM in staff_host.call().said
    listener.poll_room()
    assert listener.heard == [IN_ROOM]
    db.rollback()
    host_row = db.scalar(select(RoomParticipant).where(RoomParticipant.call_sid == placed["sid"]))
    assert host_row is not None and host_row.host and host_row.left_at is None
    staff_host.room_ended()  # hangs up: the room ends with the host
    assert staff_host.after_room is not None and staff_host.after_room.hangs_up
    assert staff_host.hang_up().status == 204  # its status callback, as for any placed call
    assert listener.poll_room() is True and "Esitys päättyi" in listener.after_room.text  # type: ignore[union-attr]


def test_lampio_call_waits_in_the_room_and_hears_the_host(app: Flask, db: DbSession,
                                                         phone_in: Any) -> None:
    """The command itself, over HTTP, polling the shared file while the host comes and goes."""
    prov, _, _ = live_event(db, pin="4321")
    db.commit()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    out: dict[str, Any] = {}

    def listen() -> None:
        out["result"] = app.test_cli_runner().invoke(args=[
            "call", "--url", f"http://127.0.0.1:{srv.server_port}", "--from", LISTENER,
            "--lang", "fi", "--script", "2,1,wait:30,hangup"], catch_exceptions=False)

    thread = threading.Thread(target=listen)
    thread.start()
    rooms = SimRooms.in_folder(app.instance_path)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            conf = rooms.conference(f"lampio-session-{_session_id(db)}")
            if conf is not None and conf["members"]:
                break
            time.sleep(0.1)
        host = host_in(phone_in, prov)
        time.sleep(1.0)  # the listener looks at the room twice a second
        host.hang_up()
        thread.join(timeout=30)
    finally:
        srv.shutdown()
        srv.server_close()
    text = out["result"].output
    assert out["result"].exit_code == 0, text
    waiting, started, ended = (text.index(WAITING), text.index(f"\n{IN_ROOM}\n"),
                               text.index("Esitys päättyi."))
    assert waiting < started < ended, text
    assert "[caller hangs up]" in text


def _session_id(db: DbSession) -> int:
    from catalogue.models import Session

    db.rollback()
    found = db.scalar(select(Session.id))
    assert found is not None
    return found


def test_keyboard_in_a_room_keeps_looking_until_a_key_is_typed(capsys: Any) -> None:
    from voice.simulator_inputs import Action, KeyboardInputs, RoomLook, parse_script

    typed = iter([None, None, "*"])  # nothing for two half-seconds, then * and Enter
    looks = iter([RoomLook(False, False), RoomLook(False, True), RoomLook(False, False)])
    inputs = KeyboardInputs(read=lambda _: "", wait_line=lambda _: next(typed))
    assert inputs.room("[hint]", lambda: next(looks)) == Action("keys", "*")
    assert capsys.readouterr().out == "[hint]\n[hint]\n"  # again after what the room said
    gone = KeyboardInputs(read=lambda _: "", wait_line=lambda _: None)
    assert gone.room("[hint]", lambda: RoomLook(True, True)) is None  # taken out: no key read
    assert parse_script("wait, wait:2.5") == [Action("wait"), Action("wait", "2.5")]
    with pytest.raises(ValueError):
        parse_script("wait:soon")


def test_loopback_media_hosts_only_without_an_account(app: Flask, _schema: tuple[str, Path],
                                                      tmp_path: Path) -> None:
    """The simulator's recordings come from loopback; with a real account they never may."""
    from audio import service

    assert "127.0.0.1" in service(app).recordings.allowed_hosts
    real = create_app(base_config(_schema[0], tmp_path / "real"))
    try:
        assert "127.0.0.1" not in service(real).recordings.allowed_hosts
        assert service(real).recordings.http_client is None
    finally:
        real.extensions["lampio_engine"].dispose()


def test_enter_in_a_hosted_room_leaves_the_end_to_the_host(db: DbSession, phone_in: Any,
                                                           events: list[str]) -> None:
    """Alone in a room, Enter stands in for its end; with a host in another terminal it does
    not end the performance for everyone."""
    from voice.simulator_inputs import ScriptInputs, parse_script
    from voice.simulator_run import run_call

    prov, _, _ = live_event(db, pin="4321")
    db.commit()
    host = host_in(phone_in, prov)
    listener = phone_in(LISTENER)
    result = run_call(listener, ScriptInputs(parse_script("1,2,1,silence,hangup")))
    assert "[the host ends the performance; * opens the menu, h hangs up]" in result.transcript
    assert "[the performance ends]" not in result.transcript
    assert "conference-end" not in events
    assert host.poll_room() is False  # the host is still in a live room
