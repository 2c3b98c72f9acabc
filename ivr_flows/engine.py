"""The call engine: one turn in, one ``Reply`` out, with DESIGN.md's rules applied everywhere.

Every node gets the same reserved keys (``*`` repeats what was just said, ``0`` reaches a person)
and the same failure handling, counted per node like VoiceXML's ``nomatch``/``noinput`` and reset
when a new node is entered: the first failure reprompts more simply, the second and later ones
add help and the way to a person. Nothing here ever hangs up on an error or on silence.

State lives in a plain dict (stored by the channel between webhooks), so any host can answer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar

from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller, CallLog, MenuVisit

from . import prompts
from .office_hours import OfficeHours
from .reply import Gather, Reply, Segment

REPEAT = "*"
PERSON = "0"


@dataclass
class Settings:
    staff_number: str | None
    office_hours: OfficeHours
    provider_key: str = "9"  # hidden main-menu key to the provider line


@dataclass
class Input:
    """One turn from the channel. ``event`` is "input" (keys or words), "timeout" (silence),
    or a channel callback such as "dial" or "record" with its fields in ``params``."""

    digits: str = ""
    speech: str = ""
    event: str = "input"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.digits and not self.speech.strip()


@dataclass
class Ctx:
    db: DbSession
    call: CallLog
    caller: Caller | None
    settings: Settings
    now: datetime
    state: dict[str, Any]

    @property
    def lang(self) -> str:
        return self.state.get("lang") or "fi"

    @property
    def data(self) -> dict[str, Any]:
        return self.state.setdefault("data", {})

    def say(self, key: str, **values: Any) -> list[Segment]:
        return prompts.segments(self.lang, key, **values)


# ---- outcomes a node's ``handle`` returns -------------------------------------------------

@dataclass
class Goto:
    """Enter ``node`` (counters reset) after speaking ``preface``."""

    node: str
    data: dict[str, Any] | None = None
    preface: list[Segment] = field(default_factory=list)


@dataclass
class Speak:
    """Stay in the node: speak ``segments`` and wait again (counters reset: the caller did well)."""

    segments: list[Segment]


@dataclass
class Finish:
    """A complete reply chosen by the node (a transfer, a recording, a goodbye)."""

    reply: Reply
    segments_to_repeat: list[Segment] = field(default_factory=list)


@dataclass
class NoMatch:
    """The input was understood as wrong; ``explain`` says why (e.g. an unknown event code)."""

    explain: list[Segment] = field(default_factory=list)


Outcome = Goto | Speak | Finish | NoMatch


def goto(name: str) -> Callable[["Ctx"], Outcome]:
    """A menu option's action that just enters another node."""
    return lambda ctx: Goto(name)


class Node:
    """A place in the call. Subclasses say what to speak on entry, how to reprompt, and how to
    handle an answer. ``allows_person_key`` is False only where 0 is a digit of an answer."""

    name: ClassVar[str]
    allows_person_key: ClassVar[bool] = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        raise NotImplementedError

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        """A simpler prompt after a failure; by default the entry prompt again."""
        entered = self.enter(ctx)
        return entered if isinstance(entered, list) else []

    def gather(self, ctx: Ctx) -> Gather:
        return Gather()

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        raise NotImplementedError


class DigitEntry(Node):
    """A number typed and ended with ``#`` (DESIGN rule 2), or spoken digit by digit. The key 0
    alone still reaches a person; a spoken "nolla" is a digit here, not a request for one."""

    allows_person_key = False

    def gather(self, ctx: Ctx) -> Gather:
        return Gather(num_digits=None, finish_on_key="#", timeout=10,
                      hints=tuple(prompts.raw(ctx.lang, "words.digits")))

    def typed(self, ctx: Ctx, inp: Input) -> str | None:
        """The digits of the answer, or None when it was not a number."""
        from .speak import spoken_digits

        typed = inp.digits.rstrip("#") if inp.digits else spoken_digits(inp.speech, ctx.lang)
        return typed if typed.isdigit() else None


@dataclass(frozen=True)
class Option:
    key: str
    prompt: str  # prompt key: the choice, then the key ("For this week's programme, press 1")
    words: str  # words key for speech
    action: Callable[[Ctx], Outcome]


class Menu(Node):
    """A node of at most four choices (DESIGN rule 1) plus the reserved keys."""

    intro: ClassVar[str | None] = None
    short: ClassVar[str | None] = None  # the simpler reprompt; defaults to the options alone

    def options(self, ctx: Ctx) -> list[Option]:
        raise NotImplementedError

    def hidden(self, ctx: Ctx) -> dict[str, Callable[[Ctx], Outcome]]:
        return {}

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        return [seg for opt in self.options(ctx) for seg in ctx.say(opt.prompt)]

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        intro = ctx.say(self.intro) if self.intro else []
        return intro + self.option_segments(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return (ctx.say(self.short) if self.short else []) + self.option_segments(ctx)

    def gather(self, ctx: Ctx) -> Gather:
        hints = tuple(w for opt in self.options(ctx) for w in prompts.words(ctx.lang, opt.words))
        return Gather(hints=hints)

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        options = self.options(ctx)
        assert len(options) <= 4, f"{self.name} has more than four choices"
        key = inp.digits[:1] if inp.digits else None
        if key is None and inp.speech:
            key = match_speech(ctx.lang, inp.speech, {o.key: o.words for o in options})
        for opt in options:
            if opt.key == key:
                return opt.action(ctx)
        hidden = self.hidden(ctx)
        if inp.digits and inp.digits in hidden:
            return hidden[inp.digits](ctx)
        return NoMatch()


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower())
    return re.sub(r"[^\w\s]", " ", text).strip()


