"""Hold-to-speak for the browser phone: the page's recording, recognised offline with Vosk.

The recording (whatever the browser's MediaRecorder makes: WebM/Opus, Ogg, WAV) is decoded by
ffmpeg to the 16 kHz mono PCM the models take (``audio.storage.to_pcm``), then recognised by the
recognition core (``voice.recognition``) restricted to the current menu's grammar: the
``<Gather>``'s own speech hints, with the menu's keys as digit words in the model's language.
The words become what the caller said in the service's language (a model's digit words are the
service language's digit words), posted as ``SpeechResult`` with Vosk's confidence.

Which model hears a call: the one ``VOSK_MODELS`` names for the call's language, or one the
caller chose when dialling (``model_lang``: e.g. the Korean model, which understands the option
numbers said in Korean, as ``lampio assistant --model-lang`` does). None: speech is not
available, and the page says so.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from audio import storage as st
from ivr_flows import prompts

from .recognition import MODEL_RATE, SpeechModels, answer_of

MAX_SECONDS = 15  # one answer: a word or a code, not a speech
_CHUNK = MODEL_RATE // 2 * 2  # half a second of 16-bit samples


class PhoneError(ValueError):
    """A browser-phone step that cannot be taken (a recording that cannot be heard, a key when
    none is awaited…); ``code`` names the admin message that explains it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Recognised:
    words: str  # what was said, in the service's language ("" when nothing was understood)
    confidence: float


class BrowserSpeech:
    def __init__(self, models_setting: str) -> None:
        self.models = SpeechModels.from_setting(models_setting)

    def languages(self) -> list[str]:
        """The languages of the installed models."""
        return sorted(self.models.paths)

    def model_for(self, service_lang: str, chosen: str = "") -> str | None:
        """The model language that hears a call in ``service_lang`` (or the chosen one)."""
        lang = chosen or service_lang
        return lang if lang in self.models.paths else None

    def hear(self, audio: bytes, service_lang: str, model_lang: str,
             hints: list[str]) -> Recognised:
        model = self.models.get(model_lang)
        if model is None:
            raise PhoneError("no_speech")
        pcm = decode(audio)
        rec = model.recogniser(model.phrases(hints, service_lang))
        texts, confidences = [], []
        for i in range(0, len(pcm), _CHUNK):
            heard = rec.accept_pcm16(pcm[i:i + _CHUNK])
            if heard is not None:
                texts.append(heard.text)
                confidences.append(heard.confidence)
        last = rec.finish()
        if last.text:
            texts.append(last.text)
            confidences.append(last.confidence)
        answer = answer_of(" ".join(texts), model_lang, service_lang)
        if answer.digits:
            digits = prompts.raw(service_lang, "words.digits")
            words = " ".join(digits[int(d)] for d in answer.digits)
        else:
            words = answer.speech
        return Recognised(words, min(confidences) if words and confidences else 0.0)


def decode(audio: bytes) -> bytes:
    """Any recording ffmpeg reads → 16 kHz mono PCM; checked by content and length."""
    with tempfile.NamedTemporaryFile(suffix=".audio") as tmp:
        tmp.write(audio)
        tmp.flush()
        try:
            pcm = st.to_pcm(Path(tmp.name), MODEL_RATE, seconds=MAX_SECONDS + 1)
        except st.AudioError:
            raise PhoneError("bad_audio") from None
    if not pcm:
        raise PhoneError("bad_audio")
    if len(pcm) > MAX_SECONDS * MODEL_RATE * 2:
        raise PhoneError("too_long")
    return pcm
