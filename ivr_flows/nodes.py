"""The kinds of place a call can be in (menus, number entry) and what a node's ``handle`` returns.

The turn loop (``engine``) applies the shared rules to every node; a node only says what to speak
on entry, how to reprompt, and what an answer means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from . import prompts
from .matching import ascii_digits, chosen_key, typed_number
from .reply import Gather, Reply, Segment

if TYPE_CHECKING:
    from .engine import Ctx, Input


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
    handle an answer. ``allows_person_key`` is False only where 0 is a digit of an answer;
    ``writes`` is True where handling an answer may write to the database, so the channel
    begins that turn as a writer; ``confirms_speech`` is False only where the answer is
    itself the confirmation of unsure words."""

    name: ClassVar[str]
    allows_person_key: ClassVar[bool] = True
    writes: ClassVar[bool] = False
    confirms_speech: ClassVar[bool] = True

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

    def about(self, ctx: Ctx) -> int | None:
        """The session the caller is hearing about here, if any (a call-back request keeps it
        so staff know what the caller wanted)."""
        value = ctx.data.get("session_id")
        return int(value) if isinstance(value, int) else None


def number_gather(lang: str, speech: bool = True) -> Gather:
    """Several digits ended by ``#``; spoken digits too unless ``speech`` is off (a PIN)."""
    hints = tuple(prompts.raw(lang, "words.digits")) if speech else ()
    return Gather(num_digits=None, finish_on_key="#", timeout=10, speech=speech, hints=hints)


class DigitEntry(Node):
    """A number typed and ended with ``#`` (DESIGN rule 2), or spoken digit by digit. The key 0
    alone still reaches a person; a spoken "nolla" is a digit here, not a request for one."""

    allows_person_key = False

    def gather(self, ctx: Ctx) -> Gather:
        return number_gather(ctx.lang)

    def typed(self, ctx: Ctx, inp: Input) -> str | None:
        """The digits of the answer, or None when it was not a number."""
        return typed_number(inp.digits, inp.speech, ctx.lang)


@dataclass(frozen=True)
class Option:
    key: str
    prompt: str  # prompt key: the choice, then the key ("For this week's programme, press 1")
    words: str  # words key for speech
    action: Callable[[Ctx], Outcome]


class Menu(Node):
    """A node of at most four choices (DESIGN rule 1) plus the reserved keys."""

    intro: ClassVar[str | None] = None
    short: ClassVar[str | None] = None  # the choices in a few words; defaults to the options

    def options(self, ctx: Ctx) -> list[Option]:
        raise NotImplementedError

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        return [seg for opt in self.options(ctx) for seg in ctx.say(opt.prompt)]

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        intro = ctx.say(self.intro) if self.intro else []
        return intro + self.option_segments(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        """Only the choices (DESIGN rule 3: a reprompt is simpler than the prompt)."""
        return ctx.say(self.short) if self.short else self.option_segments(ctx)

    def gather(self, ctx: Ctx) -> Gather:
        """The choices' words and each key's own number word ("kolme" is key 3, rule 8): the
        phone's speech hints, and what a Vosk grammar reads the menu's keys from."""
        digits = prompts.raw(ctx.lang, "words.digits")
        hints = tuple(w for opt in self.options(ctx)
                      for w in (*prompts.words(ctx.lang, opt.words),
                                *([digits[int(opt.key)]] if ascii_digits(opt.key) else [])))
        return Gather(hints=hints)

    def choice_for(self, ctx: Ctx, speech: str) -> Option | None:
        """The option the words name, if any."""
        options = self.options(ctx)
        key = chosen_key("", speech, {o.key: o.words for o in options}, (ctx.lang,))
        return next((o for o in options if o.key == key), None)

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        options = self.options(ctx)
        assert len(options) <= 4, f"{self.name} has more than four choices"
        key = chosen_key(inp.digits, inp.speech, {o.key: o.words for o in options}, (ctx.lang,))
        for opt in options:
            if opt.key == key:
                return opt.action(ctx)
        return NoMatch()


# ---- a list walked one item at a time (the programme, live sessions, recordings) -----------

def cursor(ctx: Ctx) -> tuple[list[int], int]:
    """The node's data holds the walked ids and the index of the one being heard."""
    return [int(x) for x in ctx.data.get("ids") or []], int(ctx.data.get("i", 0))


def current_id(ctx: Ctx) -> int | None:
    ids, i = cursor(ctx)
    return ids[i] if 0 <= i < len(ids) else None


def on_last(ctx: Ctx) -> bool:
    ids, i = cursor(ctx)
    return i + 1 >= len(ids)


def stepped(ctx: Ctx, step: int) -> dict[str, Any] | None:
    """The data for the item ``step`` away, or None past either end."""
    ids, i = cursor(ctx)
    return {"ids": ids, "i": i + step} if 0 <= i + step < len(ids) else None
