"""Recordings callers hear by phone, as files: a recording session's whole audio, split at
storage time into parts of a few minutes (``RECORDING_PART_SECONDS``).

Each part is its own MP3 under ``recordings/<random>.mp3``, so each is a separately playable URL
that the audio blueprint serves with an ETag and byte ranges, like every recording; a caller can
skip, go back or start a part again without anything being cut on the caller's turn. The rows
(``catalogue.listening``) are written by whoever calls these: the admin and ``voice/``.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import storage as st
from .recordings import RecordingError, TwilioRecordings
from .upload import accept_upload

SESSION_MAX_BYTES = 300 * 1024 * 1024  # a whole performance, not a two-minute description
SESSION_MAX_SECONDS = 3 * 3600
DEFAULT_PART_SECONDS = 180


@dataclass(frozen=True)
class StoredParts:
    whole: str  # storage name of the whole recording (staff listen to it in the admin)
    parts: list[str]  # storage names of the parts, in order
    duration: float
    part_seconds: int


def part_spans(duration: float, part_seconds: int) -> list[tuple[float, float]]:
    """(start, length) of equal parts of about ``part_seconds``. A tail shorter than a quarter
    of a part is not a part of its own: it lengthens the others a little."""
    count = max(1, math.ceil(duration / part_seconds - 0.25))
    length = duration / count
    return [(i * length, length) for i in range(count)]


def _cut(src: Path, start: float, length: float, dest: Path) -> None:
    st._run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
             "-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(src), "-vn", "-ac", "1",
             "-ar", str(st.SAMPLE_RATE), "-c:a", "libmp3lame", "-q:a", "5", "-f", "mp3",
             str(dest)], timeout=600)


def split_stored(storage: st.AudioStorage, whole: str, duration: float,
                 part_seconds: int) -> StoredParts:
    """Split a stored served-format recording into parts, each stored under a new name."""
    spans = part_spans(duration, part_seconds)
    if len(spans) == 1:
        return StoredParts(whole, [whole], duration, part_seconds)
    names: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="lampio-parts-") as tmp:
            for i, (start, length) in enumerate(spans):
                out = Path(tmp) / f"part{i}.{st.SERVED_EXT}"
                _cut(storage.path(whole), start, length, out)
                name = st.new_recording_name()
                storage.put_file(out, name)
                names.append(name)
    except st.AudioError:
        for name in names:
            storage.delete(name)
        raise
    return StoredParts(whole, names, duration, part_seconds)


def store_upload(storage: st.AudioStorage, upload: BinaryIO | bytes | Path,
                 part_seconds: int) -> StoredParts:
    """A provider's upload for a recording session: the description upload's checks (type by
    content, size, length, silence) with a whole performance's limits, then the parts.
    Raises ``audio.upload.UploadError``."""
    stored = accept_upload(storage, upload, max_bytes=SESSION_MAX_BYTES,
                           max_seconds=SESSION_MAX_SECONDS)
    return split_stored(storage, stored.name, stored.duration, part_seconds)


def fetch_room_recording(recordings: TwilioRecordings, recording_url: str, recording_sid: str,
                         part_seconds: int) -> StoredParts:
    """A live room's recording from Twilio, with the provider line's safe download (allowed
    hosts only, our credentials, deleted at Twilio afterwards), then the parts. Raises
    ``RecordingError`` when it cannot be fetched or holds nothing to hear."""
    # The MP3 rendition: a whole performance as Twilio's WAV (8 kHz, 16 bit) is about 58 MB an
    # hour, near the download limit; the MP3 is a few times smaller.
    last = recording_url.rstrip("/").rsplit("/", 1)[-1]
    fetched = recordings.fetch(recording_url if "." in last else recording_url + ".mp3",
                               recording_sid)
    if fetched.silent:
        recordings.discard(fetched.name)
        raise RecordingError("the room recording is silent")
    try:
        return split_stored(recordings.storage, fetched.name, fetched.duration, part_seconds)
    except st.AudioError as exc:
        recordings.discard(fetched.name)
        raise RecordingError(f"could not split the room recording: {exc}") from exc
