"""The programme walk (one event at a time) and going straight to an event by its code."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Callable

from sqlalchemy.orm import Session as DbSession

from catalogue import programme as catalogue_programme
from catalogue.models import Session, SessionKind, SessionStatus
from catalogue.programme import ProgrammeItem
from catalogue.rooms import window_open
from catalogue.timeutil import to_local

from . import programme_groups, speak
from .facts import detail_segments, item_segments, text
from .nodes import current_id, cursor, stepped
from .engine import Ctx, DigitEntry, Goto, Input, Menu, NoMatch, Node, Option, Outcome, Speak, node
from .ports import Describe
from .recordings import listen_by_code, offered_later
from .reply import Segment
from . import prompts


def description_segments(db: DbSession, item: ProgrammeItem, lang: str,
                         describe: Describe | None) -> list[Segment]:
    """"Hear more": the provider's approved recording if there is one, else the text. The phone,
    the admin's "what callers hear" and the renderer all read it here."""
    if describe is not None:
        recorded = describe(db, item.event_id, lang)
        if recorded is not None:
            return [recorded]
    return description_text_segments(item, lang)


def description_text_segments(item: ProgrammeItem, lang: str) -> list[Segment]:
    said = text(item, "description", lang) or text(item, "short", lang)
    if not said:
        return prompts.segments(lang, "programme.no_description")
    return [Segment(text=t.strip(), lang=lang) for t in _sentences(said)]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def count_segments(lang: str, n: int) -> list[Segment]:
    if n == 1:
        return prompts.segments(lang, "programme.count_one")
    return prompts.segments(lang, "programme.count", count=speak.number(n, lang))


@node
class Programme(Node):
    """Entry to the week's programme: counts the events, then the groups to choose from (the
    first item at once when the week has one group only)."""

    name = "programme"

    def enter(self, ctx: Ctx) -> Outcome:
        sessions = ctx.services.programme.programme(ctx.db, ctx.home_city, ctx.now)
        if not sessions:
            return Goto("main_menu", preface=ctx.say("programme.empty"))
        preface = count_segments(ctx.lang, len(sessions))
        groups = programme_groups.offered_groups(sessions)
        if len(groups) == 1:
            return programme_groups.start(ctx, groups[0], preface)
        return Goto("programme_groups", preface=preface)

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        return Goto("main_menu")


