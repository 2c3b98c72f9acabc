"""Taking part in a live performance by phone: the join window, who may come in, the room's
TwiML, the ``*`` menu and back, hosting by the provider line, and attendance from the
conference's status callbacks (all through the signed webhooks and the simulated phone)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from sqlalchemy import select

from catalogue.models import (CallLog, LiveRoom, Registration, RegistrationStatus,
                              RoomParticipant, SessionKind)
from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from voice.simulator_rooms import IN_ROOM, WAITING, SimRooms


@pytest.fixture
def rooms() -> SimRooms:
    return SimRooms()


@pytest.fixture
def caller_phone(client: Any, rooms: SimRooms) -> Callable[..., Phone]:
    def make(number: str, to: str = "+358942000000") -> Phone:
        return Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number, to_number=to,
                     rooms=rooms)
    return make


def live_event(db: Any, *, starts_in: timedelta = timedelta(minutes=5), capacity: int | None = 10,
               pin: str | None = None, recorded: bool = False,
               title: str = "Laulutuokio") -> tuple[Any, Any, Any]:
    prov = f.provider(db, pin=pin)
    ev = f.event(db, title=title, prov=prov)
    s = f.session(db, ev, starts_in=starts_in, capacity=capacity)
    s.may_be_recorded = recorded
    return prov, ev, s


def register(db: Any, session: Any, number: str) -> Any:
    c = f.caller(db, number, language="fi", name=None)
    db.add(Registration(session_id=session.id, caller_id=c.id, status=RegistrationStatus.CONFIRMED,
                        active_key=1))
    session.confirmed_count += 1
    return c


def conference(turn: Any) -> Any:
    dial = turn.find("Dial")
    assert dial is not None, turn.body
    conf = dial.find("Conference")
    assert conf is not None, turn.body
    return dial, conf


def test_nothing_live_says_when_the_next_starts_then_recordings(phone: Any, db: Any) -> None:
    f.caller(db, "+358912345678", language="fi")
    live_event(db, starts_in=timedelta(hours=3), title="Iltakonsertti")
    db.commit()
    phone.call()
    turn = phone.press("2")
    assert "Nyt ei ole esitystä." in turn.text
    assert "Seuraavaksi: Iltakonsertti, " in turn.text
    assert "Nyt ei ole kuunneltavia tallenteita." in turn.text  # recordings_now, then …
    assert "Päävalikko." in turn.text and turn.gather is not None  # … the main menu
    before_first_choice = turn.text.split("Jos haluat kuulla tämän viikon ohjelman")[0]
    assert len(before_first_choice.split()) <= 20, before_first_choice  # DESIGN rule 12


def test_registered_caller_takes_part_in_two_keys_muted_with_waiting_audio(phone: Any, db: Any) -> None:
    _, _, s = live_event(db, recorded=True)
    register(db, s, "+358912345678")
    db.commit()
    phone.call()
    offer = phone.press("2")
    assert "Alkaa" in offer.text and "Laulutuokio" in offer.text
    assert "Jos haluat osallistua nyt, paina yksi." in offer.text
    turn = phone.press("1")
    dial, conf = conference(turn)
    assert dial.get("hangupOnStar") == "true" and "event=room" in dial.get("action")
    assert conf.text == f"lampio-session-{s.id}"
    assert conf.get("muted") == "true" and conf.get("beep") == "false"
    assert conf.get("startConferenceOnEnter") == "false"
    assert conf.get("waitUrl") == f"{PUBLIC_BASE_URL}/voice/room/wait"
    assert conf.get("statusCallbackEvent") == "start end join leave"
    assert conf.get("record") == "record-from-start"
    assert conf.get("recordingStatusCallback") == f"{PUBLIC_BASE_URL}/voice/room/recorded?session={s.id}"
    assert "paina tähteä" in turn.text and WAITING in turn.said
    # the join status callback marked the caller in the room and the registration attended
    db.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    row = db.scalar(select(RoomParticipant).where(RoomParticipant.session_id == s.id))
    assert row is not None and row.left_at is None and row.muted and not row.host
    reg = db.scalar(select(Registration).where(Registration.session_id == s.id))
    assert reg.attended is True


def test_a_session_not_to_be_recorded_has_no_recording(phone: Any, db: Any) -> None:
    _, _, s = live_event(db, recorded=False)
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    phone.call()
    phone.press("2")
    _, conf = conference(phone.press("1"))
    assert conf.get("record") is None and conf.get("recordingStatusCallback") is None


def test_waiting_url_loops_a_calm_sound_made_offline(phone: Any, client: Any, db: Any) -> None:
    live_event(db)
    f.caller(db, "+358912345678", language="fi")
    db.commit()
    phone.call()
    phone.press("2")
    _, conf = conference(phone.press("1"))
    wait = phone.post(conf.get("waitUrl"))
    play = wait.find("Play")
    assert play is not None and play.get("loop") == "0"
    sound = client.get(play.text.replace(PUBLIC_BASE_URL, ""))
    assert sound.status_code == 200 and sound.data[:4] == b"RIFF" and len(sound.data) > 50_000
    assert client.post("/voice/room/wait").status_code == 403  # unsigned


def test_unregistered_caller_takes_part_while_places_remain(caller_phone: Any, db: Any) -> None:
    _, _, s = live_event(db, capacity=2)
    register(db, s, "+358911111111")  # one place is kept for this registered caller
    db.commit()
    first = caller_phone("+358922222222")
    first.call()
    first.press("1")  # language
    first.press("2")
    conference(first.press("1"))
    second = caller_phone("+358933333333")
    second.call()
    second.press("1")
    second.press("2")
    full = second.press("1")
    assert full.find("Dial") is None
    assert "paikat ovat täynnä" in full.text
    # the registered caller still comes in
    reg = caller_phone("+358911111111")
    reg.call()
    reg.press("2")
    conference(reg.press("1"))


def test_full_room_says_when_the_next_one_is(caller_phone: Any, db: Any) -> None:
    _, ev, s = live_event(db, capacity=0)
    f.session(db, ev, starts_in=timedelta(days=2))
    db.commit()
    p = caller_phone("+358922222222")
    p.call()
    p.press("1")
    p.press("2")
    turn = p.press("1")
    assert "paikat ovat täynnä" in turn.text and "Seuraavaksi: Laulutuokio, " in turn.text
    assert turn.find("Dial") is None and turn.gather is not None  # back in the main menu


def test_star_menu_raises_hand_and_returns_to_the_same_room_muted(phone: Any, db: Any) -> None:
    _, _, s = live_event(db)
    register(db, s, "+358912345678")
    db.commit()
    phone.call()
    phone.press("2")
    first = phone.press("1")
    _, conf = conference(first)
    menu = phone.star()
    assert "Jos haluat nostaa käden, paina yksi." in menu.text
    assert "Jos haluat palata esitykseen, paina kaksi." in menu.text
    assert "Jos haluat lähteä pois esityksestä, paina kolme." in menu.text and "paina nolla" in menu.text
    db.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    assert db.scalar(select(RoomParticipant.left_at)) is not None  # out of the room meanwhile
    back = phone.press("1")
    assert "Kätesi on nostettu" in back.text
    _, again = conference(back)
    assert again.text == conf.text and again.get("muted") == "true"
    assert "Tervetuloa" not in back.text  # a short "you are back", not the welcome again
    db.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    row = db.scalars(select(RoomParticipant)).one()
    assert row.hand_raised_at is not None and row.left_at is None and row.muted
    # 2: back again without a new hand; 3: leave to the main menu
    phone.star()
    conference(phone.press("2"))
    phone.star()
    left = phone.press("3")
    assert "Lähdit pois esityksestä" in left.text and left.find("Dial") is None


def test_the_room_ends_when_the_host_leaves_and_callers_return_to_the_main_menu(caller_phone: Any, db: Any, app: Any) -> None:
    prov, _, s = live_event(db, pin="4321")
    db.commit()
    host = caller_phone("+358401112223", to="+358942000099")
    listener = caller_phone("+358922222222")
    listener.call()
    listener.press("1")
    listener.press("2")
    conference(listener.press("1"))
    assert WAITING in listener.last.said
    host.call("/voice/provider/incoming")
    host.press(f"{prov.id}#")
    offer = host.press("4321#")
    assert "Esityksesi Laulutuokio voi alkaa nyt" in offer.text
    assert "Jos haluat juontaa sen nyt, paina yksi." in offer.text
    turn = host.press("1")
    dial, conf = conference(turn)
    assert dial.get("hangupOnStar") is None
    assert conf.get("startConferenceOnEnter") == "true" and conf.get("muted") == "false"
    assert conf.get("endConferenceOnExit") == "true" and conf.get("waitUrl") is None
    assert IN_ROOM in turn.said
    db.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    room = db.scalar(select(LiveRoom).where(LiveRoom.session_id == s.id))
    assert room is not None and room.started_at is not None and room.conference_sid
    hosts = db.scalars(select(RoomParticipant).where(RoomParticipant.host.is_(True))).all()
    assert len(hosts) == 1 and hosts[0].left_at is None
    host.hang_up()
    assert listener.after_room is not None
    assert "Esitys päättyi" in listener.after_room.text
    assert listener.after_room.find("Dial") is None
    db.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    assert db.scalar(select(LiveRoom.ended_at)) is not None
    assert all(r.left_at is not None for r in db.scalars(select(RoomParticipant)))


def test_a_room_that_ended_is_not_offered_again_while_its_time_lasts(caller_phone: Any,
                                                                      db: Any) -> None:
    """After the host left, nobody is put into a room that will not start again: take part now,
    the event code and a stale item say it has ended; the provider may host it again."""
    prov, ev, s = live_event(db, pin="4321", starts_in=timedelta(minutes=-5))
    db.commit()
    host = caller_phone("+358401112223", to="+358942000099")
    host.call("/voice/provider/incoming")
    host.press(f"{prov.id}#")
    host.press("4321#")
    conference(host.press("1"))
    host.hang_up()
    late = caller_phone("+358922222333")
    late.call()
    late.press("1")
    turn = late.press("2")
    assert turn.find("Dial") is None and "Laulutuokio" not in turn.text
    by_code = caller_phone("+358922222444")
    by_code.call()
    by_code.press("1")
    by_code.press("4")
    turn = by_code.press(f"{ev.code}#")
    assert turn.find("Dial") is None
    again = caller_phone("+358401112223", to="+358942000099")
    again.call("/voice/provider/incoming")
    again.press(f"{prov.id}#")
    assert "voi alkaa nyt" in again.press("4321#").text  # the host may start it again


def test_host_does_not_end_the_room_when_configured(caller_phone: Any, db: Any, app: Any) -> None:
    app.config["ROOM_HOST_ENDS"] = False
    prov, _, _ = live_event(db, pin="4321")
    db.commit()
    host = caller_phone("+358401112223", to="+358942000099")
    host.call("/voice/provider/incoming")
    host.press(f"{prov.id}#")
    host.press("4321#")
    turn = host.press("1")
    _, conf = conference(turn)
    assert conf.get("endConferenceOnExit") == "false"
    assert "Henkilökunta päättää esityksen" in turn.text


def test_provider_without_a_live_session_goes_straight_to_descriptions(caller_phone: Any, db: Any) -> None:
    prov, _, _ = live_event(db, pin="4321", starts_in=timedelta(hours=5))
    db.commit()
    host = caller_phone("+358401112223", to="+358942000099")
    host.call("/voice/provider/incoming")
    host.press(f"{prov.id}#")
    turn = host.press("4321#")
    assert "Näppäile sen tapahtuman koodi" in turn.text
    assert "voi alkaa nyt" not in turn.text


def test_event_code_of_a_live_session_leads_into_its_room(phone: Any, db: Any) -> None:
    _, ev, s = live_event(db, starts_in=timedelta(minutes=-10))
    db.commit()
    phone.call()
    phone.press("1")
    phone.press("4")
    turn = phone.press(f"{ev.code}#")
    _, conf = conference(turn)
    assert conf.text == f"lampio-session-{s.id}"


def test_join_window_is_a_setting(phone: Any, db: Any, app: Any) -> None:
    app.config["ROOM_JOIN_MINUTES"] = 3
    live_event(db, starts_in=timedelta(minutes=5))
    db.commit()
    phone.call()
    phone.press("1")
    turn = phone.press("2")
    assert "Nyt ei ole esitystä." in turn.text


def test_on_now_and_next_offers_one_at_a_time(phone: Any, db: Any) -> None:
    live_event(db, starts_in=timedelta(minutes=-20), title="Runotuokio")
    live_event(db, starts_in=timedelta(minutes=10), title="Jumppa")
    db.commit()
    phone.call()
    phone.press("1")
    first = phone.press("2")
    assert "Nyt menossa" in first.text and "Runotuokio" in first.text and "Jumppa" not in first.text
    second = phone.press("3")
    assert "Jumppa" in second.text and "Jos haluat kuulla tallenteita, paina kolme." in second.text
    done = phone.press("3")
    assert "Nyt ei ole kuunneltavia tallenteita." in done.text


def test_attendance_only_from_signed_callbacks(client: Any, db: Any) -> None:
    _, _, s = live_event(db)
    db.commit()
    resp = client.post(f"/voice/room/events?session={s.id}",
                       data={"StatusCallbackEvent": "participant-join", "CallSid": "CA1"})
    assert resp.status_code == 403
    assert db.scalar(select(RoomParticipant)) is None


def test_a_bad_room_setting_stops_the_app(tmp_path: Any) -> None:
    from app import create_app

    with pytest.raises(SystemExit, match="ROOM_JOIN_MINUTES"):
        create_app({"ROOM_JOIN_MINUTES": "soon", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    with pytest.raises(SystemExit, match="ROOM_HOST_CALLER_ID"):
        create_app({"ROOM_HOST_CALLER_ID": "0401234567",
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_purge_takes_the_person_out_of_old_rooms(db: Any) -> None:
    from datetime import datetime

    from catalogue.models import Caller
    from catalogue.privacy import purge
    from catalogue.timeutil import utcnow

    _, _, s = live_event(db, starts_in=timedelta(days=-40))
    c = f.caller(db, "+358401230000")
    c.created_at = utcnow() - timedelta(days=60)
    when: datetime = s.starts_at
    db.add(RoomParticipant(session_id=s.id, caller_id=c.id, call_sid="CA1", joined_at=when,
                           left_at=when, muted=True, host=False))
    db.commit()
    purge(db, now=utcnow(), days=30)
    db.commit()
    row = db.scalars(select(RoomParticipant)).one()
    assert row.caller_id is None
    assert db.get(Caller, c.id) is None  # nothing else referred to them: the number is gone


def test_a_performance_on_now_in_the_programme_offers_to_take_part(caller_phone: Any,
                                                                    db: Any) -> None:
    """Heard in the programme while its room is open, 2 takes part at once (not a registration
    that has closed)."""
    _, _, s = live_event(db, starts_in=timedelta(minutes=-5))
    db.commit()
    phone = caller_phone("+358922222555")
    phone.call()
    phone.press("1")  # Finnish
    t = phone.press("1")  # the programme: with one group it starts at once
    if "Jos haluat kuulla kaikki" in t.text:
        t = phone.press("4")
    assert "Jos haluat osallistua nyt, paina kaksi." in t.text and "ilmoittautua" not in t.text
    _, conf = conference(phone.press("2"))
    assert conf.text == f"lampio-session-{s.id}"


def test_an_ended_room_is_no_longer_offered_in_the_programme(caller_phone: Any, db: Any) -> None:
    """The programme is held in memory; a room's end is a programme change, so the very next
    turn no longer offers to take part (it offers nothing for 2: registration has closed)."""
    _, _, s = live_event(db, starts_in=timedelta(minutes=-5))
    db.commit()
    phone = caller_phone("+358922222556")
    phone.call()
    phone.press("1")
    t = phone.press("1")
    if "Jos haluat kuulla kaikki" in t.text:
        t = phone.press("4")
    assert "Jos haluat osallistua nyt" in t.text
    from catalogue.rooms import on_event
    from catalogue.timeutil import utcnow
    on_event(db, s.id, "conference-end", conference_sid="CF1", call_sid="", caller_id=None,
             muted=None, now=utcnow())
    db.commit()
    t = phone.press("9")  # the main menu, then the programme again
    t = phone.press("1")
    if "Jos haluat kuulla kaikki" in t.text:
        t = phone.press("4")
    assert "Jos haluat osallistua nyt" not in t.text
