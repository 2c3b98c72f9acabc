"""A seeded fuzzing caller: many signed webhook posts with odd input, counted.

Used by ``tests/test_fuzz_calls.py`` (1,000 posts, asserting) and ``bench/fuzz_calls.py``
(10,000, printing). Each post is signed exactly as Twilio signs (``SimulatedCall``), so it gets
past the signature check and reaches the flows: real action URLs followed with odd keys and
words, mangled ones, new calls with odd CallSids and numbers, status callbacks and the fallback.
What must hold for every one: no 5xx, the body is TwiML (or empty for a status callback), and no
``<Hangup/>`` for a caller who has not hung up.
"""
from __future__ import annotations

import random
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from .simulator import SimulatedCall, Transport

ODD_KEYS = ["²", "٣", "١٢٣#", "\x00", "1\x00", "9" * 300, "", "#", "*", "0", "1", "2", "3",
            "4", "9", "123#", "101#", "1234#", "2468#", "0000#", "ä", "½", "x" * 3000, " 1 ",
            "\r\n", "<Hangup/>", "&amp;"]
ODD_SPEECH = ["", "yksi", "kaksi kolme", "² ٣", "\x00", "nolla", "tähti", "repeat", "henkilö",
              "one two three", "a" * 4000, "<Say>", "päävalikko", "Ⅻ", "🙂"]
ODD_SIDS = ["CA" + "a" * 63, "CA" + "0" * 31 + "\x00", "", "CA1", "ca" + "f" * 32,
            "CA" + "g" * 32, "x" * 2000, "CA" + "٣" * 32]
ODD_FROM = ["+358912345678", "+358401234567", "anonymous", "", "+358" + "9" * 30, "\x00",
            "²²²", "not a number", "+1 (202) 555-0100", "+358942000099"]
PROVIDER_KEYS = ["1", "1#", "2468#", "1111#", "0000#", "987654#", "²#", "1"]  # number, PIN guesses
ODD_EVENTS = ["", "timeout", "record", "dial", "restart", "nonsense", "\x00", "²"]
ODD_STATUS = ["completed", "busy", "failed", "no-answer", "canceled", "", "x" * 100, "\x00"]


_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")


def is_twiml(body: str) -> bool:
    try:
        return ET.fromstring(body).tag == "Response"
    except ET.ParseError:
        return False


@dataclass
class Counts:
    posts: int = 0
    status: Counter[int] = field(default_factory=Counter)
    endpoints: Counter[str] = field(default_factory=Counter)
    apologies: int = 0
    # Apologies for odd keys or words on a real action URL of a real call: none may happen.
    flow_apologies: list[str] = field(default_factory=list)
    hangups: int = 0
    bad_hangups: list[str] = field(default_factory=list)
    invalid_xml: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.bad_hangups or self.invalid_xml or self.server_errors
                    or self.flow_apologies)


