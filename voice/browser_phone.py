"""The browser phone's server side: a ``SimulatedCall`` advanced one caller's act per request.

The admin's page (``/admin/phone``) cannot sign webhooks (the auth token never leaves the
server), so it asks this module, through ``app.extensions["lampio_browser_phone"]``, to do what
the terminal simulator does: post to the real ``/voice`` webhooks with an ``X-Twilio-Signature``
made with the auth token, parse the TwiML, follow ``<Redirect>`` and ``<Hangup>``, and end the
call with its status callback. The transport is the app itself (WSGI, in process), so it works
behind any proxy and with any number of workers. Between requests the call lives in a token the
server signed (``itsdangerous``, bound to the user): the page cannot move it to another URL,
another call or another user, and no server memory holds it.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .browser_speech import BrowserSpeech, PhoneError
from .sim_store import SimRooms
from .simulator import PlayText, SimulatedCall, Transport, Turn, heard
from .simulator_rooms import RoomLeg
from .simulator_http import DEFAULT_TO, wsgi_transport
from .simulator_run import LANG_KEYS, is_language_menu, keys_in
from .twiml import SPEECH_LANG

SALT = "lampio-browser-phone"
LINES = ("service", "provider")
ACTIONS = ("keys", "silence", "hangup", "transfer_done", "no_recording", "poll", "room_end")
MAX_FOLLOW = 12  # redirects and automatic answers followed in one step
_LANG_OF = {v: k for k, v in SPEECH_LANG.items()}


def local_url(url: str, base: str) -> str:
    """A ``<Play>`` URL on the service's own host as a path, so the page plays it from its own
    origin (the admin's CSP allows only ``media-src 'self'``)."""
    if url.startswith(base.rstrip("/") + "/"):
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url


@dataclass
class CallState:
    """What the next step needs, carried by the signed token."""

    user: int
    sid: str
    from_number: str
    to_number: str
    lang: str  # the language key pressed when the language menu is heard; "" once pressed
    started: float
    next_action: str | None = None
    timeout_action: str | None = None
    dial_action: str | None = None
    record: bool = False
    room: dict[str, Any] | None = None
    speech_lang: str = ""  # the <Gather>'s language, when it takes speech
    model_lang: str = ""  # the Vosk model chosen when dialling; "": the call's language's
    hints: str = ""
    ended: bool = False


class BrowserPhone:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.tokens = URLSafeTimedSerializer(str(app.config["SECRET_KEY"]), salt=SALT)
        self.max_age = int(app.config.get("CALL_STALE_HOURS", 4)) * 3600
        self.rooms_folder = app.instance_path  # the rooms every simulator shares (sim_store)
        self.speech = BrowserSpeech(str(app.config.get("VOSK_MODELS") or ""))

    # -- the token -----------------------------------------------------------------------------
    def load(self, token: str, user: int) -> CallState:
        try:
            data = self.tokens.loads(token, max_age=self.max_age)
            state = CallState(**data)
        except (BadSignature, TypeError, ValueError):
            raise PhoneError("bad_token") from None
        if state.user != user:
            raise PhoneError("bad_token")
        return state

    def dump(self, state: CallState) -> str:
        return str(self.tokens.dumps(asdict(state)))

    # -- the call ------------------------------------------------------------------------------
    def _call(self, state: CallState, base: str) -> SimulatedCall:
        call = SimulatedCall(wsgi_transport(self.app, base),
                             str(self.app.config["TWILIO_AUTH_TOKEN"]), base,
                             from_number=state.from_number, to_number=state.to_number,
                             play_text=self._play_text(),
                             rooms=SimRooms.in_folder(self.rooms_folder))
        call.call_sid = state.sid
        call.next_action, call.timeout_action = state.next_action, state.timeout_action
        call.room = RoomLeg(**state.room) if state.room else None
        return call

    def start(self, *, user: int, from_number: str, line: str, lang: str, base: str,
              model_lang: str = "") -> dict[str, Any]:
        """Dial: the first webhook of the service line or the provider line."""
        if line not in LINES or (lang and lang not in LANG_KEYS) or (
                model_lang and model_lang not in self.speech.languages()):
            raise PhoneError("bad_choice")
        cfg = self.app.config
        to = str((cfg.get("TWILIO_PROVIDER_NUMBER") if line == "provider" else "")
                 or cfg.get("SERVICE_PHONE_NUMBER") or DEFAULT_TO)
        state = CallState(user=user, sid="CA" + uuid.uuid4().hex, from_number=from_number,
                          to_number=to, lang=lang, started=time.time(), model_lang=model_lang)
        call = self._call(state, base)
        entry = "/voice/provider/incoming" if line == "provider" else "/voice/incoming"
        return self._follow(state, call, call.call(entry), base, [])

    def step(self, token: str, user: int, action: str, value: str = "", *,
             base: str) -> dict[str, Any]:
        """One act of the caller's: keys, silence, hanging up, the transfer's end, no
        recording, a look at the live room (``poll``), or the end of the performance (words
        come recognised from a recording: ``speak``)."""
        state = self.load(token, user)
        if state.ended:
            raise PhoneError("ended")
        if action not in ACTIONS:
            raise PhoneError("bad_action")
        call = self._call(state, base)
        log: list[dict[str, str]] = []
        if action == "hangup":
            call.hang_up(max(1, round(time.time() - state.started)))
            state.ended = True
            return self._answer(state, None, base, log, ended_by="caller")
        if action == "poll":
            if call.room is None:
                raise PhoneError("not_in_room")
            if not call.poll_room():
                return self._answer(state, None, base, log, room_news=call.heard)
            assert call.after_room is not None
            return self._follow(state, call, call.after_room, base, log)
        if action == "room_end":
            if call.room is None:
                raise PhoneError("not_in_room")
            return self._follow(state, call, call.end_room(), base, log)
        if action == "keys" and value == "*" and call.room is not None:
            if not call.room.star_leaves:
                raise PhoneError("not_now")
            return self._follow(state, call, call.star(), base, log)
        if action == "keys":
            if not value or any(c not in "0123456789*#" for c in value) or len(value) > 32:
                raise PhoneError("bad_keys")
            if not state.next_action:
                raise PhoneError("not_now")
            return self._follow(state, call, call.press(value), base, log)
        if action == "transfer_done":
            if not state.dial_action:
                raise PhoneError("not_now")
            return self._follow(state, call, call.post(state.dial_action,
                                                       {"DialCallStatus": "completed"}), base, log)
        if not call.timeout_action:  # silence, or a <Record> the caller leaves empty
            raise PhoneError("not_now")
        if action == "no_recording" and not state.record:
            raise PhoneError("not_now")
        return self._follow(state, call, call.silence(), base, log)

    def speak(self, token: str, user: int, audio: bytes, *, base: str) -> dict[str, Any]:
        """Hold-to-speak: the recording recognised with the menu's grammar, posted as the
        caller's ``SpeechResult`` and ``Confidence``; nothing understood is no input, as on the
        phone (the flow reprompts)."""
        state = self.load(token, user)
        if state.ended:
            raise PhoneError("ended")
        if not state.next_action or not state.speech_lang:
            raise PhoneError("not_now")
        model = self.speech.model_for(state.speech_lang, state.model_lang)
        if model is None:
            raise PhoneError("no_speech")
        hints = [h.strip() for h in state.hints.split(",") if h.strip()]
        heard = self.speech.hear(audio, state.speech_lang, model, hints)
        call = self._call(state, base)
        turn = call.say(heard.words, f"{heard.confidence:.2f}") if heard.words else \
            call.post(state.next_action)
        answer = self._follow(state, call, turn, base, [])
        answer["recognised"] = heard.words
        return answer

    def _follow(self, state: CallState, call: SimulatedCall, turn: Turn, base: str,
                log: list[dict[str, str]]) -> dict[str, Any]:
        """Do what Twilio does on its own after a turn (follow a bare ``<Redirect>``, end the
        call on ``<Hangup>`` or when the TwiML runs out), and press the chosen language's key
        at the language menu, as ``lampio call --lang`` does; stop where the caller acts."""
        for _ in range(MAX_FOLLOW):
            log.extend(self._heard(turn, base))
            if turn.status >= 300 or turn.root is None:
                call.hang_up(max(1, round(time.time() - state.started)))
                state.ended = True
                code = "refused" if turn.status == 403 else \
                    "http_error" if turn.status >= 300 else "not_twiml"
                return self._answer(state, turn, base, log, error=code)
            if turn.gather is not None and state.lang and is_language_menu(turn):
                key, state.lang = LANG_KEYS[state.lang], ""
                log.append({"pressed": key})
                turn = call.press(key)
                continue
            if (turn.gather is None and call.room is None and turn.dial is None
                    and turn.record is None):
                if turn.hangs_up or not call.timeout_action:
                    call.hang_up(max(1, round(time.time() - state.started)))
                    state.ended = True
                    return self._answer(state, turn, base, log, ended_by="service")
                turn = call.silence()  # a bare <Redirect>: Twilio follows it at once
                continue
            break
        else:
            call.hang_up()
            state.ended = True
            return self._answer(state, turn, base, log, error="loop")
        state.next_action = call.next_action if turn.gather is not None else None
        state.timeout_action = call.timeout_action
        state.dial_action = (turn.dial.get("action") if turn.dial is not None
                             and call.room is None else None)
        state.record = turn.record is not None
        state.room = asdict(call.room) if call.room is not None else None
        gather = turn.gather
        speech = gather is not None and "speech" in (gather.get("input") or "")
        state.speech_lang = _LANG_OF.get(gather.get("language") or "", "") \
            if speech and gather is not None else ""
        state.hints = (gather.get("hints") or "") if speech and gather is not None else ""
        return self._answer(state, turn, base, log)

    def _heard(self, turn: Turn, base: str) -> list[dict[str, str]]:
        if turn.root is None:
            return []
        out = []
        for h in heard(turn.root, self._play_text()):
            item = {"text": h.text, "pause": str(h.pause)}
            if h.url:
                item["audio"] = local_url(h.url, base)
            out.append(item)
        return out

    def _play_text(self) -> PlayText | None:
        """What a ``<Play>`` says: the audio cache's sidecar text."""
        audio = self.app.extensions.get("lampio_audio")
        return audio.play_text if audio is not None else None

    def _answer(self, state: CallState, turn: Turn | None, base: str, log: list[dict[str, str]],
                *, error: str = "", ended_by: str = "",
                room_news: list[str] | None = None) -> dict[str, Any]:
        """The page's view of the call: what was heard, and what the caller may do now."""
        expect: dict[str, Any] = {"kind": "none"}
        if state.ended:
            expect = {"kind": "ended"}
        elif state.room is not None:
            expect = {"kind": "room", "star": bool(state.room.get("star_leaves")),
                      "host": bool(state.room.get("host"))}
        elif turn is not None and turn.gather is not None:
            g = turn.gather
            expect = {"kind": "keys", "num_digits": int(g.get("numDigits") or 0),
                      "finish_on_key": g.get("finishOnKey") or "",
                      "timeout": int(g.get("timeout") or 5),
                      "speech": bool(state.speech_lang), "speech_lang": state.speech_lang,
                      "recognisable": bool(state.speech_lang) and self.speech.model_for(
                          state.speech_lang, state.model_lang) is not None,
                      "keys": list(dict.fromkeys(keys_in(turn.text)))}
        elif state.dial_action and turn is not None and turn.dial is not None:
            expect = {"kind": "transfer", "number": "".join(turn.dial.itertext()).strip()}
        elif state.record:
            expect = {"kind": "record"}
        if room_news:
            log = log + [{"text": said, "pause": "0"} for said in room_news]
        return {"token": self.dump(state), "heard": log, "expect": expect, "error": error,
                "ended": state.ended, "ended_by": ended_by}


def init_app(app: Flask) -> None:
    app.extensions["lampio_browser_phone"] = BrowserPhone(app)
