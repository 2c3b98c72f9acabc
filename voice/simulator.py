"""A simulated phone that speaks to the webhooks exactly as Twilio does.

It signs form posts with the account's auth token, parses the TwiML it gets back and follows
``<Gather>``, ``<Redirect>``, ``<Dial>``, ``<Record>`` and ``<Hangup>``. The transport is
pluggable: the tests use Flask's test client, ``lampio call`` and the benchmark use HTTP.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

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


def spoken(el: ET.Element, play_text: PlayText | None = None) -> list[str]:
    """What a caller hears from a TwiML element, in order (``<Say>`` text, ``<Play>`` via its
    sidecar text)."""
    out: list[str] = []
    for child in el.iter():
        if child.tag == "Say":
            text = "".join(child.itertext()).strip()
            if text:
                out.append(text)
        elif child.tag == "Play" and child.text:
            out.append((play_text(child.text) if play_text else None) or f"[audio {child.text}]")
    return out


class SimulatedCall:
    def __init__(self, transport: Transport, auth_token: str, base_url: str, *,
                 from_number: str = "+358912345678", to_number: str = "+358942000000",
                 play_text: PlayText | None = None, direction: str = "inbound") -> None:
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

    # -- transport ---------------------------------------------------------------------------
    def post(self, url: str, extra: dict[str, str] | None = None) -> Turn:
        full = url if url.startswith("http") else urljoin(self.base_url + "/", url.lstrip("/"))
        form = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                "To": self.to_number, "CallStatus": "in-progress", "Direction": self.direction,
                "ApiVersion": "2010-04-01"}
        form.update(extra or {})
        headers = {"X-Twilio-Signature": self.validator.compute_signature(full, form)} if self.sign else {}
        parts = urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        status, body = self.transport(path, form, headers)
        return self._parse(status, body)

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

    def hang_up(self, duration: int = 30) -> Turn:
        return self.post("/voice/status", {"CallStatus": "completed", "CallDuration": str(duration)})
