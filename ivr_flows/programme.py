"""The programme walk (one event at a time) and going straight to an event by its code."""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session as DbSession

from catalogue import programme as catalogue_programme
from catalogue.models import Session, SessionKind, SessionStatus
from catalogue.programme import ProgrammeItem, item_of
from catalogue.rooms import ended, window_open

from . import speak
from .nodes import current_id, stepped
from .engine import Ctx, DigitEntry, Goto, Input, Menu, NoMatch, Node, Option, Outcome, Speak, node
from .ports import Describe
from .recordings import listen_by_code, offered_later
from .reply import Segment
from . import prompts


def item_segments(item: ProgrammeItem | Session, lang: str, now: datetime) -> list[Segment]:
    """What a caller hears for one programme item: day, time, title, who, how, length.

    Something under way at ``now`` (a recording's listening window, a live session) is announced
    as on now rather than with a start date in the past; the phone, the admin's "what callers
    hear" and the renderer all call this with the time they speak for."""
    if isinstance(item, Session):
        item = item_of(item)
    return list(_item_segments(item, lang, item.on_now(now)))


@lru_cache(maxsize=8192)
def _item_segments(item: ProgrammeItem, lang: str, on_now: bool) -> tuple[Segment, ...]:
    """Memoised: Babel and num2words cost more than the rest of a turn."""
    def say(key: str, **values: Any) -> list[Segment]:
        return prompts.segments(lang, key, **values)

    if on_now:
        segs = say("programme.item_now")
    elif item.all_day:
        segs = say("programme.item_all_day", day=speak.day(item.starts_at, lang))
    else:
        segs = say("programme.item_when", when=speak.when(item.starts_at, lang))
    segs += say("programme.item_title", title=item.text("title", lang))
    segs += say("programme.item_provider", provider=item.provider)
    if item.cancelled:
        return tuple(segs + say("programme.postponed" if item.postponed else "programme.cancelled"))
    price = item.text("price", lang)
    priced = say("programme.price", price=price) if price else []
    if item.kind == SessionKind.IN_PERSON:
        segs += say("programme.kind_in_person", venue=item.venue, address=item.address,
                    city=item.text("city", lang))
    elif item.kind == SessionKind.RECORDING:
        # A recording's session is its listening window, not its length.
        return tuple(segs + say("programme.kind_recording") + priced + say(
            "programme.available_until", when=speak.when(item.ends_at, lang)))
    else:
        segs += say("programme.kind_phone")
    if not item.all_day:
        segs += say("programme.length", minutes=speak.number(item.length_minutes, lang))
    return tuple(segs + priced)


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
    text = item.text("description", lang) or item.text("short", lang)
    if not text:
        return prompts.segments(lang, "programme.no_description")
    return [Segment(text=t.strip(), lang=lang) for t in _sentences(text)]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def count_segments(lang: str, n: int) -> list[Segment]:
    if n == 1:
        return prompts.segments(lang, "programme.count_one")
    return prompts.segments(lang, "programme.count", count=speak.number(n, lang))


@node
class Programme(Node):
    """Entry to the week's programme: counts the events and moves to the first item."""

    name = "programme"

    def enter(self, ctx: Ctx) -> Outcome:
        sessions = ctx.services.programme.programme(ctx.db, ctx.home_city, ctx.now)
        if not sessions:
            return Goto("main_menu", preface=ctx.say("programme.empty"))
        return Goto("item", {"ids": [s.session_id for s in sessions], "i": 0},
                    preface=count_segments(ctx.lang, len(sessions)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        return Goto("main_menu")


@node
class Item(Menu):
    """One programme item: 1 more, 2 register, 3 next, 4 previous."""

    name = "item"
    short = None

    def current(self, ctx: Ctx) -> ProgrammeItem | None:
        sid = current_id(ctx)
        return ctx.services.programme.item(ctx.db, sid, ctx.now) if sid is not None else None

    def options(self, ctx: Ctx) -> list[Option]:
        item = self.current(ctx)
        second = [Option("2", "programme.register", "register", self._register)]
        if item is not None and item.kind == SessionKind.RECORDING:
            # Nobody registers for a recording: 2 plays it while its window is open.
            second = [Option("2", "recordings.listen_item", "recordings.listen", self._register)
                      ] if item.on_now(ctx.now) else []
        return [
            Option("1", "programme.more", "more", self._more),
            *second,
            Option("3", "programme.next", "next", lambda c: self._move(c, +1)),
            Option("4", "programme.previous", "previous", lambda c: self._move(c, -1)),
        ]

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        session = self.current(ctx)
        if session is None:  # deleted by staff meanwhile
            return Goto("main_menu", preface=ctx.say("programme.end"))
        return item_segments(session, ctx.lang, ctx.now) + self.option_segments(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        item = self.current(ctx)
        if item is not None and item.kind == SessionKind.RECORDING:
            return ctx.say("recordings.item_short" if item.on_now(ctx.now)
                           else "recordings.item_short_later")
        return ctx.say("programme.short")

    def _more(self, ctx: Ctx) -> Outcome:
        session = self.current(ctx)
        if session is None:
            return Goto("main_menu")
        more = description_segments(ctx.db, session, ctx.lang, ctx.services.describe)
        return Speak(more + self.option_segments(ctx))

    def _register(self, ctx: Ctx) -> Outcome:
        session = self.current(ctx)
        if session is None:
            return Goto("main_menu")
        return Goto("register", {"session_id": session.session_id, "back": dict(ctx.data)})

    def _move(self, ctx: Ctx, step: int) -> Outcome:
        following = stepped(ctx, step)
        if following is not None:
            return Goto("item", following)
        if step < 0:
            return Speak(ctx.say("programme.first") + self.option_segments(ctx))
        return Goto("main_menu", preface=ctx.say("programme.end"))


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
                and not ended(ctx.db, s.id)]
        if live:  # a phone performance that can be taken part in now: straight to its room
            return Goto("join_room", {"session_id": live[0].id})
        return Goto("item", {"ids": [s.id for s in sessions], "i": 0})
