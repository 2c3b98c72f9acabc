"""The simulator's stand-in for Twilio's conferences, in memory or in a file.

Why a file: on the embedded default every ``lampio call`` is its own process, and the server's
simulated REST client (``voice.twilio_sim``) is yet another; they must see one set of rooms, so
a host coming in, the live console's unmute or a room's end reach every listener. The file
(``instance/simulated_rooms.json``) is read and rewritten whole under an exclusive lock, as
``CallStore`` does. Without a path the state lives in memory, for the tests whose simulated
calls share one process.

State: conferences by sid (``CF…``), the current sid of each friendly name, and each call's
pending events (``started``, ``unmuted`` with an announce URL, ``muted``, ``removed``,
``ended``) that its own process takes and acts on.
"""
from __future__ import annotations

import fcntl
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulator import SimulatedCall

FILE_NAME = "simulated_rooms.json"
KEEP_ENDED_SECONDS = 24 * 3600
State = dict[str, Any]


@dataclass(frozen=True)
class Joined:
    sid: str
    started: bool  # the room is live (the host is in)
    started_now: bool  # this join started it: the joiner posts conference-start


def _empty() -> State:
    return {"conferences": {}, "current": {}, "events": {}}


class SimRooms:
    """Conferences shared by simulated calls (and the server's simulated REST client)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: State = _empty()
        self._mutex = threading.RLock()
        self.local: dict[str, "SimulatedCall"] = {}  # calls of this process, by CallSid

    @classmethod
    def in_folder(cls, folder: str | Path) -> "SimRooms":
        return cls(Path(folder) / FILE_NAME)

    # -- storage ---------------------------------------------------------------------------
    @contextmanager
    def edit(self) -> Iterator[State]:
        """The whole state, locked; what the block leaves in it is written back."""
        with self._mutex:
            if self.path is None:
                yield self._memory
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    state = json.loads(self.path.read_text()) if self.path.exists() else _empty()
                    yield state
                    tmp = self.path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(state))
                    tmp.replace(self.path)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _find(state: State, ref: str) -> dict[str, Any] | None:
        """A conference by its sid, or the current one of a friendly name."""
        confs: dict[str, Any] = state["conferences"]
        return confs.get(ref) or confs.get(state["current"].get(ref, ""))

    @staticmethod
    def _tell(state: State, call_sid: str, kind: str, **extra: Any) -> None:
        state["events"].setdefault(call_sid, []).append({"kind": kind, **extra})

    def _end(self, state: State, conf: dict[str, Any]) -> None:
        conf["ended"] = True
        for member in conf["members"]:
            self._tell(state, member, "ended")

    # -- what calls do ---------------------------------------------------------------------
    def join(self, name: str, call_sid: str, *, host: bool, ends_room: bool, muted: bool,
             record: bool = False, recording_callback: str = "",
             status_callback: str = "") -> Joined:
        now = time.time()
        with self.edit() as state:
            for sid, old in list(state["conferences"].items()):  # forget long-ended rooms
                if old["ended"] and now - old["created"] > KEEP_ENDED_SECONDS:
                    del state["conferences"][sid]
            conf = self._find(state, name)
            if conf is None or conf["ended"]:
                conf = {"sid": "CF" + uuid.uuid4().hex, "name": name, "created": now,
                        "started": False, "started_at": None, "ended": False, "record": False,
                        "recording_callback": "", "status_callback": "", "members": {},
                        "end_claimed": False, "end_posted": False}
                state["conferences"][conf["sid"]] = conf
                state["current"][name] = conf["sid"]
            if record and recording_callback:
                conf["record"], conf["recording_callback"] = True, recording_callback
            conf["status_callback"] = conf["status_callback"] or status_callback
            conf["members"][call_sid] = {"host": host, "ends_room": ends_room, "muted": muted}
            state["events"].pop(call_sid, None)  # nothing old is meant for this stay
            started_now = host and not conf["started"]
            if started_now:
                conf["started"], conf["started_at"] = True, now
                for other, member in conf["members"].items():
                    if other != call_sid and not member["host"]:
                        self._tell(state, other, "started")
            return Joined(conf["sid"], conf["started"], started_now)

    def leave(self, sid: str, call_sid: str) -> bool:
        """The call leaves; True when that ends the room (a host who ends it, or the last one
        out of a live room) — the leaver then posts conference-end."""
        with self.edit() as state:
            conf = self._find(state, sid)
            if conf is None:
                return False
            member = conf["members"].pop(call_sid, None)
            state["events"].pop(call_sid, None)
            if member is None or conf["ended"]:
                return False
            ends = (member["host"] and member["ends_room"]) or (conf["started"]
                                                               and not conf["members"])
            if ends:
                self._end(state, conf)
                conf["end_claimed"] = True
            return ends

    def end(self, sid: str, *, claim: bool) -> bool:
        """End the room; every call in it is told. With ``claim`` the caller posts
        conference-end (True unless someone already does)."""
        with self.edit() as state:
            conf = self._find(state, sid)
            if conf is None or conf["ended"]:
                return False
            self._end(state, conf)
            if claim:
                conf["end_claimed"] = True
            return True

    def claim_end(self, sid: str) -> bool:
        """True for the one process that is to post conference-end of a room that ended."""
        with self.edit() as state:
            conf = self._find(state, sid)
            if conf is None or conf["end_claimed"]:
                return False
            conf["end_claimed"] = True
            return True

    def end_posted(self, sid: str) -> None:
        with self.edit() as state:
            conf = self._find(state, sid)
            if conf is not None:
                conf["end_posted"] = True

    def wait_end_posted(self, sid: str, timeout: float = 15.0) -> bool:
        """Wait (bounded) until whoever claimed the end has told the service."""
        deadline = time.monotonic() + timeout
        while True:
            with self.edit() as state:
                conf = self._find(state, sid)
                if conf is None or conf["end_posted"]:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def take_events(self, call_sid: str) -> list[dict[str, Any]]:
        with self.edit() as state:
            return list(state["events"].pop(call_sid, []))

    def conference(self, ref: str) -> dict[str, Any] | None:
        """A copy of one conference (by sid or friendly name)."""
        with self.edit() as state:
            conf = self._find(state, ref)
            return json.loads(json.dumps(conf)) if conf is not None else None

    # -- what the REST API does (the live console, through ``voice.twilio_sim``) -------------
    def set_muted(self, ref: str, call_sid: str, muted: bool, announce_url: str = "") -> bool:
        with self.edit() as state:
            conf = self._find(state, ref)
            if conf is None or conf["ended"] or call_sid not in conf["members"]:
                return False
            conf["members"][call_sid]["muted"] = muted
            if muted:
                self._tell(state, call_sid, "muted")
            else:
                self._tell(state, call_sid, "unmuted", announce=announce_url)
            return True

    def remove(self, ref: str, call_sid: str) -> bool:
        with self.edit() as state:
            conf = self._find(state, ref)
            if conf is None or conf["ended"] or call_sid not in conf["members"]:
                return False
            self._tell(state, call_sid, "removed")
            return True
