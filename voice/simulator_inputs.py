"""How the simulated caller answers: typed at the keyboard, or played from a script.

Split from ``voice.simulator_cli`` so the input side (what a person or a script does next) stays
apart from the call loop (``voice.simulator_run``) and from HTTP (``voice.simulator_http``).
"""
from __future__ import annotations

import re
import select
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from .simulator import Turn

_KEYS = re.compile(r"^[0-9*#]+$")

ActionKind = Literal["keys", "silence", "speech", "hangup", "record", "skip", "continue", "wait"]
ROOM_POLL_SECONDS = 0.5  # how often a call in a room looks at what the room did
WAIT_SECONDS = 60.0  # a script's bare ``wait``


class RoomLook(NamedTuple):
    """One look at the call's room: taken out of it (removed, or it ended); something said."""

    left: bool
    news: bool


RoomPoll = Callable[[], RoomLook]  # looks at the room and prints what it said


@dataclass(frozen=True)
class Action:
    """What the caller does next."""

    kind: ActionKind
    value: str = ""
    confidence: float | None = None  # speech recognised here (the voice assistant): how sure


class InputSource(Protocol):
    """Where the caller's answers come from: the keyboard, or a script."""

    def gather(self, turn: Turn, hint: str) -> Action: ...

    def transfer(self, number: str) -> Action: ...

    def record(self) -> Action: ...

    def room(self, hint: str, poll: RoomPoll) -> Action | None:
        """In a live room: the caller's next action, or None when the room took the call out
        (``poll`` said so) first."""
        ...


def parse_item(item: str) -> Action:
    """One script item: digits (``0-9*#``), ``silence``, ``say:words``, ``hangup``,
    ``skip`` / ``record:PATH`` (for a ``<Record>``), ``wait`` / ``wait:SECONDS`` (stay in a live
    room until it takes the call out, or that long)."""
    s = item.strip()
    low = s.lower()
    if _KEYS.match(s):
        return Action("keys", s)
    if low == "silence":
        return Action("silence")
    if low in {"hangup", "h"}:
        return Action("hangup")
    if low == "skip":
        return Action("skip")
    if low == "wait" or (low.startswith("wait:") and _seconds(s[5:]) is not None):
        return Action("wait", str(_seconds(s[5:])) if ":" in s else "")
    if low.startswith("say:") and s[4:].strip():
        return Action("speech", s[4:].strip())
    if low.startswith("record:") and s[7:].strip():
        return Action("record", s[7:].strip())
    raise ValueError(f"not a script item: {item!r} (use digits, silence, say:words, hangup, "
                     "skip, record:PATH or wait:SECONDS)")


def _seconds(raw: str) -> float | None:
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if 0 <= value <= 3600 else None


def parse_script(text: str, *, one_per_line: bool = False) -> list[Action]:
    """``--script`` is comma-separated; a ``--script-file`` has one item per line (so speech may
    hold commas); blank lines are skipped."""
    raw = text.splitlines() if one_per_line else text.split(",")
    return [parse_item(x) for x in raw if x.strip()]


class ScriptInputs:
    """Answers from a list; when it runs out the caller hangs up. A transfer ends by itself
    (the person "finishes" at once) without using an item."""

    def __init__(self, actions: Iterable[Action]) -> None:
        self.actions = deque(actions)

    def gather(self, turn: Turn | None, hint: str) -> Action:
        while self.actions and self.actions[0].kind in {"skip", "record", "wait"}:
            self.actions.popleft()  # meant for a <Record> or a room that never came
        return self.actions.popleft() if self.actions else Action("hangup")

    def room(self, hint: str, poll: RoomPoll) -> Action | None:
        """``wait`` stays in the room (looking every half second) until it takes the call out
        or the time is up; any other item is played after one look."""
        if self.actions and self.actions[0].kind == "wait":
            deadline = time.monotonic() + float(self.actions.popleft().value or WAIT_SECONDS)
            while time.monotonic() < deadline:
                if poll().left:
                    return None
                time.sleep(ROOM_POLL_SECONDS / 2)
        return None if poll().left else self.gather(None, hint)

    def transfer(self, number: str) -> Action:
        if self.actions and self.actions[0].kind == "hangup":
            return self.actions.popleft()
        return Action("continue")

    def record(self) -> Action:
        if self.actions and self.actions[0].kind in {"skip", "record", "hangup"}:
            return self.actions.popleft()
        return Action("skip")


class KeyboardInputs:
    """Answers typed by a person: keys, an empty line for silence, words for speech, ``h``."""

    def __init__(self, read: Callable[[str], str] = input,
                 wait_line: Callable[[float], str | None] | None = None) -> None:
        self.read = read
        # a line typed within the timeout, else None (EOFError at the end of input); by
        # default select() on the terminal, so a call in a room keeps looking at the room
        self.wait_line = wait_line if wait_line is not None or read is not input else _stdin_line

    def _line(self, prompt: str) -> str | None:
        try:
            return self.read(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    def gather(self, turn: Turn | None, hint: str) -> Action:
        return self._parse(self._line(f"{hint}\n> "))

    def room(self, hint: str, poll: RoomPoll) -> Action | None:
        if poll().left:
            return None
        if self.wait_line is None:
            return self.gather(None, hint)
        print(hint, flush=True)  # no "> ": what the room says comes in on lines of its own
        while True:
            try:
                line = self.wait_line(ROOM_POLL_SECONDS)
            except (EOFError, KeyboardInterrupt, OSError, ValueError):
                return Action("hangup")
            if line is not None:
                return self._parse(line)
            look = poll()
            if look.left:
                return None
            if look.news:  # after what the room said, what the keys do again
                print(hint, flush=True)

    @staticmethod
    def _parse(line: str | None) -> Action:
        return typed_action(line)

    def transfer(self, number: str) -> Action:
        line = self._line("[talk to the person; Enter when they have finished, h to hang up] ")
        return Action("hangup") if line is None or line.strip().lower() == "h" else Action("continue")

    def record(self) -> Action:
        line = self._line("[recording: a file path to send as your recording, or skip] ")
        if line is None or line.strip().lower() in {"h", "hangup"}:
            return Action("hangup")
        s = line.strip()
        return Action("skip") if not s or s.lower() == "skip" else Action("record", s)


def _stdin_line(timeout: float) -> str | None:
    """One line from the terminal if typed within ``timeout`` seconds."""
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return None
    line = sys.stdin.readline()
    if line == "":
        raise EOFError
    return line.rstrip("\n")


def typed_action(line: str | None) -> Action:
    """A line typed at the keyboard: keys, an empty line for silence, ``h`` to hang up, else
    words for speech (None: the input ended)."""
    if line is None or line.strip().lower() in {"h", "hangup"}:
        return Action("hangup")
    s = line.strip()
    if not s:
        return Action("silence")
    return Action("keys", s) if _KEYS.match(s) else Action("speech", s)