class Fuzzer:
    """Keeps a handful of calls going and sends each post to one of them (or a new one)."""

    def __init__(self, transport: Transport, auth_token: str, base_url: str, seed: int,
                 provider_number: str = "+358942000099") -> None:
        self.rng = random.Random(seed)
        self.transport, self.token, self.base = transport, auth_token, base_url
        self.provider_number = provider_number
        self.calls: list[SimulatedCall] = []
        self.hung_up: set[int] = set()
        self.counts = Counts()

    # -- making and choosing calls -------------------------------------------------------
    def _new_call(self) -> SimulatedCall:
        r = self.rng
        call = SimulatedCall(self.transport, self.token, self.base,
                             from_number=r.choice(ODD_FROM) if r.random() < 0.4 else
                             f"+3589{r.randrange(1000000, 9999999)}")
        call.call_sid = "CA" + uuid.UUID(int=r.getrandbits(128)).hex
        if r.random() < 0.15:
            call.call_sid = r.choice(ODD_SIDS)
        elif r.random() < 0.05 and self.calls:  # a CallSid reused by another number
            call.call_sid = r.choice(self.calls).call_sid
        self.calls.append(call)
        if len(self.calls) > 12:
            self.calls.pop(0)
        return call

    def _odd_input(self, call: SimulatedCall | None = None) -> dict[str, str]:
        r = self.rng
        form: dict[str, str] = {}
        if call is not None and call.to_number == self.provider_number and r.random() < 0.6:
            form["Digits"] = r.choice(PROVIDER_KEYS)
        elif r.random() < 0.8:
            form["Digits"] = r.choice(ODD_KEYS)
        if r.random() < 0.4:
            form["SpeechResult"] = r.choice(ODD_SPEECH)
            form["Confidence"] = r.choice(["0.9", "0.1", "", "x"])
        return form

    def _mangled(self, url: str) -> str:
        r = self.rng
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        how = r.randrange(5)
        token = query.get("s", "")
        if how == 0:
            query["s"] = token[: r.randrange(len(token) + 1)]
        elif how == 1 and token:
            i = r.randrange(len(token))
            query["s"] = token[:i] + r.choice("A_-z0=%") + token[i + 1:]
        elif how == 2:
            query["s"] = r.choice(["db", "", "x" * 3000, "\x00", "eJyrVkrLz1eyUkpKLFKqBQApzwS5"])
        elif how == 3:
            query.pop("s", None)
        query["event"] = r.choice(ODD_EVENTS) if r.random() < 0.5 else query.get("event", "")
        return f"{parts.path}?{urlencode({k: v for k, v in query.items() if v or k == 's'})}"

    # -- one post --------------------------------------------------------------------------
    def step(self) -> None:
        r = self.rng
        roll = r.random()
        live = [c for c in self.calls if c.next_action or c.timeout_action]
        if roll < 0.15 or not live:
            call = self._new_call()
            path = "/voice/provider/incoming" if r.random() < 0.3 else "/voice/incoming"
            if path.endswith("provider/incoming"):
                call.to_number = self.provider_number
            self._post(call, path, {})
        elif roll < 0.70:
            call = r.choice(live)
            url = call.next_action or call.timeout_action or "/voice/turn"
            extra = self._odd_input(call) if call.next_action else {}
            self._post(call, url, extra, real=True)
        elif roll < 0.82:
            call = r.choice(live)
            self._post(call, self._mangled(call.next_action or call.timeout_action or ""),
                       self._odd_input())
        elif roll < 0.91:
            call = r.choice(self.calls)
            self._status(call)
        else:
            call = r.choice(self.calls)
            path = "/voice/fallback" + (r.choice(["", "?choice=1"]))
            self._post(call, path, self._odd_input())

    def _status(self, call: SimulatedCall) -> None:
        r = self.rng
        extra = {"CallSid": call.call_sid, "From": call.from_number,
                 "CallStatus": r.choice(ODD_STATUS),
                 "CallDuration": r.choice(["30", "", "²", "9" * 40, "\x00", "-1"])}
        status = call.callback("/voice/status", extra)
        self._note("/voice/status", status, "", empty_ok=True)
        self.hung_up.add(id(call))

    def _post(self, call: SimulatedCall, url: str, extra: dict[str, str],
              real: bool = False) -> None:
        turn = call.post(url, extra)
        self._note(urlsplit(url).path, turn.status, turn.body)
        if real and "/voice/fallback" in turn.body and _CALL_SID.fullmatch(call.call_sid) \
                and "event=restart" not in url and "/voice/fallback" not in url:
            self.counts.flow_apologies.append(f"{url[:60]} {extra!r:.80}")
        if turn.hangs_up:
            self.counts.hangups += 1
            if id(call) not in self.hung_up:
                self.counts.bad_hangups.append(f"{url[:80]} {extra!r:.80}")

    def _note(self, path: str, status: int, body: str, empty_ok: bool = False) -> None:
        c = self.counts
        c.posts += 1
        c.status[status] += 1
        c.endpoints[path] += 1
        if status >= 500:
            c.server_errors.append(f"{path} {status}")
        elif not (empty_ok and not body.strip()) and not is_twiml(body):
            c.invalid_xml.append(f"{path} {status} {body[:80]!r}")
        if "/voice/fallback" in body:
            c.apologies += 1

    def run(self, posts: int) -> Counts:
        for _ in range(posts):
            self.step()
        return self.counts