def match_speech(lang: str, speech: str, choices: dict[str, str]) -> str | None:
    """The key whose words (or the key's own number word) occur in what was said."""
    said = normalise(speech)
    tokens = set(said.split())
    number_words = prompts.raw(lang, "words.digits")
    for key, words_key in choices.items():
        candidates = list(prompts.words(lang, words_key))
        if key.isdigit():
            candidates += [number_words[int(key)], key]
        for word in candidates:
            w = normalise(word)
            if (" " in w and w in said) or w in tokens:
                return key
    return None


# ---- the engine ---------------------------------------------------------------------------

_NODES: dict[str, Node] = {}


def node(cls: type[Node]) -> type[Node]:
    """Register a node class by its ``name``."""
    _NODES[cls.name] = cls()
    return cls


def get_node(name: str) -> Node:
    return _NODES[name]


def has_node(name: str) -> bool:
    return name in _NODES


def _is_repeat(ctx: Ctx, inp: Input) -> bool:
    if inp.digits == REPEAT:
        return True
    return bool(inp.speech) and not inp.digits and match_speech(
        ctx.lang, inp.speech, {REPEAT: "repeat"}) == REPEAT


def _is_person(ctx: Ctx, inp: Input, current: Node) -> bool:
    if inp.digits == PERSON:
        return True
    if inp.digits or not inp.speech or not current.allows_person_key:
        return False
    return match_speech(ctx.lang, inp.speech, {"person": "person"}) == "person"


def _remember(ctx: Ctx, segments: list[Segment]) -> None:
    ctx.state["last"] = [[s.text, s.lang, s.pause, s.audio_path] for s in segments]


def _last(ctx: Ctx) -> list[Segment]:
    return [Segment(t, lang, pause, path) for t, lang, pause, path in ctx.state.get("last", [])]


def _waiting(ctx: Ctx, current: Node, segments: list[Segment]) -> Reply:
    _remember(ctx, segments)
    return Reply(speech=segments, gather=current.gather(ctx))


def enter(ctx: Ctx, name: str, data: dict[str, Any] | None = None,
          preface: list[Segment] | None = None, depth: int = 0) -> Reply:
    """Enter a node: reset its counters, log the visit, speak its prompt and wait."""
    if depth > 8:
        raise RuntimeError("node redirect loop")
    ctx.state.update(node=name, data=dict(data or {}), noinput=0, nomatch=0)
    ctx.db.add(MenuVisit(call_id=ctx.call.id, node=name, at=ctx.now))
    current = get_node(name)
    entered = current.enter(ctx)
    return _apply(ctx, current, entered, list(preface or []), depth)


def _apply(ctx: Ctx, current: Node, outcome: list[Segment] | Outcome,
           preface: list[Segment], depth: int = 0) -> Reply:
    if isinstance(outcome, list):
        return _waiting(ctx, current, preface + outcome)
    if isinstance(outcome, Goto):
        return enter(ctx, outcome.node, outcome.data, preface + outcome.preface, depth + 1)
    if isinstance(outcome, Speak):
        ctx.state.update(noinput=0, nomatch=0)
        return _waiting(ctx, current, preface + outcome.segments)
    if isinstance(outcome, Finish):
        reply = outcome.reply
        reply.speech[:0] = preface
        _remember(ctx, outcome.segments_to_repeat or reply.speech)
        return reply
    return _failure(ctx, current, "nomatch", preface + outcome.explain)


def _failure(ctx: Ctx, current: Node, kind: str, explain: list[Segment]) -> Reply:
    count = int(ctx.state.get(kind, 0)) + 1
    ctx.state[kind] = count
    lead = explain or ctx.say(f"errors.{kind}")
    if count >= 2:
        lead = lead + ctx.say("errors.help")
    return _waiting(ctx, current, lead + current.reprompt(ctx))


def start(ctx: Ctx, first: str) -> Reply:
    return enter(ctx, first)


def turn(ctx: Ctx, inp: Input) -> Reply:
    """Answer one turn in the node the call is in."""
    current = get_node(ctx.state.get("node") or "main_menu")
    if inp.event == "timeout" or (inp.event == "input" and inp.empty):
        return _failure(ctx, current, "noinput", [])
    if inp.event == "input":
        if _is_repeat(ctx, inp):
            return _waiting(ctx, current, _last(ctx) or current.reprompt(ctx))
        if _is_person(ctx, inp, current) and ctx.state.get("node") != "person":
            return enter(ctx, "person", {"back": ctx.state.get("node")})
    return _apply(ctx, current, current.handle(ctx, inp), [])
