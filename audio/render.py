"""Pre-rendering: every fixed prompt and every sentence of the coming programme, into the cache.

Only what is missing is rendered, so running it again (cron, after an edit, at start-up) is
cheap and idempotent. Segments come from the flows' own functions, so what is rendered is
exactly what a caller will hear.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from catalogue.models import Event, Session, SessionStatus
from catalogue.timeutil import utcnow
from ivr_flows import prompts
from ivr_flows.reply import Segment

from .cache import PromptCache, Rendered

log = logging.getLogger("lampio.audio.render")

HORIZON = timedelta(days=14)
ItemSegments = Callable[[Session, str], list[Segment]]


@dataclass
class RenderReport:
    total: int = 0
    rendered: int = 0
    cached: int = 0
    failed: int = 0
    engines: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        used = ", ".join(f"{k} {v}" for k, v in sorted(self.engines.items())) or "none"
        return (f"{self.total} sentences: {self.rendered} rendered, {self.cached} already cached, "
                f"{self.failed} without audio (Twilio <Say> will speak them); engines: {used}")


def _default_item_segments() -> ItemSegments:
    from ivr_flows.programme import item_segments

    return item_segments


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def fixed_prompts(langs: Iterable[str] = prompts.LANGUAGES) -> list[tuple[str, str]]:
    return [(text, lang) for lang in langs for text in prompts.all_fixed_prompts(lang)]


def coming_sessions(db: DbSession, now: datetime, horizon: timedelta = HORIZON,
                    event_ids: Iterable[int] | None = None) -> list[Session]:
    stmt = (
        select(Session)
        .join(Session.event)
        .where(Session.ends_at > now, Session.starts_at < now + horizon,
               Session.status != SessionStatus.MOVED)
        .options(joinedload(Session.event).joinedload(Event.provider),
                 joinedload(Session.event).joinedload(Event.city))
        .order_by(Session.starts_at, Session.id)
    )
    if event_ids is not None:
        stmt = stmt.where(Session.event_id.in_(list(event_ids)))
    return list(db.scalars(stmt).unique())


def item_texts(db: DbSession, *, now: datetime | None = None,
               langs: Iterable[str] = prompts.LANGUAGES, event_ids: Iterable[int] | None = None,
               item_segments: ItemSegments | None = None) -> list[tuple[str, str]]:
    """Every sentence of the programme items (and their "hear more" text) of the coming weeks."""
    item_segments = item_segments or _default_item_segments()
    out: list[tuple[str, str]] = []
    seen_events: set[int] = set()
    for session in coming_sessions(db, now or utcnow(), event_ids=event_ids):
        for lang in langs:
            out += [(s.text, s.lang) for s in item_segments(session, lang) if not s.audio_path]
            if session.event_id not in seen_events:
                event = session.event
                text = event.text("description", lang) or event.text("short", lang)
                out += [(t, lang) for t in _sentences(text)]
        seen_events.add(session.event_id)
    return out


def render_all(cache: PromptCache, texts: Iterable[tuple[str, str]], *,
               progress: bool = False, workers: int | None = None) -> RenderReport:
    """Render what is missing, a few sentences at a time (the work is in espeak-ng and ffmpeg
    subprocesses, so threads use every core)."""
    unique = list(dict.fromkeys((t.strip(), lang) for t, lang in texts if t.strip()))
    report = RenderReport(total=len(unique))
    # Sentences cached by the preferred engine need no thread; the rest go to the pool (where
    # an espeak rendering counts as cached while gTTS is down, and is upgraded once it is up).
    missing = [(t, lang) for t, lang in unique if not cache.has_preferred(t, lang)]
    report.cached = len(unique) - len(missing)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(unique), initial=report.cached, unit="sentence",
                   desc="Rendering prompts")
    workers = workers or min(4, os.cpu_count() or 1)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = pool.map(lambda item: cache.render(*item), missing)
            for result in results:
                _count(report, result)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return report


def _count(report: RenderReport, result: Rendered | None) -> None:
    if result is None:
        report.failed += 1
    elif result.created:
        report.rendered += 1
        report.engines[result.engine] = report.engines.get(result.engine, 0) + 1
    else:
        report.cached += 1


def render_everything(cache: PromptCache, db: DbSession, *, now: datetime | None = None,
                      progress: bool = False,
                      item_segments: ItemSegments | None = None) -> RenderReport:
    """What ``lampio audio render`` does."""
    texts = fixed_prompts() + item_texts(db, now=now, item_segments=item_segments)
    return render_all(cache, texts, progress=progress)
