"""How the simulated caller answers: typed at the keyboard, or played from a script.

Split from ``voice.simulator_cli`` so the input side (what a person or a script does next) stays
apart from the call loop (``voice.simulator_run``) and from HTTP (``voice.simulator_http``).
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from .simulator import Turn

_KEYS = re.compile(r"^[0-9*#]+$")

ActionKind = Literal["keys", "silence", "speech", "hangup", "record", "skip", "continue"]


@dataclass(frozen=True)
class Action:
    """What the caller does next."""

    kind: ActionKind
    value: str = ""


class InputSource(Protocol):
    """Where the caller's answers come from: the keyboard, or a script."""

    def gather(self, turn: Turn, hint: str) -> Action: ...

    def transfer(self, number: str) -> Action: ...

    def record(self) -> Action: ...


def parse_item(item: str) -> Action:
    """One script item: digits (``0-9*#``), ``silence``, ``say:words``, ``hangup``,
    ``skip`` / ``record:PATH`` (for a ``<Record>``)."""
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
    if low.startswith("say:") and s[4:].strip():
        return Action("speech", s[4:].strip())
    if low.startswith("record:") and s[7:].strip():
        return Action("record", s[7:].strip())
    raise ValueError(f"not a script item: {item!r} (use digits, silence, say:words, hangup, "
                     "skip or record:PATH)")


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

    def gather(self, turn: Turn, hint: str) -> Action:
        while self.actions and self.actions[0].kind in {"skip", "record"}:
            self.actions.popleft()  # meant for a <Record> that never came
        return self.actions.popleft() if self.actions else Action("hangup")

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

    def __init__(self, read: Callable[[str], str] = input) -> None:
        self.read = read

    def _line(self, prompt: str) -> str | None:
        try:
            return self.read(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    def gather(self, turn: Turn, hint: str) -> Action:
        line = self._line(f"{hint}\n> ")
        if line is None or line.strip().lower() in {"h", "hangup"}:
            return Action("hangup")
        s = line.strip()
        if not s:
            return Action("silence")
        return Action("keys", s) if _KEYS.match(s) else Action("speech", s)

    def transfer(self, number: str) -> Action:
        line = self._line("[talk to the person; Enter when they have finished, h to hang up] ")
        return Action("hangup") if line is None or line.strip().lower() == "h" else Action("continue")

    def record(self) -> Action:
        line = self._line("[recording: a file path to send as your recording, or skip] ")
        if line is None or line.strip().lower() in {"h", "hangup"}:
            return Action("hangup")
        s = line.strip()
        return Action("skip") if not s or s.lower() == "skip" else Action("record", s)
