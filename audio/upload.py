"""Accepting an uploaded audio description (for the admin): check, convert, store.

The type is decided by the file's content (magic bytes, then ffprobe must find an audio stream),
never by its name; size and length are limited before anything is kept (DESIGN §6).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from . import storage as st

MAX_BYTES = 20 * 1024 * 1024
MAX_SECONDS = 5 * 60
MIN_SECONDS = 1.0
ACCEPTED_MIME = {
    "audio/mpeg", "audio/x-wav", "audio/wav", "audio/ogg", "audio/x-flac", "audio/flac",
    "audio/m4a", "audio/mp4", "video/mp4", "audio/aac", "audio/amr", "audio/webm", "video/webm",
    "audio/opus",
}

MESSAGES: dict[str, dict[str, str]] = {
    "empty": {
        "fi": "Tiedosto on tyhjä.",
        "sv": "Filen är tom.",
        "en": "The file is empty.",
    },
    "too_big": {
        "fi": "Tiedosto on liian suuri. Enimmäiskoko on {mb} Mt.",
        "sv": "Filen är för stor. Den största tillåtna storleken är {mb} MB.",
        "en": "The file is too large. The limit is {mb} MB.",
    },
    "not_audio": {
        "fi": "Tiedosto ei ole äänitiedosto. Lähetä MP3-, WAV-, M4A-, OGG- tai FLAC-tiedosto.",
        "sv": "Filen är inte en ljudfil. Skicka en MP3-, WAV-, M4A-, OGG- eller FLAC-fil.",
        "en": "The file is not an audio file. Please send an MP3, WAV, M4A, OGG or FLAC file.",
    },
    "unreadable": {
        "fi": "Äänitiedostoa ei voitu lukea. Se voi olla vioittunut.",
        "sv": "Ljudfilen kunde inte läsas. Den kan vara skadad.",
        "en": "The audio file could not be read. It may be damaged.",
    },
    "too_long": {
        "fi": "Äänite on liian pitkä ({minutes} min). Enimmäispituus on {limit} minuuttia.",
        "sv": "Inspelningen är för lång ({minutes} min). Den får vara högst {limit} minuter.",
        "en": "The recording is too long ({minutes} min). The limit is {limit} minutes.",
    },
    "too_short": {
        "fi": "Äänite on liian lyhyt tai hiljainen.",
        "sv": "Inspelningen är för kort eller tyst.",
        "en": "The recording is too short or silent.",
    },
}


class UploadError(ValueError):
    """A rejected upload. ``message`` maps language → a sentence to show the provider."""

    def __init__(self, code: str, **values: object) -> None:
        self.code = code
        self.message = {lang: text.format(**values) for lang, text in MESSAGES[code].items()}
        super().__init__(self.message["en"])

    def text(self, lang: str) -> str:
        return self.message.get(lang) or self.message["en"]


@dataclass(frozen=True)
class StoredUpload:
    name: str  # storage name of the converted file
    duration: float
    detected_mime: str


def _spool(src: BinaryIO | bytes | Path, dest: Path, max_bytes: int = MAX_BYTES) -> int:
    """Copy the upload to ``dest``, stopping one byte past the limit (never read it all)."""
    if isinstance(src, (bytes, bytearray)):
        if len(src) > max_bytes:
            raise UploadError("too_big", mb=max_bytes >> 20)
        dest.write_bytes(src)
        return len(src)
    fh: BinaryIO = open(src, "rb") if isinstance(src, Path) else src
    try:
        total = 0
        with open(dest, "wb") as out:
            while chunk := fh.read(1 << 16):
                total += len(chunk)
                if total > max_bytes:
                    raise UploadError("too_big", mb=max_bytes >> 20)
                out.write(chunk)
        return total
    finally:
        if isinstance(src, Path):
            fh.close()


def validate(path: Path, max_bytes: int = MAX_BYTES,
             max_seconds: int = MAX_SECONDS) -> tuple[str, float]:
    """(detected MIME type, duration) of a spooled upload, or ``UploadError``."""
    size = path.stat().st_size
    if size == 0:
        raise UploadError("empty")
    if size > max_bytes:
        raise UploadError("too_big", mb=max_bytes >> 20)
    kind = filetype.guess(str(path))
    if kind is None or kind.mime not in ACCEPTED_MIME:
        raise UploadError("not_audio")
    try:
        info = st.probe(path)
    except st.AudioError as exc:
        raise UploadError("unreadable") from exc
    if info.duration > max_seconds:
        raise UploadError("too_long", minutes=round(info.duration / 60, 1),
                          limit=max_seconds // 60)
    try:
        silent = st.is_near_silent(path)
    except st.AudioError as exc:
        raise UploadError("unreadable") from exc
    if info.duration < MIN_SECONDS or silent:
        raise UploadError("too_short")
    return kind.mime, info.duration


def accept_upload(storage: st.AudioStorage, upload: BinaryIO | bytes | Path, *,
                  max_bytes: int = MAX_BYTES, max_seconds: int = MAX_SECONDS) -> StoredUpload:
    """Validate an uploaded file and store it converted; raises ``UploadError`` with a message
    per language. The caller (the admin) creates the row (a description, a recording's audio);
    a whole recorded performance may be longer and larger than a description."""
    with tempfile.TemporaryDirectory(prefix="lampio-upload-") as tmp:
        raw = Path(tmp) / "upload.bin"
        _spool(upload, raw, max_bytes)
        mime, _ = validate(raw, max_bytes, max_seconds)
        name = st.new_recording_name()
        try:
            duration = st.store_converted(storage, raw, name)
        except st.AudioError as exc:
            storage.delete(name)
            raise UploadError("unreadable") from exc
    return StoredUpload(name=name, duration=duration, detected_mime=mime)
