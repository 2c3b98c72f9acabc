""""What callers hear": a week's programme, sentence by sentence, exactly as the phone reads it
(``ivr_flows.programme.item_segments`` and the "hear more" text), each with a player for the
rendered audio, so staff can hear a typo before a caller does."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app, render_template, request
from sqlalchemy.orm import Session as DbSession

from ivr_flows.facts import detail_segments
from ivr_flows.programme import description_segments, item_segments
from ivr_flows.reply import Segment

from catalogue import listening
from catalogue.db import get_db
from catalogue.models import LANGUAGES
from catalogue.programme import PROPER, ProgrammeItem, items_between
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from . import access


@dataclass
class Line:
    text: str
    pause: float
    url: str | None
    recorded: bool = False


@dataclass
class Item:
    session: ProgrammeItem
    lines: list[Line]
    more: list[Line] = field(default_factory=list)
    # Texts missing in the language: names said in Finnish, other texts left out (issue 10).
    fallbacks: list[str] = field(default_factory=list)


def _lines(segments: list[Segment]) -> list[Line]:
    svc = current_app.extensions.get("lampio_audio")
    out = []
    for seg in segments:
        url = svc.prompt_url(seg) if svc is not None else None
        out.append(Line(seg.text, seg.pause, url, recorded=bool(seg.audio_path)))
    return out


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_param() -> date:
    raw = request.args.get("week", "")
    try:
        return monday_of(date.fromisoformat(raw))
    except ValueError:
        return monday_of(to_local(utcnow()).date())


def week_items(db: DbSession, monday: date) -> list[ProgrammeItem]:
    """The sessions starting in the week, every city's, through the programme's one query."""
    start = to_utc(datetime.combine(monday, time(0), LOCAL_TZ))
    end = to_utc(datetime.combine(monday + timedelta(days=7), time(0), LOCAL_TZ))
    return items_between(db, start, end, all_cities=True, running=False,
                         provider_id=access.own_provider_id())


def week() -> str:
    db = get_db()
    monday = _week_param()
    spoken = request.args.get("lang", "fi")
    if spoken not in LANGUAGES:
        spoken = "fi"
    svc = current_app.extensions.get("lampio_audio")
    describe = svc.describe if svc is not None else None
    items = []
    described: set[int] = set()
    now = utcnow()  # something under way is read as "on now", as the phone says it
    with_audio = listening.with_approved_audio(db)
    for it in week_items(db, monday):
        if not listening.offered(it.kind, it.session_id, with_audio):
            continue  # as the phone: a recording waits for its audio's approval
        more: list[Line] = _lines(detail_segments(it, spoken))
        if it.event_id not in described:
            more += _lines(description_segments(db, it, spoken, describe))
            described.add(it.event_id)
        items.append(Item(it, _lines(item_segments(it, spoken, now)), more, it.fallbacks(spoken)))
    total = sum(len(i.lines) + len(i.more) for i in items)
    rendered = sum(1 for i in items for line in i.lines + i.more if line.url)
    return render_template("admin/hear.html", items=items, PROPER=PROPER, monday=monday, spoken=spoken,
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
                           sunday=monday + timedelta(days=6), total=total, rendered=rendered)
