"""Audio storage behind a small interface, plus conversion and probing with ffmpeg/ffprobe.

Everything the app serves is MP3 (libmp3lame, mono, 22.05 kHz): Twilio's ``<Play>`` takes it,
it is a tenth of the size of WAV, and browsers (the simulator) play it too. Storage is a local
directory by default (``AUDIO_DIR``); a shared store only has to implement ``AudioStorage``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SERVED_EXT = "mp3"
SERVED_MIMETYPE = "audio/mpeg"
SAMPLE_RATE = 22050


class AudioError(RuntimeError):
    """ffmpeg could not read or write a file."""


class AudioStorage(Protocol):
    """Where audio lives. Names are relative POSIX paths such as ``prompts/ab/<key>.mp3``."""

    def path(self, name: str) -> Path: ...
    def exists(self, name: str) -> bool: ...
    def put_file(self, src: Path, name: str) -> None: ...
    def put_bytes(self, data: bytes, name: str) -> None: ...
    def put_json(self, data: dict[str, Any], name: str) -> None: ...
    def delete(self, name: str) -> None: ...


class LocalStorage:
    """A directory; writes go through a temporary file and ``os.replace`` so a reader (or another
    host rendering the same prompt) never sees half a file."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._resolved_root = self.root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        # normpath, not resolve(): this runs for every sentence of every turn, and resolve()
        # stats each path component. Names come from our own keys; ".." is still refused.
        p = Path(os.path.normpath(self._resolved_root / name))
        if self._resolved_root not in p.parents:
            raise ValueError(f"audio name outside storage: {name!r}")
        return p

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def _atomic(self, name: str) -> tuple[Path, Path]:
        dest = self.path(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        os.close(fd)
        return dest, Path(tmp)

    def put_file(self, src: Path, name: str) -> None:
        dest, tmp = self._atomic(name)
        try:
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes, name: str) -> None:
        dest, tmp = self._atomic(name)
        try:
            tmp.write_bytes(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def put_json(self, data: dict[str, Any], name: str) -> None:
        self.put_bytes(json.dumps(data, ensure_ascii=False, indent=1).encode(), name)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


def _run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"{cmd[0]} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise AudioError(f"{cmd[0]} exited {proc.returncode}: {' / '.join(tail)}")
    return proc


def to_served(src: Path, dest: Path, *, filters: str | None = None) -> None:
    """Any input ffmpeg reads → the served MP3. ``filters`` is an ffmpeg audio filter chain
    (``atempo=0.9`` slows gTTS speech toward DESIGN rule 4's 150 words a minute)."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
           "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    if filters:
        cmd += ["-af", filters]
    cmd += ["-c:a", "libmp3lame", "-q:a", "5", "-f", "mp3", str(dest)]
    _run(cmd)


def to_pcm(src: Path, rate: int = 16000, seconds: float | None = None) -> bytes:
    """Mono signed 16-bit little-endian PCM at ``rate``: what Vosk and the silence check read.
    ``seconds``: decode at most this much (an upload's length is checked without decoding
    hours of it)."""
    limit = ["-t", str(seconds)] if seconds is not None else []
    proc = _run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(src),
                 "-vn", *limit, "-ac", "1", "-ar", str(rate), "-f", "s16le", "-acodec",
                 "pcm_s16le", "-"], timeout=600)
    return proc.stdout


@dataclass(frozen=True)
class Probe:
    format_name: str
    codec: str
    duration: float
    sample_rate: int
    channels: int


def probe(path: Path) -> Probe:
    """Container, codec and length from ffprobe; ``AudioError`` if it holds no audio stream."""
    proc = _run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                 "-show_streams", "-select_streams", "a:0", str(path)], timeout=60)
    info = json.loads(proc.stdout or b"{}")
    streams = info.get("streams") or []
    if not streams:
        raise AudioError("no audio stream")
    stream, fmt = streams[0], info.get("format", {})
    duration = float(fmt.get("duration") or stream.get("duration") or 0.0)
    return Probe(format_name=fmt.get("format_name", ""), codec=stream.get("codec_name", ""),
                 duration=duration, sample_rate=int(stream.get("sample_rate") or 0),
                 channels=int(stream.get("channels") or 0))


def wav_duration(path: Path) -> float | None:
    """Length of a PCM WAV from its header (no subprocess); None if it is not one."""
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            return round(w.getnframes() / float(w.getframerate()), 2)
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return None


def new_recording_name() -> str:
    """An unguessable name: recordings are served to Twilio before review, so the URL must not
    be enumerable."""
    return f"recordings/{uuid.uuid4().hex}.{SERVED_EXT}"


def store_converted(storage: AudioStorage, src: Path, name: str) -> float:
    """Convert ``src`` to the served format under ``name``; returns its length in seconds."""
    with tempfile.TemporaryDirectory(prefix="lampio-conv-") as tmp:
        out = Path(tmp) / f"out.{SERVED_EXT}"
        to_served(src, out)
        length = probe(out).duration
        storage.put_file(out, name)
    return length


SILENCE_DBFS = -45.0  # windowed RMS; phone-line hiss sits near -60, speech well above -30


def loudest_dbfs(path: Path, window: float = 0.05) -> float:
    """Loudness of the loudest 50 ms of a file, in dBFS (-inf for digital silence)."""
    import numpy as np

    rate = 8000
    pcm = np.frombuffer(to_pcm(path, rate), dtype="<i2").astype(np.float64) / 32768.0
    n = max(1, int(rate * window))
    if pcm.size < n:
        return float("-inf")
    frames = pcm[: pcm.size // n * n].reshape(-1, n)
    rms = float(np.sqrt((frames ** 2).mean(axis=1)).max())
    return 20 * float(np.log10(rms)) if rms > 0 else float("-inf")


def is_near_silent(path: Path, threshold: float = SILENCE_DBFS) -> bool:
    return loudest_dbfs(path) < threshold
