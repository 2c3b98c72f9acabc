"""The content-addressed prompt cache.

A rendering is named by the sha256 of (text, language, engine, voice, rate), so a changed text,
voice or speed is simply a new file and nothing is ever invalidated. Next to each
``<key>.mp3`` lies ``<key>.json`` with the text and language, so the phone simulator can print
what a ``<Play>`` says. Looking up is a ``stat`` — cheap enough for the caller's path; rendering
happens only in ``render`` (the CLI and the background worker).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from . import storage as st
from .tts import EngineChain, TTSEngine

log = logging.getLogger("lampio.audio.cache")

KEY_RE = re.compile(r"^[0-9a-f]{64}(-slow)?$")
SLOW = "-slow"  # the slower variant of a rendering: ``<key>-slow.mp3``, made from ``<key>.mp3``
SLOW_TEMPO = 0.85  # ffmpeg ``atempo``: 15 % slower, pitch kept (issue 10: "slower, please")


def cache_key(text: str, lang: str, engine: str, voice: str, rate: str) -> str:
    payload = json.dumps([text.strip(), lang, engine, voice, rate], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def audio_name(key: str, ext: str = st.SERVED_EXT) -> str:
    """Storage name of a cached rendering; two-character fan-out keeps directories small."""
    return f"prompts/{key[:2]}/{key}.{ext}"


class KeyMemo:
    """The prompt-to-audio map of this process, so a turn asks no hash and no file system.

    A rendering, once found, never changes (its name is its content's hash); a miss is asked
    again after ``MISS_SECONDS`` (another process may have rendered it meanwhile). Bounded, so
    memory stays flat however many different sentences are spoken."""

    MISS_SECONDS = 30.0
    SIZE = 50_000

    def __init__(self) -> None:
        self._map: OrderedDict[tuple[str, str], tuple[str | None, float]] = OrderedDict()
        self._lock = threading.Lock()
        # Counts renderings found: a TwiML answer kept elsewhere (``voice.turn_memo``) that said
        # a sentence with <Say> is not used again once the sentence has its audio.
        self.generation = 0

    def get(self, text: str, lang: str) -> tuple[bool, str | None]:
        """(known, key): known is False when the file system must be asked."""
        found = self._map.get((text, lang))
        if found is None:
            return False, None
        key, expires = found
        if key is None and time.monotonic() > expires:
            return False, None
        return True, key

    def put(self, text: str, lang: str, key: str | None, expired: bool = False) -> None:
        with self._lock:
            if key is not None and self._map.get((text, lang), (None, 0.0))[0] != key:
                self.generation += 1
            self._map[(text, lang)] = (key, 0.0 if expired else time.monotonic() + self.MISS_SECONDS)
            self._map.move_to_end((text, lang))
            while len(self._map) > self.SIZE:
                self._map.popitem(last=False)


@dataclass(frozen=True)
class Rendered:
    key: str
    engine: str
    created: bool  # False when it was already in the cache


class PromptCache:
    def __init__(self, storage: st.LocalStorage, chain: EngineChain) -> None:
        self.storage = storage
        self.chain = chain
        self.memo = KeyMemo()

    def key_for(self, text: str, lang: str, engine: TTSEngine) -> str:
        return cache_key(text, lang, engine.name, engine.voice(lang), engine.rate)

    def lookup_slow(self, text: str, lang: str) -> str | None:
        """The key of the slower variant of the best cached rendering, or None (then the
        channel's ``<Say>`` speaks slowly). Never renders."""
        text = text.strip()
        slow_lang = lang + SLOW
        known, key = self.memo.get(text, slow_lang)
        if known:
            return key
        base = self.lookup(text, lang)
        found = base + SLOW if base and self.storage.exists(audio_name(base + SLOW)) else None
        self.memo.put(text, slow_lang, found)
        return found

    def lookup(self, text: str, lang: str) -> str | None:
        """The key of the best cached rendering (engines in preference order), or None.

        Never synthesises: this runs on the caller's path.
        """
        text = text.strip()
        if not text:
            return None
        known, key = self.memo.get(text, lang)
        if known:
            return key
        found = None
        for engine in self.chain.engines:
            if engine.supports(lang):
                key = self.key_for(text, lang, engine)
                if self.storage.exists(audio_name(key)):
                    found = key
                    break
        self.memo.put(text, lang, found)
        return found

    def has_preferred(self, text: str, lang: str) -> bool:
        """Cached by the first engine for the language: nothing better could be rendered."""
        engine = next((e for e in self.chain.engines if e.supports(lang)), None)
        if engine is None:
            return False
        key = self.key_for(text.strip(), lang, engine)
        return self.storage.exists(audio_name(key)) and self.storage.exists(audio_name(key + SLOW))

    def render(self, text: str, lang: str) -> Rendered | None:
        """Make sure ``text`` is rendered by the first engine that works; None if none does.

        An engine whose breaker is open is skipped, but its earlier renderings still count, so
        a warm cache does no work even while gTTS is unreachable.
        """
        text = text.strip()
        if not text:
            return None
        for engine in self.chain.engines:
            if not engine.supports(lang):
                continue
            key = self.key_for(text, lang, engine)
            if self.storage.exists(audio_name(key)):
                return Rendered(key, engine.name, created=self._slow_variant(key, text, lang))
            if self.chain.is_down(engine):
                continue
            if self._synthesize(engine, key, text, lang):
                self.memo.put(text, lang, None, expired=True)  # a better rendering may now exist
                self._slow_variant(key, text, lang)
                return Rendered(key, engine.name, created=True)
        return None

    def _slow_variant(self, key: str, text: str, lang: str) -> bool:
        """Make ``<key>-slow`` from the rendered file with ffmpeg's ``atempo`` (no second
        synthesis, so it is the same voice, only slower). True when it was made now."""
        slow = key + SLOW
        if self.storage.exists(audio_name(slow)):
            return False
        with tempfile.TemporaryDirectory(prefix="lampio-slow-") as tmp:
            out = Path(tmp) / f"slow.{st.SERVED_EXT}"
            try:
                st.to_served(self.storage.path(audio_name(key)), out,
                             filters=f"atempo={SLOW_TEMPO}")
            except st.AudioError as exc:
                log.warning("no slower variant of %s: %s", key, exc)
                return False
            try:
                info = json.loads(self.storage.path(audio_name(key, "json")).read_text())
            except (OSError, ValueError):
                info = {}
            info.update(tempo=SLOW_TEMPO, made_from=key)
            if isinstance(info.get("duration"), (int, float)):
                info["duration"] = round(info["duration"] / SLOW_TEMPO, 2)
            self.storage.put_json(info, audio_name(slow, "json"))
            self.storage.put_file(out, audio_name(slow))
        self.memo.put(text, lang + SLOW, None, expired=True)  # asked again on the next turn
        return True

    def _synthesize(self, engine: TTSEngine, key: str, text: str, lang: str) -> bool:
        with tempfile.TemporaryDirectory(prefix="lampio-tts-") as tmp:
            raw = Path(tmp) / f"raw.{engine.raw_ext}"
            if not self.chain.synthesize(engine, text, lang, raw):
                return False
            served = Path(tmp) / f"served.{st.SERVED_EXT}"
            try:
                st.to_served(raw, served, filters=engine.filters)
            except st.AudioError as exc:
                self.chain.mark_down(engine, f"unreadable output: {exc}")
                return False
            if served.stat().st_size < 200:
                self.chain.mark_down(engine, "empty output")
                return False
            # No ffprobe here: one process less per sentence halves a cold render.
            duration = st.wav_duration(raw) if engine.raw_ext == "wav" else None
            # Sidecar first: whoever sees the audio can also read what it says.
            self.storage.put_json({"text": text, "lang": lang, "engine": engine.name,
                                   "voice": engine.voice(lang), "rate": engine.rate,
                                   "duration": duration}, audio_name(key, "json"))
            self.storage.put_file(served, audio_name(key))
        return True
