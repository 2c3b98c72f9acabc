"""The object the rest of the app talks to: ``app.extensions["lampio_audio"]``.

``prompt_url`` and ``recording_url`` are what the TwiML renderer asks on every turn; both are
lookups only. Synthesis happens in ``render`` (the CLI and the background worker).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session as DbSession

from catalogue.models import Event
from ivr_flows.reply import Segment

from . import storage as st
from .description import approved_description, description_for
from .cache import KEY_RE, PromptCache, audio_name
from .recordings import FetchedRecording, TwilioRecordings
from .render import Sentences
from .tts import EngineChain

URL_PREFIX = "/audio"
_RECORDING_RE = re.compile(r"^recordings/[0-9a-f]{32}\.(mp3|json)$")


@dataclass
class AudioService:
    storage: st.LocalStorage
    chain: EngineChain
    cache: PromptCache
    recordings: TwilioRecordings
    vosk_models: dict[str, str] = field(default_factory=dict)
    sentences: Sentences | None = None  # every sentence the line can say; set by voice/
    worker: Any = None  # audio.jobs.Worker when the scheduler runs in this process

    # -- for the TwiML renderer ----------------------------------------------------------
    def prompt_url(self, segment: Segment, slow: bool = False) -> str | None:
        """URL path of the cached rendering of the segment (its slower variant for a caller
        who asked for slower speech), or None (then ``<Say>``, at the same rate)."""
        if segment.audio_path:
            return self.recording_url(segment.audio_path)
        key = (self.cache.lookup_slow if slow else self.cache.lookup)(segment.text, segment.lang)
        return f"{URL_PREFIX}/{key}.{st.SERVED_EXT}" if key else None

    def recording_url(self, audio_path: str) -> str:
        return f"{URL_PREFIX}/{audio_path}"

    # -- for the call flows (through ``ivr_flows.ports.Services``) ----------------------------
    def describe(self, db: DbSession, event_id: int, lang: str) -> Segment | None:
        """"Hear more" in the provider's own voice, when an approved recording exists."""
        if approved_description(db, event_id, lang) is None:
            return None  # the common case: one query, no event loaded
        event = db.get(Event, event_id)
        return description_for(db, event, lang) if event is not None else None

    def sentences_to_render(self, db: DbSession, now: datetime,
                            event_ids: list[int] | None) -> list[tuple[str, str]]:
        if self.sentences is None:
            raise RuntimeError("no sentence source: voice.init_app connects the flows' one")
        return self.sentences(db, now, event_ids)

    # -- for the simulator ---------------------------------------------------------------
    @staticmethod
    def _stored_name(url: str) -> str | None:
        path = urlsplit(url).path
        return path[len(URL_PREFIX) + 1:] if path.startswith(URL_PREFIX + "/") else None

    def local_file(self, url: str) -> Path | None:
        """The stored file a ``<Play>`` URL of ours serves (the voice assistant plays it from
        here, without HTTP), or None."""
        name = self._stored_name(url)
        if name is None or not (KEY_RE.match(name.rsplit(".", 1)[0]) or _RECORDING_RE.match(name)):
            return None
        path = self.storage.path(name)
        return path if path.is_file() else None

    def play_text(self, url: str) -> str | None:
        """What a ``<Play>`` URL says, from the cache's sidecar (None if unknown)."""
        name = self._stored_name(url)
        if name is None:
            return None
        stem = name.rsplit(".", 1)[0]
        if KEY_RE.match(stem):
            sidecar = audio_name(stem, "json")
        elif _RECORDING_RE.match(name):
            return "[recording]"
        else:
            return None
        try:
            return str(json.loads(self.storage.path(sidecar).read_text())["text"])
        except (OSError, ValueError, KeyError):
            return None

    # -- for the provider recording line (ivr_flows.provider_line) -------------------------
    def fetch_recording(self, recording_url: str, recording_sid: str) -> FetchedRecording:
        return self.recordings.fetch(recording_url, recording_sid)

    def discard_recording(self, name: str) -> None:
        self.storage.delete(name)

    def poke(self) -> None:
        """Ask the background worker to run soon (an event was edited, a recording kept)."""
        if self.worker is not None:
            self.worker.poke()
