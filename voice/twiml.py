"""A flow's ``Reply`` as TwiML.

Each sentence plays from the audio cache when it is rendered, and is otherwise spoken by Twilio's
``<Say>`` in the right language, a little slower than normal: speech synthesis is never on the
caller's path.

``render`` builds the XML as a string: the twilio builder (an object tree, then ElementTree
serialisation) cost about 7% of a call turn. ``render_builder`` is the twilio-builder original,
kept as the reference: tests/test_twiml_fast.py checks both give the same bytes for every kind of
reply, so the rules below (sorted camelCase attributes, ``" />"`` for empty elements,
ElementTree's escaping) copy what ``str(VoiceResponse)`` emits.
"""
from __future__ import annotations

from typing import Protocol

from twilio.twiml.voice_response import Gather as TwilioGather
from twilio.twiml.voice_response import VoiceResponse

from ivr_flows.reply import Conference, Reply, Segment

SPEECH_LANG = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}
SAY_VOICE = {"fi": "Polly.Suvi-Neural", "sv": "Polly.Elin-Neural", "en": "Polly.Amy-Neural"}
SAY_RATE = "90%"  # about 150 words a minute (DESIGN rule 4)
SLOW_SAY_RATE = "75%"  # a caller who asked for slower speech: as the audio's atempo 0.85 is
SAY_RATES = {False: SAY_RATE, True: SLOW_SAY_RATE}

# The live rooms' webhooks (voice/rooms.py; the recording callback is Part H's).
ROOM_WAIT = "/voice/room/wait"
ROOM_EVENTS = "/voice/room/events?session={id}"
ROOM_RECORDED = "/voice/room/recorded?session={id}"
ROOM_EVENT_NAMES = "start end join leave"

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class AudioLookup(Protocol):
    def prompt_url(self, segment: Segment, slow: bool = False) -> str | None: ...

    def recording_url(self, audio_path: str) -> str: ...


class Urls(Protocol):
    def turn(self, event: str | None = None) -> str: ...

    def absolute(self, path: str) -> str: ...


def _speech_url(seg: Segment, audio: AudioLookup | None, slow: bool = False) -> str | None:
    """A stored recording wins over the cached synthesised prompt; ``None`` means ``<Say>``."""
    if audio is None:
        return None
    if seg.audio_path:
        return audio.recording_url(seg.audio_path)
    return audio.prompt_url(seg, slow=True) if slow else audio.prompt_url(seg)


# --- the string renderer -------------------------------------------------------------------------

