"""The simulated phone in a live room: what Twilio does around ``<Dial><Conference>``.

Twilio keeps a caller in the conference, posts the conference's status callbacks (start, end,
join, leave) and, when the caller presses ``*`` (``hangupOnStar``) or the room ends, posts the
``<Dial>`` action. ``SimRooms`` is the simulator's stand-in for Twilio's conferences, shared by
the simulated calls of one test (or one ``lampio call``), so a host ending the room sends every
listener back to the flow.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .simulator import SimulatedCall, Turn

WAITING = "[in the room: waiting music]"
IN_ROOM = "[in the room]"


@dataclass
class SimConference:
    name: str
    sid: str = field(default_factory=lambda: "CF" + uuid.uuid4().hex)
    started: bool = False
    ended: bool = False
    members: dict[str, "SimulatedCall"] = field(default_factory=dict)


@dataclass
class SimRooms:
    """Conferences by friendly name; an ended one is replaced by a new one of the same name."""

    rooms: dict[str, SimConference] = field(default_factory=dict)

    def get(self, name: str) -> SimConference:
        conf = self.rooms.get(name)
        if conf is None or conf.ended:
            conf = self.rooms[name] = SimConference(name)
        return conf


@dataclass
class RoomLeg:
    """One call's place in a conference, read from the ``<Dial>`` that put it there."""

    conf: SimConference
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
    conf = rooms.get((el.text or "").strip())
    leg = RoomLeg(conf=conf, action=dial.get("action") or "",
                  status_callback=el.get("statusCallback") or "",
                  host=el.get("startConferenceOnEnter") == "true",
                  ends_room=el.get("endConferenceOnExit") == "true",
                  muted=el.get("muted") == "true", star_leaves=dial.get("hangupOnStar") == "true")
    conf.members[call.call_sid] = call
    event(call, leg, "participant-join", Muted=str(leg.muted).lower())
    if leg.host and not conf.started:
        conf.started = True
        event(call, leg, "conference-start")
    turn.said.append(IN_ROOM if conf.started else WAITING)
    return leg


def event(call: "SimulatedCall", leg: RoomLeg, name: str, **extra: str) -> None:
    """One status callback, signed as Twilio signs it."""
    if not leg.status_callback:
        return
    form = {"ConferenceSid": leg.conf.sid, "FriendlyName": leg.conf.name,
            "StatusCallbackEvent": name, "Hold": "false", "EndConferenceOnExit": "false"}
    if name.startswith("participant-"):
        form["CallSid"] = call.call_sid
    form.update(extra)
    call.callback(leg.status_callback, form)


def leave(call: "SimulatedCall", leg: RoomLeg) -> None:
    """The call leaves the room; a host who ends the room sends everyone else back too."""
    leg.conf.members.pop(call.call_sid, None)
    event(call, leg, "participant-leave")
    if leg.host and leg.ends_room and not leg.conf.ended:
        end(call, leg)


def end(call: "SimulatedCall", leg: RoomLeg) -> None:
    conf = leg.conf
    conf.ended = True
    event(call, leg, "conference-end")
    for other in list(conf.members.values()):
        other.room_ended()
