"""A simulated phone that speaks to the webhooks exactly as Twilio does.

It signs form posts with the account's auth token, parses the TwiML it gets back and follows
``<Gather>``, ``<Redirect>``, ``<Dial>``, ``<Record>`` and ``<Hangup>``, and takes part in live
rooms (``<Dial><Conference>``: see ``simulator_rooms``; the rooms are shared through
``voice.sim_store``). The transport is pluggable: the tests use Flask's test client, ``lampio call`` and the benchmark use HTTP.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

from . import simulator_rooms as sim_rooms

# (path with query, form, headers) -> (status code, body)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
# A <Play> URL -> the text it says (the audio cache keeps a sidecar with it), or None.
PlayText = Callable[[str], "str | None"]


@dataclass
class Turn:
    """One webhook answer, parsed."""

    status: int
    body: str
    root: ET.Element | None
    said: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.said)

    def verbs(self) -> list[str]:
        return [el.tag for el in self.root] if self.root is not None else []

    def find(self, tag: str) -> ET.Element | None:
        return self.root.find(tag) if self.root is not None else None

    @property
    def gather(self) -> ET.Element | None:
        return self.find("Gather")

    @property
    def hangs_up(self) -> bool:
        return "Hangup" in self.verbs()

    @property
    def dial(self) -> ET.Element | None:
        return self.find("Dial")

    @property
    def record(self) -> ET.Element | None:
        return self.find("Record")


@dataclass(frozen=True)
class Heard:
    """One thing a caller hears: a ``<Say>``'s text, or a ``<Play>``'s URL with the text its
    sidecar keeps (``[audio URL]`` when none); ``pause``: the ``<Pause>`` seconds before it."""

    text: str
    url: str | None = None
    pause: float = 0.0


def heard(el: ET.Element, play_text: PlayText | None = None) -> list[Heard]:
    """What a caller hears from a TwiML element, in order."""
    out: list[Heard] = []
    pause = 0.0
    for child in el.iter():
        if child.tag == "Pause":
            try:
                pause += float(child.get("length") or 1)
            except ValueError:
                pause += 1.0
        elif child.tag == "Say":
            text = "".join(child.itertext()).strip()
            if text:
                out.append(Heard(text, None, pause))
                pause = 0.0
        elif child.tag == "Play" and child.text:
            text = (play_text(child.text) if play_text else None) or f"[audio {child.text}]"
            out.append(Heard(text, child.text.strip(), pause))
            pause = 0.0
    return out


def spoken(el: ET.Element, play_text: PlayText | None = None) -> list[str]:
    """What a caller hears from a TwiML element, in order (``<Say>`` text, ``<Play>`` via its
    sidecar text)."""
    return [h.text for h in heard(el, play_text)]


class SimulatedCall:
    def __init__(self, transport: Transport, auth_token: str, base_url: str, *,
                 from_number: str = "+358912345678", to_number: str = "+358942000000",
                 play_text: PlayText | None = None, direction: str = "inbound",
                 rooms: sim_rooms.SimRooms | None = None) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.base_url = base_url.rstrip("/")
        self.from_number = from_number
        self.to_number = to_number
        self.play_text = play_text
        self.direction = direction
        self.call_sid = "CA" + uuid.uuid4().hex
        self.last: Turn | None = None
        self.next_action: str | None = None  # the <Gather> action waiting for input
        self.timeout_action: str | None = None  # where silence leads
        self.sign = True
        self.rooms = rooms if rooms is not None else sim_rooms.SimRooms()
        self.room: sim_rooms.RoomLeg | None = None  # the live room the call is in
        self.after_room: Turn | None = None  # what the flow answered when the room ended
        self.heard: list[str] = []  # what the room said meanwhile (announcements, [muted] …)

    # -- transport ---------------------------------------------------------------------------
    def _signed(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        full = url if url.startswith("http") else urljoin(self.base_url + "/", url.lstrip("/"))
        headers = {"X-Twilio-Signature": self.validator.compute_signature(full, form)} if self.sign else {}
        parts = urlsplit(full)
        return self.transport(parts.path + (f"?{parts.query}" if parts.query else ""), form, headers)

    def callback(self, url: str, extra: dict[str, str]) -> int:
        """A status callback Twilio would send (its answer is not TwiML for the call)."""
        form = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", **extra}
        return self._signed(url, form)[0]

    def post(self, url: str, extra: dict[str, str] | None = None) -> Turn:
        full = url if url.startswith("http") else urljoin(self.base_url + "/", url.lstrip("/"))
        form = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                "To": self.to_number, "CallStatus": "in-progress", "Direction": self.direction,
                "ApiVersion": "2010-04-01"}
        form.update(extra or {})
        status, body = self._signed(full, form)
        return self.land(self._parse(status, body))

    def land(self, turn: Turn) -> Turn:
        """A turn has been answered: if it puts the call into a room, the call is there now."""
        self.room = sim_rooms.enter(self, turn, self.rooms)
        return turn

    def announcement(self, url: str, conference_sid: str) -> list[str]:
        """What an ``AnnounceUrl`` says to this call (fetched signed, as Twilio fetches it; its
        TwiML does not move the call)."""
        form = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32,
                "ConferenceSid": conference_sid, "ApiVersion": "2010-04-01"}
        status, body = self._signed(url, form)
        try:
            root = ET.fromstring(body) if status < 300 and body.strip() else None
        except ET.ParseError:
            root = None
        return spoken(root, self.play_text) if root is not None else [f"[announcement: HTTP {status}]"]

    def _parse(self, status: int, body: str) -> Turn:
        try:
            root = ET.fromstring(body) if body.strip() else None
        except ET.ParseError:
            root = None
        turn = Turn(status=status, body=body, root=root)
        if root is not None:
            turn.said = spoken(root, self.play_text)
            gather = root.find("Gather")
            redirect = root.find("Redirect")
            self.next_action = gather.get("action") if gather is not None else None
            self.timeout_action = redirect.text if redirect is not None else None
        self.last = turn
        return turn

    # -- what a caller does ------------------------------------------------------------------
    def call(self, path: str = "/voice/incoming") -> Turn:
        return self.post(path)

    def press(self, digits: str) -> Turn:
        assert self.next_action, "nothing is waiting for keys"
        return self.post(self.next_action, {"Digits": digits})

    def say(self, words: str, confidence: str = "0.9") -> Turn:
        assert self.next_action, "nothing is waiting for speech"
        return self.post(self.next_action, {"SpeechResult": words, "Confidence": confidence})

    def silence(self) -> Turn:
        """Say nothing until the gather times out: Twilio follows the ``<Redirect>``."""
        assert self.timeout_action, "nothing follows silence"
        return self.post(self.timeout_action)

    def dial_ended(self, status: str = "completed") -> Turn:
        dial = self.last.dial if self.last else None
        assert dial is not None, "no transfer in progress"
        return self.post(dial.get("action") or "", {"DialCallStatus": status})

    def recorded(self, url: str | None, duration: int = 0) -> Turn:
        rec = self.last.record if self.last else None
        assert rec is not None, "not recording"
        extra = {"RecordingUrl": url, "RecordingDuration": str(duration),
                 "RecordingSid": "RE" + uuid.uuid4().hex} if url else {}
        return self.post(rec.get("action") or "", extra)

    # -- in a live room ------------------------------------------------------------------------
    def star(self) -> Turn:
        """``*`` in the room: Twilio takes the call out of it and posts the ``<Dial>`` action."""
        leg = self.room
        assert leg is not None and leg.star_leaves, "not in a room that * leaves"
        self.room = None
        sim_rooms.leave(self, leg)
        return self.post(leg.action, {"DialCallStatus": "completed"})

    def poll_room(self) -> bool:
        """Look at the room: what it said is in ``heard``; True when the call has been taken
        out of it (removed, or the room ended) and ``after_room`` is the flow's answer."""
        return sim_rooms.deliver(self)

    def room_ended(self) -> Turn:
        """The call is taken out of the room (removed, or the room ended): Twilio posts its
        leave and then the ``<Dial>`` action (a call the participants API placed just ends)."""
        leg = self.room
        assert leg is not None, "not in a room"
        self.room = None
        sim_rooms.leave(self, leg)
        if leg.action:
            self.after_room = self.post(leg.action, {"DialCallStatus": "completed"})
        else:
            self.after_room = self._parse(200, "<Response><Hangup/></Response>")
        return self.after_room

    def end_room(self) -> Turn:
        """The room ends (as when its host leaves): status callbacks, then every call in it
        goes back to the flow; this call's answer is returned."""
        leg = self.room
        assert leg is not None, "not in a room"
        sim_rooms.end(self, leg)
        assert self.after_room is not None
        return self.after_room

    def hang_up(self, duration: int = 30) -> Turn:
        if self.room is not None:
            leg, self.room = self.room, None
            sim_rooms.leave(self, leg)
        return self.post("/voice/status", {"CallStatus": "completed", "CallDuration": str(duration)})
