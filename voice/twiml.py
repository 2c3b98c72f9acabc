"""A flow's ``Reply`` as TwiML, built with the twilio package.

Each sentence plays from the audio cache when it is rendered, and is otherwise spoken by Twilio's
``<Say>`` in the right language, a little slower than normal: speech synthesis is never on the
caller's path.
"""
from __future__ import annotations

from typing import Protocol

from twilio.twiml.voice_response import VoiceResponse

from ivr_flows.reply import Reply, Segment

SPEECH_LANG = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}
SAY_VOICE = {"fi": "Polly.Suvi-Neural", "sv": "Polly.Elin-Neural", "en": "Polly.Amy-Neural"}
SAY_RATE = "90%"  # about 150 words a minute (DESIGN rule 4)


class AudioLookup(Protocol):
    def prompt_url(self, segment: Segment) -> str | None: ...

    def recording_url(self, audio_path: str) -> str: ...


class Urls(Protocol):
    def turn(self, event: str | None = None) -> str: ...

    def absolute(self, path: str) -> str: ...


def add_speech(target: object, segments: list[Segment], audio: AudioLookup | None,
               urls: Urls) -> None:
    for seg in segments:
        if seg.pause:
            target.pause(length=max(1, round(seg.pause)))  # type: ignore[attr-defined]
        url = None
        if seg.audio_path and audio is not None:
            url = audio.recording_url(seg.audio_path)
        elif audio is not None:
            url = audio.prompt_url(seg)
        if url:
            target.play(urls.absolute(url))  # type: ignore[attr-defined]
        else:
            say = target.say(language=SPEECH_LANG.get(seg.lang, "fi-FI"),  # type: ignore[attr-defined]
                             voice=SAY_VOICE.get(seg.lang))
            say.prosody(seg.text, rate=SAY_RATE)


def render(reply: Reply, lang: str, audio: AudioLookup | None, urls: Urls) -> VoiceResponse:
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
        add_speech(gather, reply.speech, audio, urls)
        # Silence: Twilio falls through to here and the flow reprompts (never a hang-up).
        vr.redirect(urls.turn("timeout"), method="POST")
        return vr
    add_speech(vr, reply.speech, audio, urls)
    if reply.dial:
        vr.dial(reply.dial, action=urls.turn("dial"), method="POST", timeout=25)
    elif reply.record is not None:
        r = reply.record
        vr.record(action=urls.turn("record"), method="POST", max_length=r.max_length,
                  finish_on_key=r.finish_on_key, play_beep=r.beep, trim="trim-silence")
        # Nothing recorded: Twilio skips the action and falls through; the flow explains.
        vr.redirect(urls.turn("record"), method="POST")
    elif reply.hangup:
        vr.hangup()
    else:
        vr.redirect(urls.turn("timeout"), method="POST")
    return vr
