"""One simulated call played to its end, as Twilio would play it, with a printable transcript.

``run_call`` is pure — any transport, any input source — so the tests drive the same loop through
the Flask test client, ``lampio call`` through HTTP, and the benchmark through plain HTTP.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ivr_flows import prompts

from .simulator import SimulatedCall, Turn
from .simulator_http import RecordingServer
from .simulator_inputs import InputSource, RoomLook

LANG_KEYS = {"fi": "1", "sv": "2", "en": "3"}
SAID, PRESSED, SPOKE = "🔊", "⌨ ", "🗣 "
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_KEY_IN_TEXT = re.compile(r"(?<![\w.:])([0-9])(?=[.,:;!?]|\s*$)")
_PRESS = {"fi": "paina", "sv": "tryck", "en": "press"}


def keys_in(text: str) -> list[str]:
    """The keys a turn's prompts offer: "paina yksi" / "tryck ett" / "press one" (keys are said
    as words), the short reprompts' "Vahvista yksi, takaisin kaksi.", or a bare digit."""
    found: list[str] = []
    for lang in prompts.LANGUAGES:
        words = [w.lower() for w in prompts.raw(lang, "words.digits")]
        alts = "|".join(sorted(words, key=len, reverse=True))
        for m in re.finditer(rf"\b{_PRESS[lang]}\s+({alts})\b", text, re.IGNORECASE):
            found.append(str(words.index(m.group(1).lower())))
        short = rf"[^\W\d][\w ]*? ({alts})"
        for sentence in sentences(text):
            if re.fullmatch(rf"{short}(?:, {short})*\.", sentence, re.IGNORECASE):
                found += [str(words.index(w.lower()))
                          for w in re.findall(rf"\b({alts})(?=[,.])", sentence, re.IGNORECASE)]
    return found + _KEY_IN_TEXT.findall(text)


@dataclass
class CallResult:
    transcript: list[str] = field(default_factory=list)
    turns: int = 0
    transfers: int = 0
    ended_by: str = ""  # "caller", "service", "error", "limit"
    error: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.transcript)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def is_language_menu(turn: Turn) -> bool:
    """The first-call language choice: every language's option is heard in one turn."""
    return all(prompts.text(lang, "language.option") in turn.text for lang in prompts.LANGUAGES)


def expected_keys(turn: Turn) -> str:
    """A one-line hint from the ``<Gather>`` and the keys its prompts mention."""
    g = turn.gather
    if g is None:
        return ""
    keys = list(dict.fromkeys(keys_in(turn.text)))
    parts = [f"keys heard: {' '.join(keys)}" if keys else "keys"]
    if g.get("finishOnKey") == "#" and not g.get("numDigits"):
        parts.append("digits then #")
    elif g.get("numDigits"):
        parts.append(f"{g.get('numDigits')} key(s)")
    parts.append("* repeats · 0 a person")
    if "speech" in (g.get("input") or ""):
        parts.append("or type words")
    parts.append(f"Enter = silence ({g.get('timeout', '5')} s) · h = hang up")
    return "[" + " · ".join(parts) + "]"


def room_news(call: SimulatedCall, out: Callable[[str], None]) -> RoomLook:
    """One look at the call's room: print what it said; whether the call is out of it."""
    left = call.poll_room()
    look = RoomLook(left=left, news=bool(call.heard))
    for said in call.heard:
        if said.startswith("["):
            out(said)  # what happens, not what is said: [in the room], [you can speak] …
            continue
        for sentence in sentences(said):
            out(f"{SAID} {sentence}")
    call.heard.clear()
    return look


def taken_out(call: SimulatedCall) -> Turn:
    """The flow's answer once the room let the call go (already posted by ``poll_room``)."""
    assert call.after_room is not None
    return call.after_room


