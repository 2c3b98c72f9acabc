"""Parts of the main menu that later work owns; until then they say so politely."""
from __future__ import annotations

from .engine import Ctx, Goto, Input, Node, Outcome, has_node, node


def _placeholder(node_name: str, prompt: str) -> None:
    if has_node(node_name):
        return

    class Coming(Node):
        name = node_name

        def enter(self, ctx: Ctx) -> Outcome:
            back = "main_menu" if node_name != "register" else "item"
            data = ctx.data.get("back") if node_name == "register" else None
            return Goto(back, data, preface=ctx.say(prompt))

        def handle(self, ctx: Ctx, inp: Input) -> Outcome:
            return Goto("main_menu")

    node(Coming)


def register_placeholders() -> None:
    _placeholder("take_part", "coming.take_part")
    _placeholder("my_registrations", "coming.my_registrations")
    _placeholder("register", "coming.register")
