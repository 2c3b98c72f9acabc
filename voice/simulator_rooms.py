"""The simulated phone in a live room: what Twilio does around ``<Dial><Conference>``.

Twilio keeps a caller in the conference, posts the conference's status callbacks (start, end,
join, leave), plays an announcement to a participant the host unmutes and, when the caller
presses ``*`` (``hangupOnStar``), is removed or the room ends, posts the ``<Dial>`` action. The
rooms themselves are a ``SimRooms`` (``voice.sim_store``): in memory for the calls of one
process, or a file shared by every ``lampio call`` and the server's simulated REST client.

Each status callback is posted once, by the process whose call caused it: its own join and
leave, conference-start by the host who starts the room, conference-end by the call whose
leaving ends it (or, when the live console ends the room, by the first call that hears so).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .sim_store import SimRooms

if TYPE_CHECKING:
    from .simulator import SimulatedCall, Turn

__all__ = ["IN_ROOM", "MUTED", "SPEAK", "WAITING", "RoomLeg", "SimRooms", "deliver", "end",
           "enter", "leave", "pump"]

WAITING = "[in the room: waiting music]"
IN_ROOM = "[in the room]"
SPEAK = "[you can speak]"
MUTED = "[muted]"


@dataclass
class RoomLeg:
    """One call's place in a conference, read from the ``<Dial>`` that put it there."""

    name: str
    sid: str
    action: str
    status_callback: str
    host: bool
    ends_room: bool
    muted: bool
    star_leaves: bool


def conference_of(root: ET.Element | None) -> tuple[ET.Element, ET.Element] | None:
    if root is None:
        return None
    dial = root.find("Dial")
    conf = dial.find("Conference") if dial is not None else None
    return (dial, conf) if dial is not None and conf is not None else None


def enter(call: "SimulatedCall", turn: "Turn", rooms: SimRooms) -> RoomLeg | None:
    """After a turn: if it puts the call into a room, do what Twilio does and say so."""
    found = conference_of(turn.root)
    if found is None:
        return None
    dial, el = found
    name = (el.text or "").strip()
    host = el.get("startConferenceOnEnter") == "true"
    ends_room = el.get("endConferenceOnExit") == "true"
    muted = el.get("muted") == "true"
    record = el.get("record") == "record-from-start"
    joined = rooms.join(name, call.call_sid, host=host, ends_room=ends_room, muted=muted,
                        record=record, recording_callback=el.get("recordingStatusCallback") or "",
                        status_callback=el.get("statusCallback") or "")
    leg = RoomLeg(name=name, sid=joined.sid, action=dial.get("action") or "",
                  status_callback=el.get("statusCallback") or "", host=host, ends_room=ends_room,
                  muted=muted, star_leaves=dial.get("hangupOnStar") == "true")
    rooms.local[call.call_sid] = call
    event(call, leg, "participant-join", Muted=str(leg.muted).lower())
    if joined.started_now:
        event(call, leg, "conference-start")
    turn.said.append(IN_ROOM if joined.started else WAITING)
    pump(rooms, but=call.call_sid)
    return leg


def event(call: "SimulatedCall", leg: RoomLeg, name: str, **extra: str) -> None:
    """One status callback, signed as Twilio signs it."""
    if not leg.status_callback:
        return
    form = {"ConferenceSid": leg.sid, "FriendlyName": leg.name,
            "StatusCallbackEvent": name, "Hold": "false",
            "EndConferenceOnExit": str(leg.ends_room).lower()}
    if name.startswith("participant-"):
        form["CallSid"] = call.call_sid
    form.update(extra)
    call.callback(leg.status_callback, form)


def _finish(call: "SimulatedCall", leg: RoomLeg, rooms: SimRooms) -> None:
    """This call's process tells the service the room ended, then (if it was recorded) posts
    the recording; the other calls wait for the first before going back to their flows."""
    event(call, leg, "conference-end")
    rooms.end_posted(leg.sid)
    conf = rooms.conference(leg.sid)
    if conf is not None and conf["record"]:
        from .sim_recording import post_room_recording

        post_room_recording(call, conf)
    pump(rooms, but=call.call_sid)


def leave(call: "SimulatedCall", leg: RoomLeg) -> None:
    """The call leaves the room (``*`` or hanging up); a host who ends the room, or the last
    one out of a live room, ends it for everyone."""
    rooms = call.rooms
    rooms.local.pop(call.call_sid, None)
    ends = rooms.leave(leg.sid, call.call_sid)
    event(call, leg, "participant-leave")
    if ends:
        _finish(call, leg, rooms)


def end(call: "SimulatedCall", leg: RoomLeg) -> None:
    """The room ends around ``call`` (the simulator's Enter: as when the host leaves)."""
    rooms = call.rooms
    if rooms.end(leg.sid, claim=True):
        _finish(call, leg, rooms)
    deliver(call)
    if call.room is not None:  # the room was gone already: nothing to hear, out all the same
        call.room_ended()


def deliver(call: "SimulatedCall") -> bool:
    """Act on what happened to the call's room since the last look; what the caller hears goes
    to ``call.heard``. True when the call is out of the room (its next turn: ``after_room``)."""
    leg = call.room
    if leg is None:
        return False
    rooms = call.rooms
    for ev in rooms.take_events(call.call_sid):
        kind = ev["kind"]
        if kind == "started":
            call.heard.append(IN_ROOM)
        elif kind == "muted":
            call.heard.append(MUTED)
        elif kind == "unmuted":
            if ev.get("announce"):
                call.heard.extend(call.announcement(ev["announce"], leg.sid))
            call.heard.append(SPEAK)
        elif kind in {"removed", "ended"}:
            if kind == "ended" and rooms.claim_end(leg.sid):
                _finish(call, leg, rooms)
            elif kind == "ended":
                rooms.wait_end_posted(leg.sid)
            call.room_ended()
            return True
    return False


def pump(rooms: SimRooms, but: str = "") -> None:
    """Deliver to this process's other calls at once (the tests' calls share a process)."""
    for sid, other in list(rooms.local.items()):
        if sid != but and other.room is not None:
            deliver(other)
