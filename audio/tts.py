"""Text-to-speech engines behind one interface, and a chain that falls back between them.

An engine writes its raw output (WAV or MP3) to a path; the cache converts it to the served
format. The chain remembers an engine that failed (no network, HTTP 429) for ``cooldown``
seconds so that a render of 500 prompts logs the failure once and does not wait 500 timeouts.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

log = logging.getLogger("lampio.audio.tts")


class TTSError(RuntimeError):
    """An engine could not speak this text now."""


class TTSEngine(Protocol):
    name: str
    rate: str  # part of the cache key: a change of speed is a different rendering
    raw_ext: str  # what ``synthesize`` writes ("wav", "mp3")
    filters: str | None  # ffmpeg filter applied when converting to the served format

    def voice(self, lang: str) -> str: ...
    def supports(self, lang: str) -> bool: ...
    def synthesize(self, text: str, lang: str, out: Path) -> None: ...


class EspeakEngine:
    """espeak-ng, offline. Robotic but always there; 150 words a minute (DESIGN rule 4)."""

    name = "espeak"
    raw_ext = "wav"
    filters: str | None = None
    VOICES = {"fi": "fi", "sv": "sv", "en": "en-gb", "ko": "ko"}

    def __init__(self, wpm: int = 150, binary: str = "espeak-ng") -> None:
        self.wpm = wpm
        self.binary = binary
        self.rate = f"{wpm}wpm"

    def voice(self, lang: str) -> str:
        return self.VOICES.get(lang, lang)

    def supports(self, lang: str) -> bool:
        return lang in self.VOICES

    def synthesize(self, text: str, lang: str, out: Path) -> None:
        if shutil.which(self.binary) is None:
            raise TTSError(f"{self.binary} is not installed")
        try:
            # Text on stdin, not argv: a text starting with "-" must not become an option.
            subprocess.run([self.binary, "-v", self.voice(lang), "-s", str(self.wpm), "-g", "2",
                            "-w", str(out), "--stdin"], input=text.encode(), capture_output=True,
                           timeout=60, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise TTSError(f"espeak-ng failed: {exc}") from exc
        if not out.exists() or out.stat().st_size < 100:
            raise TTSError("espeak-ng wrote no audio")


class GTTSEngine:
    """Google Translate's voice via gTTS: natural, but online and rate limited (HTTP 429).

    Its normal speed is brisk for older listeners, so the rendering is slowed with ffmpeg's
    ``atempo`` (pitch kept) rather than gTTS's ``slow``, which halves the speed.
    """

    name = "gtts"
    raw_ext = "mp3"
    LANGS = {"fi": "fi", "sv": "sv", "en": "en", "ko": "ko"}

    def __init__(self, *, slow: bool = False, tempo: float = 0.88, timeout: float = 10.0,
                 tld: str = "com") -> None:
        self.slow = slow
        self.tempo = 1.0 if slow else tempo
        self.timeout = timeout
        self.tld = tld
        self.filters = None if self.tempo == 1.0 else f"atempo={self.tempo}"
        self.rate = "slow" if slow else f"tempo{self.tempo}"

    def voice(self, lang: str) -> str:
        return f"{self.LANGS.get(lang, lang)}-{self.tld}"

    def supports(self, lang: str) -> bool:
        return lang in self.LANGS

    def synthesize(self, text: str, lang: str, out: Path) -> None:
        from gtts import gTTS, gTTSError

        try:
            tts = gTTS(text, lang=self.LANGS[lang], slow=self.slow, tld=self.tld,
                       lang_check=False, timeout=self.timeout)
            tts.save(str(out))
        except gTTSError as exc:
            status = getattr(getattr(exc, "rsp", None), "status_code", None)
            raise TTSError(f"gTTS failed (HTTP {status})" if status else f"gTTS failed: {exc}") from exc
        except Exception as exc:  # requests' own errors, TypeError from a cut stream, …
            raise TTSError(f"gTTS failed: {exc}") from exc
        if not out.exists() or out.stat().st_size < 100:
            raise TTSError("gTTS returned no audio")


ENGINE_FACTORIES: dict[str, Callable[[], TTSEngine]] = {
    "espeak": EspeakEngine,
    "espeak-ng": EspeakEngine,
    "gtts": GTTSEngine,
}


def engines_from_config(spec: str, *, gtts_slow: bool = False) -> list[TTSEngine]:
    out: list[TTSEngine] = []
    for name in (n.strip().lower() for n in spec.split(",")):
        if not name:
            continue
        if name not in ENGINE_FACTORIES:
            raise ValueError(f"unknown TTS engine {name!r} in TTS_ENGINES")
        out.append(GTTSEngine(slow=gtts_slow) if name == "gtts" else ENGINE_FACTORIES[name]())
    return out


@dataclass
class EngineChain:
    """Engines in preference order with a circuit breaker per engine."""

    engines: list[TTSEngine]
    cooldown: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _down_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def is_down(self, engine: TTSEngine) -> bool:
        with self._lock:
            return self._down_until.get(engine.name, 0.0) > self.clock()

    def mark_down(self, engine: TTSEngine, reason: str) -> None:
        with self._lock:
            was_down = engine.name in self._down_until
            self._down_until[engine.name] = self.clock() + self.cooldown
        if not was_down:  # once per outage, not once per prompt
            later = [e.name for e in self.engines if e is not engine]
            log.warning("TTS engine %s unavailable (%s); using %s for %d s", engine.name, reason,
                        ", ".join(later) or "Twilio <Say>", int(self.cooldown))

    def mark_up(self, engine: TTSEngine) -> None:
        with self._lock:
            was_down = self._down_until.pop(engine.name, None) is not None
        if was_down:
            log.info("TTS engine %s works again", engine.name)

    def synthesize(self, engine: TTSEngine, text: str, lang: str, out: Path) -> bool:
        """Try one engine; on failure open its breaker. True when ``out`` was written."""
        try:
            engine.synthesize(text, lang, out)
        except TTSError as exc:
            self.mark_down(engine, str(exc))
            return False
        self.mark_up(engine)
        return True
