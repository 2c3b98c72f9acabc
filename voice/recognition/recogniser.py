"""One recogniser per call over the process's shared model per language.

A ``vosk.Model`` is loaded once per path per process (``audio.transcribe.load_model``: seconds
and hundreds of megabytes) and shared by every call; a ``KaldiRecognizer`` is cheap and holds
one call's audio, so each call gets its own and changes its grammar menu by menu.
"""
from __future__ import annotations

import threading

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audio.transcribe import load_model, parse_models

from .grammar import Known, digit_words, grammar_json, menu_phrases, vocabulary
from .pcm import MODEL_RATE, Upsampler, mulaw_decode


@dataclass(frozen=True)
class Heard:
    """What was recognised in one utterance; ``confidence`` is the least sure word's (0–1),
    0 when nothing was heard."""

    text: str = ""
    confidence: float = 0.0
    words: tuple[str, ...] = field(default=())


def _heard(result_json: str) -> Heard:
    result = json.loads(result_json)
    parts = result.get("result") or []
    words = tuple(str(p.get("word", "")) for p in parts)
    confs = [float(p.get("conf", 0.0)) for p in parts]
    text = str(result.get("text", "")).strip()
    return Heard(text=text, confidence=min(confs) if confs else (1.0 if text else 0.0),
                 words=words)


class SpeechModel:
    """A language's model with what the grammars need from it: its vocabulary and its digits."""

    def __init__(self, lang: str, path: str) -> None:
        self.lang = lang
        self.path = path
        self.model = load_model(path)
        self.known: Known = vocabulary(self.model)

    def phrases(self, hints: Iterable[str], service_lang: str) -> list[str]:
        return menu_phrases(hints, service_lang, self.lang, self.known)

    def recogniser(self, phrases: Iterable[str] | None = None) -> "CallRecogniser":
        return CallRecogniser(self.model, phrases)


class CallRecogniser:
    """Accepts a call's audio — 8 kHz µ-law frames (phone) or 16 kHz 16-bit PCM — and says what
    was heard once an utterance ends. ``set_grammar`` per menu; ``None`` is free speech."""

    def __init__(self, model: Any, phrases: Iterable[str] | None = None) -> None:
        import vosk

        self._rec = (vosk.KaldiRecognizer(model, MODEL_RATE) if phrases is None else
                     vosk.KaldiRecognizer(model, MODEL_RATE, grammar_json(phrases)))
        self._rec.SetWords(True)
        self._upsampler = Upsampler()
        self.seconds = 0.0  # audio accepted so far, at the model's rate

    def set_grammar(self, phrases: Iterable[str]) -> None:
        """A new menu: its grammar, and an utterance started afresh (Vosk aborts the process
        if the grammar changes in the middle of an utterance, so the reset comes first)."""
        self.reset()
        self._rec.SetGrammar(grammar_json(phrases))

    def reset(self) -> None:
        self._rec.Reset()
        self._upsampler.reset()

    def accept_mulaw(self, frame: bytes) -> Heard | None:
        """Phone audio: 8 kHz µ-law, e.g. one 20 ms Media Streams frame."""
        return self.accept_pcm16(self._upsampler.process(mulaw_decode(frame)))

    def accept_pcm16(self, pcm: bytes) -> Heard | None:
        """16 kHz mono 16-bit little-endian PCM. A ``Heard`` when an utterance with words in it
        just ended (Vosk's end-of-speech), else None."""
        self.seconds += len(pcm) / 2 / MODEL_RATE
        if self._rec.AcceptWaveform(pcm):
            heard = _heard(self._rec.Result())
            return heard if heard.text else None
        return None

    def partial(self) -> str:
        """The words of the utterance so far (someone is speaking when not empty)."""
        return str(json.loads(self._rec.PartialResult()).get("partial", ""))

    def finish(self) -> Heard:
        """The end of the audio: whatever the last utterance held (empty when nothing)."""
        return _heard(self._rec.FinalResult())


class SpeechModels:
    """The models by language (``VOSK_MODELS``, or the assistant's ``--model``), each loaded
    when first asked for and then shared."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self.paths = dict(paths)
        self._loaded: dict[str, SpeechModel] = {}
        self._lock = threading.Lock()  # a preloading thread and a first stream may ask at once

    @classmethod
    def from_setting(cls, spec: str) -> "SpeechModels":
        return cls(parse_models(spec))

    def get(self, lang: str) -> SpeechModel | None:
        path = self.paths.get(lang)
        if path is None:
            return None
        with self._lock:
            if lang not in self._loaded:
                self._loaded[lang] = SpeechModel(lang, path)
            return self._loaded[lang]


def check_models(paths: Mapping[str, str]) -> None:
    """At start: every model's language has digit words and its folder exists (ValueError)."""
    from pathlib import Path

    for lang, path in paths.items():
        try:
            digit_words(lang)
        except NotImplementedError:
            raise ValueError(f"no number words for language {lang!r} (num2words)") from None
        if not Path(path).is_dir():
            raise ValueError(f"{lang}: no model folder at {path}")