def run_call(call: SimulatedCall, inputs: InputSource, *, lang: str | None = None,
             entry: str = "/voice/incoming", echo: Callable[[str], None] | None = None,
             max_turns: int = 300) -> CallResult:
    """Play one call to its end as Twilio would, and return the transcript.

    Ends with the status callback whether the caller or the service hangs up. ``lang`` presses
    the language key when the first-call language menu is heard.
    """
    result = CallResult()
    servers: list[RecordingServer] = []

    def out(line: str) -> None:
        result.transcript.append(line)
        if echo:
            echo(line)

    def other_host_in(c: SimulatedCall) -> bool:
        conf = c.rooms.conference(c.room.sid) if c.room is not None else None
        return conf is not None and any(m.get("host") for sid, m in conf["members"].items()
                                        if sid != c.call_sid)

    def post(fn: Callable[[], Turn]) -> Turn:
        result.turns += 1
        turn = fn()
        for said in turn.said:
            for sentence in sentences(said):
                out(f"{SAID} {sentence}")
        return turn

    def hang_up(by: str) -> None:
        out("[caller hangs up]" if by == "caller" else "[the service ended the call]")
        result.turns += 1
        call.hang_up()
        result.ended_by = by

    auto_lang = lang
    try:
        turn = post(lambda: call.call(entry))
        while True:
            if turn.status >= 300 or turn.root is None:
                result.error = f"HTTP {turn.status}" + (
                    ": the service refused the signature (is TWILIO_AUTH_TOKEN / PUBLIC_BASE_URL the "
                    "same as the server's?)" if turn.status == 403 else
                    "" if turn.status >= 300 else ": the answer was not TwiML")
                out(f"[error: {result.error}]")
                result.ended_by = "error"
                return result
            if result.turns >= max_turns:
                hang_up("caller")
                result.ended_by = "limit"
                return result
            if turn.gather is not None:
                if auto_lang and is_language_menu(turn):
                    key = LANG_KEYS[auto_lang]
                    auto_lang = None
                    out(f"{PRESSED} {key}   (--lang)")
                    turn = post(lambda: call.press(key))
                    continue
                action = inputs.gather(turn, expected_keys(turn))
                if action.kind == "keys":
                    out(f"{PRESSED} {action.value}")
                    turn = post(lambda: call.press(action.value))
                elif action.kind == "speech":
                    out(f"{SPOKE} \"{action.value}\"")
                    turn = post(lambda: call.say(action.value) if action.confidence is None
                                else call.say(action.value, f"{action.confidence:.2f}"))
                elif action.kind == "silence":
                    out("[silence]")
                    turn = post(call.silence)
                else:
                    hang_up("caller")
                    return result
            elif call.room is not None:
                star = " · * opens the menu" if call.room.star_leaves else ""
                # With a host in (another terminal, or the console's call), the host ends it;
                # alone, Enter stands in for the end of the performance.
                hosted = other_host_in(call)
                ends = "" if hosted else " · Enter = the performance ends"
                room_action = inputs.room(f"[in the room{star}{ends} · h = hang up]",
                                          lambda: room_news(call, out))
                if room_action is None:  # removed, or the room ended: back in the flow
                    turn = post(lambda: taken_out(call))
                elif room_action.kind == "keys" and room_action.value == "*" and call.room.star_leaves:
                    out(f"{PRESSED} *")
                    turn = post(call.star)
                elif room_action.kind == "hangup":
                    hang_up("caller")
                    return result
                elif hosted:
                    out("[the host ends the performance; * opens the menu, h hangs up]")
                else:
                    out("[the performance ends]")
                    turn = post(call.end_room)
            elif turn.dial is not None:
                number = "".join(turn.dial.itertext()).strip() or "?"
                result.transfers += 1
                out(f"[transferring to {number} …]")
                if inputs.transfer(number).kind == "hangup":
                    hang_up("caller")
                    return result
                out("[the person has finished]")
                turn = post(call.dial_ended)
            elif turn.record is not None:
                out("[recording after the beep]")
                action = inputs.record()
                if action.kind == "hangup":
                    hang_up("caller")
                    return result
                if action.kind == "record" and Path(action.value).is_file():
                    server = RecordingServer(Path(action.value))
                    servers.append(server)
                    out(f"[recorded {action.value}]")
                    turn = post(lambda: call.recorded(server.url, server.seconds))
                else:
                    if action.kind == "record":
                        out(f"[no such file: {action.value}; nothing recorded]")
                    else:
                        out("[nothing recorded]")
                    turn = post(call.silence)  # Twilio falls through to the <Redirect>
            elif turn.hangs_up:
                hang_up("service")
                return result
            elif call.timeout_action:
                turn = post(call.silence)  # a bare <Redirect>: Twilio follows it at once
            else:
                hang_up("service")  # TwiML ran out: Twilio ends the call
                return result
    finally:
        for server in servers:
            server.close()
