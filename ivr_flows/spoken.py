"""Every sentence the line can say in the coming weeks, for rendering audio ahead of time.

Built from the same functions the flows speak with (``item_segments``, the "hear more" text, the
counts, the read-backs), so what is rendered is exactly what a caller will hear. ``voice/`` hands
this function to the audio service; the audio package itself knows nothing of the flows.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as DbSession

from catalogue.programme import ProgrammeItem, items_between

from . import prompts
from catalogue.models import SessionKind

from . import speak
from .facts import all_item_sentences, text
from .programme import count_segments, description_text_segments
from .programme_groups import GROUPS, count_sentence
from .office_hours import OfficeHours
from .person import closed_sentences
from .registration import read_back, what_next
from .reply import Segment

HORIZON = timedelta(days=14)


def fixed_prompts(langs: Iterable[str] = prompts.LANGUAGES) -> list[tuple[str, str]]:
    return [(text, lang) for lang in langs for text in prompts.all_fixed_prompts(lang)]


def _texts(segments: Iterable[Segment]) -> list[tuple[str, str]]:
    return [(s.text, s.lang) for s in segments if not s.audio_path]


def _item_sentences(item: ProgrammeItem, lang: str, described: bool) -> list[Segment]:
    segs = all_item_sentences(item, lang)
    if item.kind == SessionKind.RECORDING:  # "take part now"'s list of recordings
        segs += prompts.segments(lang, "recordings.item_until", title=text(item, "title", lang),
                                 until=speak.until(item.ends_at, lang))
    if not item.cancelled:  # the registration's read-back and what happens next
        segs += read_back(lang, item) + what_next(lang, item) + what_next(lang, item, other=True)
    return segs + ([] if described else description_text_segments(item, lang))


def sentences(db: DbSession, now: datetime, event_ids: list[int] | None = None,
              langs: Iterable[str] = prompts.LANGUAGES,
              hours: OfficeHours | None = None) -> list[tuple[str, str]]:
    """(text, language) of everything to render: the programme items of the coming two weeks
    (of ``event_ids`` only, when given), and with all events the fixed prompts, counts and the
    office hours. Never a caller's name or number: personal data stays out of the audio cache
    (those few sentences are spoken by Twilio's ``<Say>``)."""
    langs = tuple(langs)
    items = items_between(db, now, now + HORIZON, all_cities=True)
    if event_ids is not None:
        wanted = set(event_ids)
        items = [i for i in items if i.event_id in wanted]
    out: list[tuple[str, str]] = []
    for lang in langs:
        described: set[int] = set()
        for item in items:
            out += _texts(_item_sentences(item, lang, item.event_id in described))
            described.add(item.event_id)
    if event_ids is None:
        out = fixed_prompts(langs) + out
        for lang in langs:
            # "This week's programme has N events": any count a caller's week can have.
            for n in range(1, len(items) + 1):
                out += _texts(count_segments(lang, n))
                for group in GROUPS:
                    out += _texts(count_sentence(lang, group, n))
            if hours is not None:
                out += _texts(closed_sentences(lang, hours))
    return out