@node
class Item(Menu):
    """One programme item: 1 more, 2 register (or listen to a recording), 3 next, 4 previous.
    Within a group the day is said once, when it changes."""

    name = "item"
    short = None

    def about(self, ctx: Ctx) -> int | None:
        return current_id(ctx)

    def current(self, ctx: Ctx) -> ProgrammeItem | None:
        sid = current_id(ctx)
        return ctx.services.programme.item(ctx.db, sid, ctx.now) if sid is not None else None

    def options(self, ctx: Ctx) -> list[Option]:
        item = self.current(ctx)
        second = [Option("2", "programme.register", "register", self._register)]
        if item is not None and item.cancelled:
            second = []  # nothing to register for
        elif item is not None and self._live(ctx, item):
            # A phone performance whose room is open: 2 takes part now, straight in.
            second = [Option("2", "programme.take_part", "take_part",
                             lambda c: Goto("join_room", {"session_id": item.session_id}))]
        elif item is not None and item.kind == SessionKind.RECORDING:
            # Nobody registers for a recording: 2 plays it while its window is open.
            second = [Option("2", "recordings.listen_item", "recordings.listen", self._register)
                      ] if item.on_now(ctx.now) else []
        return [
            Option("1", "programme.more", "more", self._more),
            *second,
            Option("3", "programme.next", "next", lambda c: self._move(c, +1)),
            Option("4", "programme.previous", "previous", lambda c: self._move(c, -1)),
        ]

    @staticmethod
    def _live(ctx: Ctx, item: ProgrammeItem) -> bool:
        """Its room is open now (the join window, and the host has not ended it)."""
        opens = item.starts_at - timedelta(minutes=ctx.settings.join_minutes)
        return (item.kind == SessionKind.PHONE and opens <= ctx.now < item.ends_at
                and not ctx.services.programme.room_ended(ctx.db, item.session_id, ctx.now))

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        session = self.current(ctx)
        if session is None:  # deleted by staff meanwhile
            return Goto("main_menu", preface=ctx.say("programme.end"))
        return (item_segments(session, ctx.lang, ctx.now, self._new_day(ctx, session))
                + self.option_segments(ctx))

    def _new_day(self, ctx: Ctx, item: ProgrammeItem) -> bool:
        """The day is said unless the item heard just before was on the same day."""
        ids, _ = cursor(ctx)
        heard = ctx.data.get("from")
        if heard is None or not 0 <= int(heard) < len(ids):
            return True
        before = ctx.services.programme.item(ctx.db, ids[int(heard)], ctx.now)
        return (before is None or before.on_now(ctx.now)
                or to_local(before.starts_at).date() != to_local(item.starts_at).date())

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return self.option_segments(ctx)  # the choices only (issue 10)

    def more(self, ctx: Ctx) -> list[Segment] | None:
        """What 1 says: the details, the description, the choices (None: the item is gone)."""
        session = self.current(ctx)
        if session is None:
            return None
        recorded = ctx.services.programme.described(ctx.db, session.event_id, ctx.lang, ctx.now)
        return detail_segments(session, ctx.lang) + description_segments(
            ctx.db, session, ctx.lang, ctx.services.describe if recorded else None
        ) + self.option_segments(ctx)

    def _more(self, ctx: Ctx) -> Outcome:
        more = self.more(ctx)
        return Goto("main_menu") if more is None else Speak(more)

    def _register(self, ctx: Ctx) -> Outcome:
        session = self.current(ctx)
        if session is None:
            return Goto("main_menu")
        return Goto("register", {"session_id": session.session_id, "back": dict(ctx.data)})

    def _move(self, ctx: Ctx, step: int) -> Outcome:
        following = stepped(ctx, step)
        group = ctx.data.get("g")
        if following is not None:
            if group is not None:
                following["g"] = group
            following["from"] = cursor(ctx)[1]
            return Goto("item", following)
        if step < 0:
            return Speak(ctx.say("programme.first") + self.option_segments(ctx))
        if group is None:  # an event code's sessions: no groups around them
            return Goto("main_menu", preface=ctx.say("programme.end"))
        back = {k: v for k, v in ctx.data.items() if k != "from"}
        return Goto("programme_group_end", {"g": group, "back": back})


@node
class EventCode(DigitEntry):
    """"Press 4 and type the code" (DESIGN rule 9): 3–4 digits ended with #."""

    name = "event_code"

    def enter(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("code.ask")

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("code.short")

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        code = self.typed(ctx, inp)
        if code is None:
            return NoMatch()
        event = catalogue_programme.event_by_code(ctx.db, code)
        if event is None:
            return NoMatch(ctx.say("code.unknown", code=speak.digits(code, ctx.lang)))
        sessions = [s for s in event.sessions
                    if s.ends_at > ctx.now and s.status != SessionStatus.MOVED]
        listen = listen_by_code(ctx, sessions)
        if listen is not None:  # a recording that can be heard now: straight to the player
            return listen
        sessions = [s for s in sessions if offered_later(ctx, s)]
        if not sessions:
            return Goto("main_menu", preface=ctx.say("code.no_sessions",
                                                     title=event.text("title", ctx.lang)))
        live = [s for s in sessions if window_open(s, ctx.now, ctx.settings.join_minutes)
                and not ctx.services.programme.room_ended(ctx.db, s.id, ctx.now)]
        if live:  # a phone performance that can be taken part in now: straight to its room
            return Goto("join_room", {"session_id": live[0].id})
        return Goto("item", {"ids": [s.id for s in sessions], "i": 0})
