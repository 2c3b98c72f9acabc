"""One turn's world (``Ctx``), what came in (``Input``) and the flows' settings.

Kept apart from the turn loop (``engine``), which re-exports them: every node module imports
them from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller

from . import prompts
from .office_hours import OfficeHours
from .ports import CallRows, Services
from .reply import Segment


@dataclass(frozen=True)
class Heard:
    """Words a caller said in a node and what became of them: "matched", "unsure" (asked to
    confirm) or "not_understood". ``words`` hold no numbers (``matching.without_numbers``)."""

    node: str
    lang: str
    words: str
    outcome: str
    at: datetime


@dataclass
class Settings:
    staff_number: str | None
    office_hours: OfficeHours
    join_minutes: int = 15  # a live room opens this many minutes before the start
    host_ends_room: bool = True  # the room ends when its host leaves
    # Words recognised with a confidence below this are confirmed before they act (0: never).
    confirm_below: float = 0.0


@dataclass
class Input:
    """One turn from the channel. ``event`` is "input" (keys or words), "timeout" (silence),
    or a channel callback such as "dial" or "record" with its fields in ``params``."""

    digits: str = ""
    speech: str = ""
    event: str = "input"
    params: dict[str, str] = field(default_factory=dict)
    confidence: float | None = None  # the recogniser's, 0-1, for words; None: not given

    @property
    def empty(self) -> bool:
        return not self.digits and not self.speech.strip()


_UNSET: Any = object()


@dataclass
class Ctx:
    """One turn's world. ``state`` keeps ``call_id``, ``caller_id`` and ``city`` (the caller's
    home city) so that a turn that needs neither the call record nor the caller reads nothing."""

    db: DbSession
    settings: Settings
    now: datetime
    state: dict[str, Any]
    services: Services = field(default_factory=Services)
    visits: list[tuple[str, datetime]] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)  # words said this turn, for the speech log
    # The channel commits the turn's writes itself before the reply is heard: a voice webhook
    # of a node that writes begins as the writer and commits in ``voice.views._finish``, and the
    # registration services then only flush. In any other turn they take the write lock for
    # their own unit and commit it, so that the lock is not held for the rest of the turn.
    commits: bool = False
    # A language the caller chose this turn: the channel keeps it on the caller with the visits,
    # in a batch (``voice.visits``), so that choosing it writes nothing on the turn.
    language_chosen: str | None = None
    # Set when the turn asked who calls: its answer is then this call's own, and the channel
    # does not answer another call's same turn with it (``voice.turn_memo``).
    personal: bool = False
    # A call whose person's row or record is not written yet (state ``np``, ``at``): the
    # channel's, to make them when a turn asks (``caller_id``, ``call_id``).
    rows: CallRows | None = None
    # Whether the caller has news to be told, as the call's first read found it (None: not
    # read this turn; ``news`` then asks).
    news_marked: bool | None = None
    _caller: Any = field(default=_UNSET, repr=False)

    @property
    def caller(self) -> Caller | None:
        self.personal = True
        if self._caller is _UNSET:
            cid = self.state.get("caller_id")
            self._caller = self.db.get(Caller, int(cid)) if cid else self._made_person()
        return self._caller

    def _made_person(self) -> Caller | None:
        """A new number's row, made now (a turn that needs the person); None: no number."""
        if not self.state.get("np") or self.rows is None:
            return None
        person = self.rows.person(self.db)
        self._caller = person
        self.state.pop("np", None)
        self.state["caller_id"] = person.id
        return person

    @property
    def caller_id(self) -> int | None:
        """Who calls, without loading the row: registering needs no more (a confirm's SELECT).
        A new number's row is made here (its first webhook held only an unsaved person)."""
        self.personal = True
        if self._caller is not _UNSET and (self._caller is None or self._caller.id is not None):
            return self._caller.id if self._caller is not None else None
        cid = self.state.get("caller_id")
        if cid:
            return int(cid)
        person = self._made_person()
        return person.id if person is not None else None

    @property
    def call_id(self) -> int:
        """The call's record, made now when its first webhook left it to the batch (0: none)."""
        self.personal = True
        if not self.state.get("call_id") and self.state.get("at") and self.rows is not None:
            call_id, caller_id = self.rows.record(self.db, int(self.state.pop("at")))
            self.state["call_id"] = call_id
            if self.state.pop("np", None) and caller_id is not None:
                self.state["caller_id"] = caller_id
                self._caller = _UNSET  # the unsaved person of a first webhook: the row now
        return int(self.state.get("call_id") or 0)

    @property
    def caller_known(self) -> bool:
        """Whether the caller's number is known (a caller record, or a new number's row still
        to be made), without loading it. Not personal: whether the caller is known travels
        beside every state (``voice.callstate.who``), and a kept answer is kept for known and
        unknown callers apart."""
        if self._caller is not _UNSET:
            return self._caller is not None
        return bool(self.state.get("caller_id") or self.state.get("np"))

    def set_caller(self, caller: Caller | None, first: bool = False) -> None:
        """``first``: this call made the caller's row, so nothing can be waiting to be told to
        them (``news``); the mark lasts until the news would be looked for. A person not saved
        yet (a new number on a first webhook that writes nothing) is ``np`` in the state."""
        self._caller = caller
        if first and caller is not None:
            self.state["first"] = 1
        if caller is not None and caller.id is None:
            self.state.pop("caller_id", None)
            self.state["np"] = 1
        else:
            self.state["caller_id"] = caller.id if caller is not None else None
        self.state["city"] = caller.city_id if caller is not None else None
        if caller is not None and caller.slow_speech:
            self.state["slow"] = 1

    @property
    def home_city(self) -> int | None:
        if "city" in self.state:
            return self.state["city"]
        return self.caller.city_id if self.caller is not None else None

    @property
    def lang(self) -> str:
        return self.state.get("lang") or "fi"

    @property
    def data(self) -> dict[str, Any]:
        return self.state.setdefault("data", {})

    def say(self, key: str, **values: Any) -> list[Segment]:
        return prompts.segments(self.lang, key, **values)
