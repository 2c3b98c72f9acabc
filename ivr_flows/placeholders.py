""""Take part now" (main menu 2): live performances belong to later work; until then it says so
politely and goes on to the recordings that can be heard now, and the menu keeps its final
shape."""
from __future__ import annotations

from .engine import Ctx, Goto, Input, Node, Outcome, has_node, node


def register_placeholders() -> None:
    if has_node("take_part"):
        return

    @node
    class TakePartComing(Node):
        name = "take_part"

        def enter(self, ctx: Ctx) -> Outcome:
            return Goto("recordings_now", preface=ctx.say("recordings.live_soon"))

        def handle(self, ctx: Ctx, inp: Input) -> Outcome:
            return Goto("main_menu")
