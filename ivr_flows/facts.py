"""What a caller hears of one programme item, one function per fact.

The phone, the admin's "what callers hear" and the audio renderer (``spoken``) all build an
item's sentences here, so what is rendered is what is said. An item's first turn is short (DESIGN
rule 1, issue 10): day, time, title and how to take part; the organiser, place, length and price
come with 1 (more), before the description. Every number in a text is said as words
(``text_numbers``), in the caller's language only: names fall back to Finnish, other texts are
left out (``ProgrammeItem.text``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from catalogue.models import Session, SessionKind
from catalogue.programme import ProgrammeItem, item_of

from . import prompts, speak
from .reply import Segment
from .text_numbers import say_numbers


def text(item: ProgrammeItem, field: str, lang: str) -> str:
    """A field of the item as said: in ``lang`` (or a name in Finnish), numbers as words."""
    return say_numbers(item.text(field, lang), lang)


def place(item: ProgrammeItem, lang: str) -> dict[str, str]:
    """Venue, address and city of an in-person item (the registration's read-back says them
    too)."""
    return {"venue": text(item, "venue", lang), "address": text(item, "address", lang),
            "city": text(item, "city", lang)}


def item_segments(item: ProgrammeItem | Session, lang: str, now: datetime,
                  with_day: bool = True) -> list[Segment]:
    """The item's first turn: when (the day only when ``with_day``: within a day the walk says
    only the time), the title, how to take part.

    Something under way at ``now`` (a recording's listening window, a live session) is
    announced as on now rather than with a start date in the past."""
    if isinstance(item, Session):
        item = item_of(item)
    return list(_item_segments(item, lang, item.on_now(now), with_day))


@lru_cache(maxsize=8192)
def _item_segments(item: ProgrammeItem, lang: str, on_now: bool,
                   with_day: bool) -> tuple[Segment, ...]:
    """Memoised: Babel and num2words cost more than the rest of a turn."""
    def say(key: str, **values: Any) -> list[Segment]:
        return prompts.segments(lang, key, **values)

    if on_now:
        segs = say("item.now")
    elif item.all_day:  # the source gave a date only
        segs = say("programme.item_all_day", day=speak.day(item.starts_at, lang))
    elif with_day:
        segs = say("item.when", when=speak.when(item.starts_at, lang))
    else:
        segs = say("item.time", time=speak.time_of_day(item.starts_at, lang))
    segs += say("item.title", title=text(item, "title", lang))
    if item.cancelled:
        return tuple(segs + say("programme.postponed" if item.postponed else "item.cancelled"))
    if item.kind == SessionKind.IN_PERSON:
        p = place(item, lang)
        segs += say("item.in_person", venue=p["venue"], city=p["city"])
    elif item.kind == SessionKind.RECORDING:
        # Open now and closing within the week: the weekday is enough (a short first turn).
        soon = on_now and item.ends_at - item.starts_at <= timedelta(days=7)
        segs += say("item.recording", until=speak.until(item.ends_at, lang, with_date=not soon))
    else:
        segs += say("item.phone")
    return tuple(segs)


@lru_cache(maxsize=8192)
def _details(item: ProgrammeItem, lang: str) -> tuple[Segment, ...]:
    def say(key: str, **values: Any) -> list[Segment]:
        return prompts.segments(lang, key, **values)

    segs = say("item.provider", provider=text(item, "provider", lang))
    if item.kind == SessionKind.IN_PERSON:
        segs += say("item.address", **place(item, lang))
    if item.kind != SessionKind.RECORDING and not item.all_day:  # a recording's session is its
        # window, and an all-day event's is the day: neither is a length
        segs += say("item.length", length=speak.duration(item.length_minutes, lang))
    price = text(item, "price", lang)
    if price:
        segs += say("item.price", price=price)
    return tuple(segs)


def detail_segments(item: ProgrammeItem, lang: str) -> list[Segment]:
    """What 1 (more) says before the description: organiser, address, length, price."""
    return list(_details(item, lang))


def all_item_sentences(item: ProgrammeItem, lang: str) -> list[Segment]:
    """Every way the item's first turn and details can be read (before it starts and while it is
    under way; with and without the day), for rendering audio ahead of time."""
    before, during = item.starts_at - timedelta(seconds=1), item.starts_at
    return (item_segments(item, lang, before) + item_segments(item, lang, before, with_day=False)
            + item_segments(item, lang, during) + detail_segments(item, lang))
