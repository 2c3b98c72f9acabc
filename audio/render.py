"""Pre-rendering: every fixed prompt and every sentence of the coming programme, into the cache.

Only what is missing is rendered, so running it again (cron, after an edit, at start-up) is
cheap and idempotent. The sentences come from the flows' own functions (``ivr_flows.spoken``,
handed in by ``voice/``), so what is rendered is exactly what a caller will hear.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session as DbSession

from .cache import PromptCache, Rendered

log = logging.getLogger("lampio.audio.render")

# Every sentence the line can say: (db, now, event ids or None for all) -> (text, language).
# The channel that knows the flows (voice/) provides it.
Sentences = Callable[[DbSession, datetime, "list[int] | None"], list[tuple[str, str]]]


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



def render_all(cache: PromptCache, texts: Iterable[tuple[str, str]], *,
               progress: bool = False, workers: int | None = None,
               stop: Callable[[], bool] | None = None) -> RenderReport:
    """Render what is missing, a few sentences at a time (the work is in espeak-ng and ffmpeg
    subprocesses, so threads use every core). ``stop`` ends the work between sentences (the
    background worker is stopping); what is left is rendered by the next pass."""
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
            def one(item: tuple[str, str]) -> Rendered | None:
                return None if stop is not None and stop() else cache.render(*item)

            results = pool.map(one, missing)
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


def render_everything(cache: PromptCache, texts: Iterable[tuple[str, str]], *,
                      progress: bool = False) -> RenderReport:
    """What ``lampio audio render`` does, given every sentence the line can say."""
    return render_all(cache, texts, progress=progress)
