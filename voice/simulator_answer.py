"""``lampio call --answer``: the terminal phone picks up a call the service placed.

On the embedded default the simulated Twilio client (``voice.twilio_sim``) keeps each call the
service asks it to place. This takes the next one placed to the phone's number and plays it as
Twilio would: the signed answer webhook (with ``AnsweredBy``), the same turns as any call, and
the status callback the service asked for when the call ends. A call the participants API
placed (the live console calling a staff host in) has no answer URL: Twilio puts it straight
into the room, as if its TwiML were that ``<Dial><Conference>``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .simulator import SimulatedCall, Transport, Turn


class AnsweredCall(SimulatedCall):
    def __init__(self, transport: Transport, auth_token: str, base_url: str,
                 placed: dict[str, Any], answered_by: str = "human", **kwargs: Any) -> None:
        super().__init__(transport, auth_token, base_url, from_number=placed["from"],
                         to_number=placed["to"], direction="outbound-api", **kwargs)
        self.call_sid = placed["sid"]
        self.placed = placed
        self.answered_by = answered_by

    def call(self, path: str = "") -> Turn:
        """The person picks up: Twilio posts to the URL given to ``calls.create``."""
        room = self.placed.get("conference")
        if room:
            return self.land(self._parse(200, conference_twiml(room)))
        return self.post(self.placed["url"], {"AnsweredBy": self.answered_by})

    def hang_up(self, duration: int = 30) -> Turn:
        """The call ends: Twilio posts to the status callback given to ``calls.create``."""
        target = self.placed.get("status_callback") or "/voice/status"
        return self.post(target, {"CallStatus": "completed", "CallDuration": str(duration)})


def conference_twiml(room: dict[str, str]) -> str:
    """The ``<Dial><Conference>`` equivalent of a participants-API join (no ``<Dial>`` action:
    when the room is over, the call ends)."""
    response = ET.Element("Response")
    conf = ET.SubElement(ET.SubElement(response, "Dial"), "Conference",
                         {k: v for k, v in room.items() if k != "name"})
    conf.text = room["name"]
    return ET.tostring(response, encoding="unicode")
