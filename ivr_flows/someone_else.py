"""Registering someone else by typing their number, and a caller whose number is withheld.

The typed number is only read back and carried to ``register`` in the call's data (``number``,
kept on the server: ``engine.PRIVATE_DATA``); the person is created at the confirmation there.
"""
from __future__ import annotations

from catalogue import callers

from . import speak
from .engine import Ctx, DigitEntry, Goto, Input, Menu, NoMatch, Option, Outcome, node
from .registration import carry, go_back, spoken_number
from .reply import Segment


class PhoneEntry(DigitEntry):
    """A phone number typed and ended with #, validated (Finland by default); a number that
    is not one is said back digit by digit. ``confirm`` says where a good one goes (its
    read-back): registering someone else, a withheld caller's call-back number."""

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("someone_else.short")

    def confirm(self, ctx: Ctx, number: str) -> Outcome:
        raise NotImplementedError

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        typed = self.typed(ctx, inp)
        if typed is None:
            return NoMatch()
        number = callers.normalise(typed)
        if number is None:
            return NoMatch(ctx.say("someone_else.invalid", digits=speak.digits(typed, ctx.lang)))
        return self.confirm(ctx, number)


@node
class SomeoneElse(PhoneEntry):
    """Someone else's number (or the caller's own, when it is withheld), then read back."""

    name = "someone_else"

    def enter(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("someone_else.ask_own" if ctx.data.get("own") else "someone_else.ask")

    def confirm(self, ctx: Ctx, number: str) -> Outcome:
        return Goto("someone_else_confirm", carry(ctx, "own", number=number))


class NumberReadBack(Menu):
    """A typed number read back digit by digit: 1 right (``accept``) / 2 type it again
    (``again``)."""

    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        number = spoken_number(ctx.data["number"], ctx.lang)
        return ctx.say("someone_else.readback", digits=number) + self.option_segments(ctx)

    def accept(self, ctx: Ctx) -> Outcome:
        raise NotImplementedError

    def again(self, ctx: Ctx) -> Outcome:
        raise NotImplementedError

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "someone_else.confirm", "yes", self.accept),
                Option("2", "someone_else.again", "registration.retype", self.again)]


@node
class SomeoneElseConfirm(NumberReadBack):
    name = "someone_else_confirm"

    def accept(self, ctx: Ctx) -> Outcome:
        return Goto("register", carry(ctx, "own", "number"))

    def again(self, ctx: Ctx) -> Outcome:
        return Goto("someone_else", carry(ctx, "own"))


@node
class NoCallerId(Menu):
    """A withheld or unknown number: type it to register, go back, or press 0 for a person."""

    name = "no_caller_id"
    writes = True
    intro = "no_caller_id.intro"

    def options(self, ctx: Ctx) -> list[Option]:
        return [
            Option("1", "no_caller_id.type", "registration.type_number",
                   lambda c: Goto("someone_else", carry(c, own=True))),
            Option("2", "no_caller_id.back", "no", go_back),
        ]

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        return super().option_segments(ctx) + ctx.say("no_caller_id.person")
