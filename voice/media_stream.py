"""Vosk for the phone line (``SPEECH_BACKEND=vosk``): the caller's audio reaches us through
Twilio Media Streams, a recogniser hears the menu's choices, and the call moves on through the
REST API's call update.

Each menu reply of a language that has a model stops the previous stream and starts a new one
(``<Stop><Stream>``, ``<Start><Stream>`` before the ``<Gather>``, whose own speech is then off),
named ``lampio-<n>`` with ``n`` counted in the call's state. The stream's custom parameters
carry what the listener needs and the server keeps nothing between webhooks: the turn URL of
the menu (its state, as the ``<Gather>`` action has it), the language and the menu's hints,
from which the recogniser's grammar is built (``voice.recognition``). A number typed with ``#``
keeps Twilio's own speech: its digits would otherwise travel in a URL.

The websocket (``/voice/stream``, flask-sock) gets Twilio's messages — connected, start, media
(base64 8 kHz µ-law from the caller), stop — and feeds the frames to the call's recogniser. The
first answer heard becomes ``calls(sid).update(url=<turn URL>&heard=vosk&said=…&c=…)``: Twilio
then fetches that turn (signed, like any webhook) and the flow answers it as words said, with
Vosk's confidence, so an unsure answer is confirmed as on Twilio's speech. After an answer the
stream is only drained until the next reply stops it. Keys pressed meanwhile reach the
``<Gather>`` as always.

One model per language per process (``SpeechModels``, loaded on first use and shared); one
recogniser per call (``Recognisers``): a call's next menu, in the same process, gets the same
recogniser with the new grammar.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request
from twilio.request_validator import RequestValidator

from ivr_flows import prompts
from ivr_flows.reply import Reply

from .twiml import _attr as attr

log = logging.getLogger(__name__)
STREAM_PATH = "/voice/stream"
IDLE_SECONDS = 120.0  # a call's recogniser without a stream this long is let go
RECEIVE_TIMEOUT = 60.0  # a stream silent this long (no message at all) is closed


@dataclass(frozen=True)
class Listen:
    """What one reply does with the streams: stop the previous, start a new one."""

    stop: str | None
    start: str | None
    hints: tuple[str, ...] = ()


def _stream_name(n: Any) -> str:
    return f"lampio-{int(n)}"


def plan(app: Flask, state: dict[str, Any], lang: str, reply: Reply) -> tuple[Reply, Listen | None]:
    """Before the state is packed: whether this reply listens with Vosk (a one-key menu in the
    call's chosen language, which has a model); the stream number is kept in the state. The reply's ``<Gather>``
    then takes keys only (Twilio's speech would answer too)."""
    langs = app.extensions.get("lampio_phone_models") or {}
    previous = state.pop("stream", None)
    gather = reply.gather
    # Only once the language is chosen (the language choice itself keeps Twilio's speech).
    listens = (state.get("lang") == lang and lang in langs and gather is not None
               and gather.speech and gather.num_digits == 1)
    if not listens and previous is None:
        return reply, None
    stop = _stream_name(previous) if previous is not None else None
    if not listens or gather is None:
        return reply, Listen(stop=stop, start=None)
    n = int(state.get("sn", 0)) + 1
    state["sn"] = state["stream"] = n
    listening = replace(reply, gather=replace(gather, speech=False))
    return listening, Listen(stop=stop, start=_stream_name(n), hints=gather.hints)


def stream_url(app: Flask) -> str:
    """The websocket's public URL: ``PUBLIC_BASE_URL`` (or this request's host) as ws/wss."""
    base = (app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") or request.host_url.rstrip("/")
    scheme, rest = base.split("://", 1)
    return ("wss" if scheme == "https" else "ws") + "://" + rest + STREAM_PATH


def listen_xml(listen: Listen, turn: str, lang: str, url: str) -> str:
    """``<Stop><Stream/></Stop><Start><Stream><Parameter/>…</Stream></Start>`` as the twilio
    builder writes them (tests/test_media_stream.py compares)."""
    out = []
    if listen.stop:
        out.append(f'<Stop><Stream name="{attr(listen.stop)}" /></Stop>')
    if listen.start:
        params = (("turn", turn), ("lang", lang), ("hints", "|".join(dict.fromkeys(listen.hints))))
        out.append(f'<Start><Stream name="{attr(listen.start)}" track="inbound_track" '
                   f'url="{attr(url)}">')
        out += [f'<Parameter name="{k}" value="{attr(v)}" />' for k, v in params]
        out.append("</Stream></Start>")
    return "".join(out)


# --- the websocket ---------------------------------------------------------------------------

class _Held:
    """A call's recogniser, the stream that owns it (None: between menus) and since when; its
    lock keeps one stream at a time inside the recogniser."""

    def __init__(self, recogniser: Any, owner: object) -> None:
        self.recogniser = recogniser
        self.owner: object | None = owner
        self.at = time.monotonic()
        self.lock = threading.Lock()


class Recognisers:
    """This process's recogniser for each call, reused menu after menu; one stream at a time
    owns it (a new menu's stream takes it over from the previous one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Held] = {}

    def take(self, call_sid: str, owner: object, make: Any, phrases: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for sid in [s for s, h in self._calls.items()
                        if h.owner is None and now - h.at > IDLE_SECONDS]:
                del self._calls[sid]
            held = self._calls.get(call_sid)
            if held is None:
                self._calls[call_sid] = _Held(make(phrases), owner)
                return
        with held.lock:  # the previous stream may be inside it: wait, then take it over
            held.recogniser.set_grammar(phrases)
            held.owner, held.at = owner, now

    def use(self, call_sid: str, owner: object, work: Any) -> tuple[bool, Any]:
        """``work(recogniser)`` while ``owner`` still owns the call's recogniser: (True, its
        result); (False, None) when another menu's stream has taken it over."""
        with self._lock:
            held = self._calls.get(call_sid)
        if held is None:
            return False, None
        with held.lock:
            if held.owner is not owner:
                return False, None
            return True, work(held.recogniser)

    def recogniser(self, call_sid: str) -> Any:
        with self._lock:
            held = self._calls.get(call_sid)
            return held.recogniser if held is not None else None

    def release(self, call_sid: str, owner: object) -> None:
        with self._lock:
            held = self._calls.get(call_sid)
            if held is not None and held.owner is owner:
                held.owner, held.at = None, time.monotonic()

    def __len__(self) -> int:
        return len(self._calls)


class Listener:
    """One stream: one menu's grammar, and at most one answer."""

    def __init__(self, app: Flask, start: dict[str, Any]) -> None:
        params = start.get("customParameters") or {}
        self.app = app
        self.call_sid = str(start.get("callSid", ""))
        self.turn = str(params.get("turn", ""))
        self.lang = str(params.get("lang", ""))
        hints = [h for h in str(params.get("hints", "")).split("|") if h]
        model_lang = app.extensions["lampio_phone_models"].get(self.lang)
        if model_lang is None or not self.turn.startswith("/voice/turn") or not self.call_sid:
            raise ValueError("a stream that is not one of ours")
        self.model = app.extensions["lampio_speech_models"].get(model_lang)
        self.recognisers: Recognisers = app.extensions["lampio_recognisers"]
        self.recognisers.take(self.call_sid, self, self.model.recogniser,
                              self.model.phrases(hints, self.lang))
        self.answered = False

    def media(self, media: dict[str, Any]) -> None:
        if self.answered or media.get("track", "inbound") != "inbound":
            return
        try:
            frame = base64.b64decode(str(media.get("payload", "")), validate=True)
        except (binascii.Error, ValueError):
            return
        owned, heard = self.recognisers.use(self.call_sid, self,
                                            lambda rec: rec.accept_mulaw(frame))
        if not owned:
            self.answered = True  # the call is in another menu now: this stream is stale
        elif heard is not None:
            self._answer(heard.text, heard.confidence)

    def stop(self) -> None:
        if not self.answered:
            owned, heard = self.recognisers.use(self.call_sid, self, lambda rec: rec.finish())
            if owned and heard.text:
                self._answer(heard.text, heard.confidence)
        self.recognisers.release(self.call_sid, self)

    def _answer(self, text: str, confidence: float) -> None:
        from .recognition import answer_of
        from .twilio_rest import rest_client

        answer = answer_of(text, self.model.lang, self.lang)
        if answer.empty:
            return  # only noise: keep listening
        # A key said is passed as its word in the call's language, so that the flow confirms
        # it when unsure and logs it, as any words; a menu takes one key.
        words = (prompts.raw(self.lang, "words.digits")[int(answer.digits[0])] if answer.digits
                 else answer.speech)
        base = (self.app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") or \
            request.host_url.rstrip("/")
        query = urlencode({"heard": "vosk", "said": words, "c": f"{confidence:.2f}"})
        self.answered = True
        try:
            rest_client(self.app).calls(self.call_sid).update(url=f"{base}{self.turn}&{query}",
                                                              method="POST")
        except Exception as exc:  # noqa: BLE001 - the call still takes keys; never crash the stream
            log.warning("stream: could not move the call on (%s); keys still work",
                        type(exc).__name__)
            return
        log.info("stream: a choice heard in a menu; the call moves on")


def _signed(app: Flask) -> bool:
    """Twilio signs the websocket's URL (no parameters) in ``X-Twilio-Signature``."""
    if app.config.get("TWILIO_SKIP_SIGNATURE"):
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    return bool(signature) and validator.validate(stream_url(app), {}, signature)


def stream(ws: Any) -> None:
    """The Media Streams websocket: messages until Twilio stops the stream."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _signed(app):
        log.warning("stream refused: missing or bad X-Twilio-Signature")
        ws.close(reason=1008, message="signature")
        return
    listener: Listener | None = None
    try:
        while True:
            raw = ws.receive(timeout=RECEIVE_TIMEOUT)
            if raw is None:
                break
            msg = json.loads(raw)
            event = msg.get("event") if isinstance(msg, dict) else None
            if event == "start" and listener is None:
                listener = Listener(app, msg.get("start") or {})
            elif event == "media" and listener is not None:
                listener.media(msg.get("media") or {})
            elif event == "stop":
                break
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("stream closed: %s", type(exc).__name__)
    finally:
        if listener is not None:
            listener.stop()


def init_app(app: Flask) -> None:
    """With Vosk, this process's shared models and recognisers (the websocket's route is in
    the voice blueprint's URL table)."""
    from .speech_settings import phone_models

    langs = phone_models(app.config)
    app.extensions["lampio_phone_models"] = langs
    if langs:
        from audio.transcribe import parse_models

        from .recognition import SpeechModels

        models = SpeechModels(parse_models(str(app.config.get("VOSK_MODELS") or "")))
        app.extensions["lampio_speech_models"] = models
        app.extensions["lampio_recognisers"] = Recognisers()
        # Loaded now, beside start-up, not by the first caller's stream (seconds, 500 MB).
        threading.Thread(target=lambda: [models.get(m) for m in set(langs.values())],
                         name="vosk-preload", daemon=True).start()
