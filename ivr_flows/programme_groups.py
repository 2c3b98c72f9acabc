"""The programme's groups (issue 10): the walk starts with a choice of at most four groups that
fit the week — performances by phone (1), events in the caller's city (2), recordings (3),
everything (4) — each saying how many there are; a group's end says so and offers the next group
(3), the groups again (1), the main menu (2) or the item before (4).

Keys stay with their group (a group with nothing this week is simply not offered), so a caller
learns them once. With one group only, the walk starts at once.
"""
from __future__ import annotations

from typing import Callable

from catalogue.models import SessionKind
from catalogue.programme import ProgrammeItem

from . import prompts, speak
from .engine import Ctx, Goto, Menu, Option, Outcome, node
from .reply import Segment

GROUPS = ("phone", "city", "recordings")  # in order; "all" is every item
KEYS = {"phone": "1", "city": "2", "recordings": "3", "all": "4"}
_KINDS = {"phone": SessionKind.PHONE, "city": SessionKind.IN_PERSON,
          "recordings": SessionKind.RECORDING}


def in_group(items: list[ProgrammeItem], group: str) -> list[ProgrammeItem]:
    return list(items) if group == "all" else [i for i in items if i.kind == _KINDS[group]]


def count_sentence(lang: str, group: str, n: int) -> list[Segment]:
    if n == 1:
        return prompts.segments(lang, f"groups.{group}_one")
    return prompts.segments(lang, f"groups.{group}", count=speak.number(n, lang))


def choice_prompt(group: str, n: int) -> str:
    """"To hear them" or, for a group of one, "to hear it" (fi "ne"/"sen", sv "dem"/"den")."""
    return f"groups.{group}_choice_one" if n == 1 and group != "all" else f"groups.{group}_choice"


def offered_groups(items: list[ProgrammeItem]) -> list[str]:
    """The groups that have something, and "all" when more than one has."""
    found = [g for g in GROUPS if in_group(items, g)]
    return found + ["all"] if len(found) > 1 else found or ["all"]


def start(ctx: Ctx, group: str, preface: list[Segment] | None = None) -> Outcome:
    """The first item of ``group``; the main menu when it has none (the programme changed)."""
    items = in_group(_programme(ctx), group)
    if not items:
        return Goto("main_menu", preface=ctx.say("programme.empty"))
    return Goto("item", {"ids": [i.session_id for i in items], "i": 0, "g": group},
                preface=preface or [])


def _starter(group: str) -> Callable[[Ctx], Outcome]:
    return lambda ctx: start(ctx, group)


def _programme(ctx: Ctx) -> list[ProgrammeItem]:
    return ctx.services.programme.programme(ctx.db, ctx.home_city, ctx.now)


@node
class Groups(Menu):
    """The choice of groups, each with how many it has."""

    name = "programme_groups"

    def options(self, ctx: Ctx) -> list[Option]:
        items = _programme(ctx)
        return [Option(KEYS[g], choice_prompt(g, len(in_group(items, g))), f"groups.{g}",
                       _starter(g)) for g in offered_groups(items)]

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        items = _programme(ctx)
        out: list[Segment] = []
        for opt in self.options(ctx):
            group = opt.words.removeprefix("groups.")
            if group != "all":
                out += count_sentence(ctx.lang, group, len(in_group(items, group)))
            out += ctx.say(opt.prompt)
        return out

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if not _programme(ctx):
            return Goto("main_menu", preface=ctx.say("programme.empty"))
        return self.option_segments(ctx)


def next_group(ctx: Ctx, group: str) -> str | None:
    """The group after ``group`` that has something; after the last, everything (when the
    caller has not heard everything already)."""
    if group == "all":
        return None
    offered = offered_groups(_programme(ctx))
    later = [g for g in offered if g != "all" and GROUPS.index(g) > GROUPS.index(group)]
    return later[0] if later else None


@node
class GroupEnd(Menu):
    """The end of a group: it says so, then the next group, the groups, the main menu, back."""

    name = "programme_group_end"

    def options(self, ctx: Ctx) -> list[Option]:
        group = str(ctx.data.get("g", "all"))
        following = next_group(ctx, group)
        out = [Option("1", "groups.again", "groups.again", lambda c: Goto("programme_groups")),
               Option("9", "groups.main", "main_menu", lambda c: Goto("main_menu"))]
        if following is not None:
            out.append(Option("3", f"groups.next_{following}", "groups.next",
                              lambda c: start(c, following)))
        out.append(Option("4", "groups.previous", "groups.previous", self._back))
        return out

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        group = str(ctx.data.get("g", "all"))
        return ctx.say(f"groups.end_{group}") + self.option_segments(ctx)

    def _back(self, ctx: Ctx) -> Outcome:
        back = ctx.data.get("back")
        return Goto("item", back) if back else Goto("programme_groups")
