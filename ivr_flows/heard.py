"""The programme as a caller hears it at a given moment, turn by turn, for the admin's "what
callers hear": the flow's own nodes speak it (``Programme``'s count, the groups' menu, each
``Item``'s first turn and its 1 "more"), in a ``Ctx`` whose clock and home city are chosen by
staff. So the page says what the phone says — the same "on now", the day said only when it
changes, the same choices — and nothing a caller would not hear."""
from __future__ import annotations

from dataclasses import dataclass, field

from catalogue.programme import ProgrammeItem

from .engine import Ctx, get_node
from .nodes import Goto
from .programme import Item, count_segments
from .programme_groups import in_group, offered_groups
from .reply import Segment


@dataclass
class HeardItem:
    item: ProgrammeItem
    first: list[Segment]  # the item's first turn, with its choices
    more: list[Segment]  # what 1 ("more") says, with the choices again


@dataclass
class Heard:
    opening: list[Segment]  # after 1 in the main menu: the count, then the groups (if several)
    groups: list[str]  # the groups offered, in order
    group: str  # the group walked below
    items: list[HeardItem] = field(default_factory=list)


def heard(ctx: Ctx, group: str | None = None) -> Heard:
    """The programme at ``ctx.now`` for the caller in ``ctx`` (language, home city); the walk
    of ``group`` (the first offered when None, or not offered) item by item, pressing 3."""
    items = ctx.services.programme.programme(ctx.db, ctx.home_city, ctx.now)
    if not items:
        return Heard(opening=ctx.say("programme.empty"), groups=[], group="all")
    groups = offered_groups(items)
    opening = count_segments(ctx.lang, len(items))
    if len(groups) > 1:
        menu = get_node("programme_groups").enter(ctx)
        assert isinstance(menu, list)
        opening += menu
    chosen = group if group in groups else groups[0]
    walked = in_group(items, chosen)
    ids = [i.session_id for i in walked]
    node = get_node("item")
    assert isinstance(node, Item)
    out = Heard(opening=opening, groups=groups, group=chosen)
    for n, item in enumerate(walked):
        ctx.state["data"] = {"ids": ids, "i": n, "g": chosen, **({"from": n - 1} if n else {})}
        first = node.enter(ctx)
        if isinstance(first, Goto):  # gone meanwhile: the phone says the end, and so do we
            continue
        assert isinstance(first, list)
        out.items.append(HeardItem(item, first, node.more(ctx) or []))
    return out
