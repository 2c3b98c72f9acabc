"""What a flow answers for one turn, independent of TwiML.

``voice.twiml`` renders a ``Reply`` as TwiML (``<Play>`` of cached audio or ``<Say>``); keeping
this neutral lets the flows stay free of HTTP and of the audio cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    """One sentence or phrase to speak. ``pause`` (seconds) comes before it: DESIGN rule 4 wants a
    pause before key information such as dates, times and codes."""

    text: str
    lang: str
    pause: float = 0.0
    audio_path: str | None = None  # a stored recording (a provider's own voice) to play instead


@dataclass(frozen=True)
class Gather:
    """Wait for keys or words. ``timeout`` is at least 6 s (DESIGN rule 3)."""

    hints: tuple[str, ...] = ()
    num_digits: int | None = 1
    finish_on_key: str = ""
    timeout: int = 7
    speech: bool = True


@dataclass(frozen=True)
class Record:
    max_length: int = 180
    finish_on_key: str = "#"
    beep: bool = True


@dataclass(frozen=True)
class Conference:
    """Put the call into a session's live room. A listener enters muted, waits (with calm
    audio) until the host starts the room, and leaves it for a small menu with ``*``; the host
    speaks, starts the room on entering and, when ``end_on_exit``, ends it on leaving.
    ``record``: the session may be recorded (its room is recorded from the start)."""

    session_id: int
    host: bool = False
    end_on_exit: bool = False
    record: bool = False


@dataclass
class Reply:
    speech: list[Segment] = field(default_factory=list)
    gather: Gather | None = None
    record: Record | None = None
    dial: str | None = None  # E.164 number to transfer to
    conference: Conference | None = None  # a live room (spoken text is its welcome)
    hangup: bool = False
    slow: bool = False  # the caller asked for slower speech: slower audio and <Say>

    def extend(self, segments: list[Segment]) -> "Reply":
        self.speech.extend(segments)
        return self
