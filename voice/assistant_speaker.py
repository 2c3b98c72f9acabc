"""What the voice assistant says: each turn's TwiML as sound — the cached audio of a ``<Play>``
read from the audio store, espeak-ng (offline) for a ``<Say>`` that has none, silence for a
``<Pause>`` — played on the speaker and/or written per turn as WAV and text.

The sound is made segment by segment and the first one goes out as soon as it is ready, so the
time from the end of the person's speech to the first sound is one webhook turn and one
segment's decoding, not the whole turn's (``bench/bench_vosk.py`` measures it).
"""
from __future__ import annotations

import subprocess
import tempfile
import time
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

from audio.service import AudioService
from audio.storage import AudioError, to_pcm
from audio.tts import EspeakEngine, TTSError

from .recognition import MODEL_RATE
from .twiml import SAY_RATE, SPEECH_LANG

SAY_LANG = {code: lang for lang, code in SPEECH_LANG.items()}  # "fi-FI" → "fi"
WPM = 150  # DESIGN rule 4; a caller who asked for slower speech gets the audio's 0.85


class Player(Protocol):
    def play(self, pcm: bytes) -> None: ...

    def close(self) -> None: ...


class SoxPlayer:
    """The speaker, through sox's ``play`` reading raw 16 kHz PCM on stdin (``aplay`` when
    sox is missing). Not tested here: this machine has no sound device."""

    def __init__(self) -> None:
        import shutil

        if shutil.which("play"):
            cmd = ["play", "-q", "-t", "raw", "-r", str(MODEL_RATE), "-e", "signed", "-b", "16",
                   "-c", "1", "-"]
        elif shutil.which("aplay"):
            cmd = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", str(MODEL_RATE), "-c", "1"]
        else:
            raise RuntimeError("no player: install sox (play) or alsa-utils (aplay)")
        self._cmd = cmd

    def play(self, pcm: bytes) -> None:
        subprocess.run(self._cmd, input=pcm, check=False)

    def close(self) -> None:
        pass


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * MODEL_RATE)


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(MODEL_RATE)
        w.writeframes(pcm)


class Speaker:
    """Turns TwiML into sound. ``play_text`` gives a ``<Play>``'s sentence for the text file."""

    def __init__(self, audio: AudioService | None, out_dir: Path | None = None,
                 player: Player | None = None,
                 play_text: Callable[[str], str | None] | None = None) -> None:
        self.audio = audio
        self.out_dir = out_dir
        self.player = player
        self.play_text = play_text
        self.turn_no = 0
        self.first_sounds: list[float] = []  # when each turn's first sound went out (monotonic)
        self._espeak = EspeakEngine(wpm=WPM)
        self._slow = EspeakEngine(wpm=round(WPM * 0.85))
        self._made: dict[tuple[str, str, bool], bytes] = {}
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    def _say(self, text: str, lang: str, slow: bool) -> bytes:
        key = (text, lang, slow)
        if key not in self._made:
            engine = self._slow if slow else self._espeak
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "say.wav"
                try:
                    engine.synthesize(text, lang if engine.supports(lang) else "fi", out)
                    self._made[key] = to_pcm(out, MODEL_RATE)
                except (TTSError, AudioError):
                    self._made[key] = b""
        return self._made[key]

    def made(self) -> list[tuple[str, str, bool]]:
        """The sentences espeak-ng made here (no cached audio had them)."""
        return [key for key, pcm in self._made.items() if pcm]

    def _play(self, url: str) -> bytes:
        path = self.audio.local_file(url) if self.audio is not None else None
        try:
            return to_pcm(path, MODEL_RATE) if path is not None else b""
        except AudioError:
            return b""

    def pieces(self, root: ET.Element) -> list[tuple[Callable[[], bytes], str]]:
        """The turn's sounds in order, each made when asked for, with its text."""
        out: list[tuple[Callable[[], bytes], str]] = []
        for el in root.iter():
            if el.tag == "Pause":
                seconds = float(el.get("length") or 1)
                out.append((partial(silence, seconds), ""))
            elif el.tag == "Play" and el.text:
                url = el.text.strip()
                out.append((partial(self._play, url), self._play_label(url)))
            elif el.tag == "Say":
                text = "".join(el.itertext()).strip()
                prosody = el.find("prosody")
                slow = prosody is not None and prosody.get("rate") not in (None, SAY_RATE)
                lang = SAY_LANG.get(el.get("language") or "", "fi")
                if text:
                    out.append((partial(self._say, text, lang, slow), text))
        return out

    def _play_label(self, url: str) -> str:
        return (self.play_text(url) if self.play_text else None) or f"[audio {url}]"

    def sentence(self, text: str, lang: str) -> tuple[Callable[[], bytes], str]:
        """A sentence of the assistant's own (espeak-ng), as a piece of a turn."""
        return partial(self._say, text, lang, False), text

    def speak(self, root: ET.Element | None,
              extra: list[tuple[Callable[[], bytes], str]] | None = None) -> str:
        """Say one turn (``extra`` first); returns its text. The time of the first sound is
        kept in ``first_sounds``."""
        self.turn_no += 1
        pieces = (extra or []) + (self.pieces(root) if root is not None else [])
        sound: list[bytes] = []
        for make, _text in pieces:
            pcm = make()
            if pcm and not any(sound):
                self.first_sounds.append(time.monotonic())
            if self.player is not None and pcm:
                self.player.play(pcm)
            sound.append(pcm)
        text = "\n".join(t for _, t in pieces if t)
        if self.out_dir is not None:
            stem = self.out_dir / f"{self.turn_no:02d}-said"
            write_wav(stem.with_suffix(".wav"), b"".join(sound))
            stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        return text
