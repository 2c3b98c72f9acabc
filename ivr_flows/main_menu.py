"""Greeting, language choice on the first call, and the main menu."""
from __future__ import annotations

from . import prompts
from .engine import Ctx, Goto, Input, Menu, NoMatch, Node, Option, Outcome, goto, node
from .matching import chosen_key
from .news import news_preface
from .reply import Gather, Segment

LANG_KEYS = {"1": "fi", "2": "sv", "3": "en"}
LANG_WORDS = {"1": "finnish", "2": "swedish", "3": "english"}


def chosen_language(inp: Input) -> str | None:
    """The language a caller picked by key (1 fi, 2 sv, 3 en) or by naming it in any language."""
    return LANG_KEYS.get(chosen_key(inp.digits, inp.speech, LANG_WORDS, prompts.LANGUAGES) or "")


def first_node(ctx: Ctx) -> str:
    """A known caller with a language skips the language choice (DESIGN rule 7)."""
    if ctx.caller is not None and ctx.caller.language:
        ctx.state["lang"] = ctx.caller.language
        return "greeting"
    return "language"


@node
class Language(Node):
    name = "language"  # the choice is kept on the caller later, in a batch: no write here

    def enter(self, ctx: Ctx) -> list[Segment]:
        return prompts.segments("fi", "greeting.welcome") + self.reprompt(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return [s for lang in prompts.LANGUAGES for s in prompts.segments(lang, "language.option")]

    def gather(self, ctx: Ctx) -> Gather:
        hints = tuple(w for lang in prompts.LANGUAGES for k in LANG_WORDS.values()
                      for w in prompts.words(lang, k))
        return Gather(hints=hints)

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        lang = chosen_language(inp)
        if lang is None:
            return NoMatch()
        ctx.state["lang"] = lang
        if ctx.caller_known:
            ctx.language_chosen = lang
        return Goto("main_menu", preface=ctx.say("greeting.welcome") + news_preface(ctx))


@node
class Greeting(Node):
    """Speaks the greeting and moves straight on to the main menu."""

    name = "greeting"

    def enter(self, ctx: Ctx) -> Outcome:
        if ctx.caller is not None and ctx.caller.name:
            hello = ctx.say("greeting.known", name=ctx.caller.name)
        else:
            hello = ctx.say("greeting.welcome")
        return Goto("main_menu", preface=hello + news_preface(ctx))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:  # never waits
        return Goto("main_menu")


@node
class MainMenu(Menu):
    name = "main_menu"
    intro = "main.intro"

    def options(self, ctx: Ctx) -> list[Option]:
        return [
            Option("1", "main.programme", "programme", goto("programme")),
            Option("2", "main.take_part", "take_part", goto("take_part")),
            Option("3", "main.my_registrations", "my_registrations", goto("my_registrations")),
            Option("4", "main.code", "code", goto("event_code")),
        ]

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        return super().option_segments(ctx) + ctx.say("main.person")