_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR_ESCAPES = _TEXT_ESCAPES + (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _escape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, ref in escapes:  # "&" first, as ElementTree does
        if char in text:
            text = text.replace(char, ref)
    return text


def _text(text: str) -> str:
    """Element text escaped as ElementTree's ``_escape_cdata`` does (quotes stay as they are)."""
    return _escape(text, _TEXT_ESCAPES)


def _attr(value: object) -> str:
    """An attribute value as the builder writes it: booleans lower case, then ElementTree's
    ``_escape_attrib`` (which also turns CR, LF and TAB into character references)."""
    return _escape(str(value).lower() if isinstance(value, bool) else str(value), _ATTR_ESCAPES)


def _element(out: list[str], name: str, attrs: tuple[tuple[str, object], ...],
             text: str | None = None) -> None:
    """One leaf element. ``attrs`` must already be in the builder's order (sorted names); a
    ``None`` value is left out and empty text gives ``<Name ... />``, both as the builder does."""
    out.append("<" + name)
    for key, value in attrs:
        if value is not None:
            out.append(f' {key}="{_attr(value)}"')
    out.append(f">{_text(text)}</{name}>" if text else " />")


def _say_open(lang: str, slow: bool = False) -> tuple[str, str]:
    """``<Say …><prosody …>`` for a language, and the same with an empty ``<prosody />``."""
    rate = _attr(SAY_RATES[slow])
    language = _attr(SPEECH_LANG.get(lang, "fi-FI"))
    voice = SAY_VOICE.get(lang)
    say = f'<Say language="{language}" voice="{_attr(voice)}">' if voice is not None \
        else f'<Say language="{language}">'
    return f'{say}<prosody rate="{rate}">', f'{say}<prosody rate="{rate}" />'


_SAY_OPEN = {(lang, slow): _say_open(lang, slow) for lang in SPEECH_LANG for slow in (False, True)}


def _speech_xml(out: list[str], segments: list[Segment], audio: AudioLookup | None,
                urls: Urls, slow: bool = False) -> None:
    for seg in segments:
        if seg.pause:
            out.append(f'<Pause length="{_attr(max(1, round(seg.pause)))}" />')
        url = _speech_url(seg, audio, slow)
        if url:
            _element(out, "Play", (), urls.absolute(url))
            continue
        opening, empty = _SAY_OPEN.get((seg.lang, slow)) or _say_open(seg.lang, slow)
        text = seg.text
        out.append(f"{opening}{_text(text)}</prosody></Say>" if text else f"{empty}</Say>")


def room_name(session_id: int) -> str:
    """The conference's friendly name: one room per session."""
    return f"lampio-session-{session_id}"


def _conference_attrs(c: Conference, urls: Urls) -> dict[str, object]:
    """The ``<Conference>`` attributes, in the builder's snake_case names."""
    attrs: dict[str, object] = {
        "beep": False, "muted": not c.host, "start_conference_on_enter": c.host,
        "end_conference_on_exit": c.host and c.end_on_exit,
        "status_callback": urls.absolute(ROOM_EVENTS.format(id=c.session_id)),
        "status_callback_event": ROOM_EVENT_NAMES, "status_callback_method": "POST",
    }
    if not c.host:
        attrs.update(wait_url=urls.absolute(ROOM_WAIT), wait_method="POST")
    if c.record:
        attrs.update(record="record-from-start", recording_status_callback_method="POST",
                     recording_status_callback=urls.absolute(ROOM_RECORDED.format(id=c.session_id)))
    return attrs


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _conference_xml(out: list[str], c: Conference, urls: Urls) -> None:
    dial = [("action", urls.turn("room")), ("hangupOnStar", None if c.host else True),
            ("method", "POST")]
    out.append("<Dial" + "".join(f' {k}="{_attr(v)}"' for k, v in dial if v is not None) + ">")
    attrs = tuple(sorted((_camel(k), v) for k, v in _conference_attrs(c, urls).items()))
    _element(out, "Conference", attrs, room_name(c.session_id))
    out.append("</Dial>")


def render(reply: Reply, lang: str, audio: AudioLookup | None, urls: Urls, lead: str = "") -> str:
    """The reply as a TwiML document, byte for byte what ``str(render_builder(...))`` gives;
    ``lead``: verbs already written that come first (voice.media_stream's streams)."""
    out = [_DECLARATION, "<Response>", lead]
    if reply.gather is not None:
        g = reply.gather
        speech = bool(g.speech)
        hints = ", ".join(dict.fromkeys(g.hints)) if speech and g.hints else None
        _element(out, "Gather", (
            ("action", urls.turn()),
            ("finishOnKey", g.finish_on_key or None),
            ("hints", hints),
            ("input", "dtmf speech" if speech else "dtmf"),
            ("language", SPEECH_LANG.get(lang, "fi-FI") if speech else None),
            ("method", "POST"),
            ("numDigits", g.num_digits or None),
            ("speechTimeout", "auto" if speech else None),
            ("timeout", g.timeout),
        ))
        inner = len(out)
        _speech_xml(out, reply.speech, audio, urls, reply.slow)
        if len(out) > inner:  # not empty after all: reopen the self-closed <Gather ... />
            out[inner - 1] = ">"
            out.append("</Gather>")
        # Silence: Twilio falls through to here and the flow reprompts (never a hang-up).
        _element(out, "Redirect", (("method", "POST"),), urls.turn("timeout"))
    else:
        _speech_xml(out, reply.speech, audio, urls, reply.slow)
        if reply.conference is not None:
            _conference_xml(out, reply.conference, urls)
        elif reply.dial:
            _element(out, "Dial", (("action", urls.turn("dial")), ("method", "POST"),
                                   ("timeout", 25)), reply.dial)
        elif reply.record is not None:
            r = reply.record
            _element(out, "Record", (
                ("action", urls.turn("record")), ("finishOnKey", r.finish_on_key),
                ("maxLength", r.max_length), ("method", "POST"), ("playBeep", r.beep),
                ("trim", "trim-silence"),
            ))
            # Nothing recorded: Twilio skips the action and falls through; the flow explains.
            _element(out, "Redirect", (("method", "POST"),), urls.turn("record"))
        elif reply.hangup:
            out.append("<Hangup />")
        else:
            _element(out, "Redirect", (("method", "POST"),), urls.turn("timeout"))
    out.append("</Response>")
    xml = "".join(out)
    try:
        xml.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: ElementTree writes them as character references
        xml = xml.encode("utf-8", "xmlcharrefreplace").decode("utf-8")
    return xml


# --- the twilio builder: the reference ----------------------------------------------------------

def add_speech(target: VoiceResponse | TwilioGather, segments: list[Segment],
               audio: AudioLookup | None, urls: Urls, slow: bool = False) -> None:
    for seg in segments:
        if seg.pause:
            target.pause(length=max(1, round(seg.pause)))
        url = _speech_url(seg, audio, slow)
        if url:
            target.play(urls.absolute(url))
        else:
            say = target.say(language=SPEECH_LANG.get(seg.lang, "fi-FI"),
                             voice=SAY_VOICE.get(seg.lang))
            say.prosody(seg.text, rate=SAY_RATES[slow])


def render_builder(reply: Reply, lang: str, audio: AudioLookup | None,
                   urls: Urls) -> VoiceResponse:
    """The same reply built with the twilio package; ``str()`` of it is the reference TwiML."""
    vr = VoiceResponse()
    if reply.gather is not None:
        g = reply.gather
        kwargs: dict[str, object] = {
            "action": urls.turn(), "method": "POST", "timeout": g.timeout,
            "input": "dtmf speech" if g.speech else "dtmf",
        }
        if g.num_digits:
            kwargs["num_digits"] = g.num_digits
        if g.finish_on_key:
            kwargs["finish_on_key"] = g.finish_on_key
        if g.speech:
            kwargs.update(language=SPEECH_LANG.get(lang, "fi-FI"), speech_timeout="auto")
            if g.hints:
                kwargs["hints"] = ", ".join(dict.fromkeys(g.hints))
        gather = vr.gather(**kwargs)
        add_speech(gather, reply.speech, audio, urls, reply.slow)
        vr.redirect(urls.turn("timeout"), method="POST")
        return vr
    add_speech(vr, reply.speech, audio, urls, reply.slow)
    if reply.conference is not None:
        c = reply.conference
        dial = vr.dial(action=urls.turn("room"), method="POST",
                       hangup_on_star=None if c.host else True)
        dial.conference(room_name(c.session_id), **_conference_attrs(c, urls))
    elif reply.dial:
        vr.dial(reply.dial, action=urls.turn("dial"), method="POST", timeout=25)
    elif reply.record is not None:
        r = reply.record
        vr.record(action=urls.turn("record"), method="POST", max_length=r.max_length,
                  finish_on_key=r.finish_on_key, play_beep=r.beep, trim="trim-silence")
        vr.redirect(urls.turn("record"), method="POST")
    elif reply.hangup:
        vr.hangup()
    else:
        vr.redirect(urls.turn("timeout"), method="POST")
    return vr
