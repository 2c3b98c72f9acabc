"""Words the recogniser was unsure of are confirmed before they act: "Did you say register?
1 yes, 2 no" (issue 14).

The engine enters this node instead of acting on a menu's words heard with a low confidence,
holding the menu's own state (node, data, counts, what it last said). Yes puts that state back
and presses the key the words chose, so the call carries on exactly as if it had been pressed;
no puts it back and says the same menu again (as ``*`` would). Silence, a wrong key, ``*``, 0
and 9 follow the same rules as in every menu.
"""
from __future__ import annotations

from .engine import Ctx, Finish, Goto, Input, Menu, Option, Outcome, Segment, node, turn


def _restore(ctx: Ctx) -> str:
    """The menu's state as it was when the words were said; the key they chose."""
    held = ctx.data
    noinput, nomatch = held.get("counts") or [0, 0]
    ctx.state.update(node=held["node"], data=dict(held.get("back") or {}), noinput=noinput,
                     nomatch=nomatch)
    if held.get("last") is not None:
        ctx.state["last"] = held["last"]
    else:  # nothing said there yet: * gives the menu's own prompt, not this question
        ctx.state.pop("last", None)
    return str(held["key"])


def _press(ctx: Ctx, key: str) -> Outcome:
    reply = turn(ctx, Input(digits=key))
    return Finish(reply, segments_to_repeat=[Segment(t, lang, pause, path) for t, lang, pause, path
                                             in ctx.state.get("last", [])])


@node
class ConfirmSpeech(Menu):
    name = "confirm_speech"
    writes = True  # a yes may register, cancel or store a call-back
    confirms_speech = False  # "yes" and "no" here act at once

    def _question(self, ctx: Ctx) -> list[Segment]:
        return ctx.say(f"confirm.said.{ctx.data['said']}")

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if not {"key", "said", "node"} <= set(ctx.data):  # a damaged state: start afresh
            return Goto("main_menu")
        return self._question(ctx) + self.option_segments(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        if not {"key", "said", "node"} <= set(ctx.data):
            return []
        return self._question(ctx) + ctx.say("confirm.short")

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "confirm.yes", "yes", self._yes),
                Option("2", "confirm.no", "no", self._no)]

    def _yes(self, ctx: Ctx) -> Outcome:
        return _press(ctx, _restore(ctx))

    def _no(self, ctx: Ctx) -> Outcome:
        _restore(ctx)
        return _press(ctx, "*")  # the same menu again
