"""What a flow needs from outside the flows, handed in by the channel that builds ``Ctx``.

The flows stay free of Flask and of the audio package: ``voice/`` fills ``Services`` with the
audio service's methods and the in-memory programme, and a test can hand in fakes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller
from catalogue.programme_cache import ProgrammeCache

from .reply import Segment


class Fetched(Protocol):
    name: str
    duration: float
    silent: bool


class RecordingSink(Protocol):
    """Where the provider line's recordings go (``audio.AudioService`` in the app)."""

    def fetch_recording(self, recording_url: str, recording_sid: str) -> Fetched: ...
    def discard_recording(self, name: str) -> None: ...
    def poke(self) -> None: ...


class CallRows(Protocol):
    """A call whose first webhook wrote nothing (``catalogue.call_records``): the channel makes
    its person's row or its record when a turn asks for them, in the turn's transaction."""

    def person(self, db: DbSession) -> Caller: ...
    def record(self, db: DbSession, started: int) -> tuple[int, int | None]:
        """The record's id and the person's (None: no number)."""


# "Hear more" in the provider's own voice: an approved recording of the event (by id), or None.
Describe = Callable[[DbSession, int, str], "Segment | None"]


def _fresh_programme() -> ProgrammeCache:
    return ProgrammeCache(recheck=0.0)


@dataclass
class Services:
    """``programme`` is the process's in-memory programme (one per app, built by the channel);
    the default, for a flow run on its own, rechecks the database on every turn."""

    describe: Describe | None = None
    recordings: RecordingSink | None = None
    programme: ProgrammeCache = field(default_factory=_fresh_programme)

    def sink(self) -> RecordingSink:
        if self.recordings is None:
            raise RuntimeError("no recording storage was given to the call (voice builds Ctx)")
        return self.recordings

