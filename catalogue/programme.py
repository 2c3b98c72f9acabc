"""The programme a caller hears: phone events for everyone, in-person events in their city.

One query (``sessions_between``) serves the phone, the admin's "what callers hear" and the audio
renderer. What a caller hears of a session is read from a ``ProgrammeItem``: plain, immutable
data, so the week can be held in memory (``programme_cache``) and its sentences memoised.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from .models import LANGUAGES, Event, Session, SessionKind, SessionStatus

WEEK = timedelta(days=7)
Texts = tuple[str, ...]  # one text per language, in the order of ``LANGUAGES``
# Names said in Finnish when a translation is missing; other texts are then left out.
PROPER = frozenset({"title", "provider", "venue", "address", "city"})
TRANSLATED = ("title", "provider", "venue", "address", "city", "price", "short", "description")


def sessions_between(db: DbSession, start: datetime, end: datetime, *,
                     city_id: int | None = None, all_cities: bool = False,
                     provider_id: int | None = None, running: bool = True,
                     event_ids: list[int] | None = None) -> list[Session]:
    """Sessions in time order, with their event, provider and city loaded.

    ``running``: sessions that started before ``start`` but have not ended count too (the phone's
    "from now"); otherwise only those starting in the span (the admin's week). Moved sessions are
    left out (their new session is listed), and so are imported events that staff have not yet
    approved (``Event.review``); cancelled ones stay so that a caller who remembers
    them hears they are cancelled. Phone events are everyone's; ``city_id`` adds that city's
    in-person events, ``all_cities`` every city's.
    """
    stmt = (select(Session).join(Session.event)
            .where(Session.starts_at < end, Session.status != SessionStatus.MOVED,
                   Event.review == "approved")
            .options(joinedload(Session.event).joinedload(Event.provider),
                     joinedload(Session.event).joinedload(Event.city))
            .order_by(Session.starts_at, Session.id))
    stmt = stmt.where(Session.ends_at > start if running else Session.starts_at >= start)
    if not all_cities:
        place = Event.city_id.is_(None)
        stmt = stmt.where(place if city_id is None else or_(place, Event.city_id == city_id))
    if provider_id is not None:
        stmt = stmt.where(Event.provider_id == provider_id)
    if event_ids is not None:
        stmt = stmt.where(Session.event_id.in_(event_ids))
    return list(db.scalars(stmt).unique())


@dataclass(frozen=True)
class ProgrammeItem:
    """Everything a caller hears of one session, detached from the database."""

    session_id: int
    event_id: int
    code: str
    starts_at: datetime
    ends_at: datetime
    kind: SessionKind
    status: SessionStatus
    city_id: int | None
    title: Texts
    provider: Texts
    venue: Texts
    address: Texts
    city: Texts
    price: Texts
    short: Texts
    description: Texts
    postponed: bool = False  # cancelled because its source postponed it, no new date yet
    all_day: bool = False  # the source gave a date only


    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def on_now(self, now: datetime) -> bool:
        """Under way at ``now`` (a live session, a recording's listening window)."""
        return not self.cancelled and self.starts_at <= now < self.ends_at

    def text(self, field: str, lang: str) -> str:
        """The field in ``lang``. A missing translation falls back to Finnish only for proper
        names (``PROPER``): a description is not read in Finnish to a Swedish caller."""
        own = self.own(field, lang)
        return own or (self.own(field, "fi") if field in PROPER else "")

    def own(self, field: str, lang: str) -> str:
        texts: Texts = getattr(self, field)
        return texts[LANGUAGES.index(lang)] if lang in LANGUAGES else texts[0]

    def fell_back(self, field: str, lang: str) -> bool:
        """Said in Finnish, or left out, for want of a translation (marked for staff)."""
        return lang != "fi" and not self.own(field, lang) and bool(self.own(field, "fi"))

    def fallbacks(self, lang: str) -> list[str]:
        return [f for f in TRANSLATED if self.fell_back(f, lang)]


def item_of(session: Session) -> ProgrammeItem:
    event = session.event
    city = event.city
    return ProgrammeItem(
        session_id=session.id, event_id=event.id, code=event.code, starts_at=session.starts_at,
        ends_at=session.ends_at, kind=session.kind, status=session.status, city_id=event.city_id,
        title=tuple(event.own_text("title", lang) for lang in LANGUAGES),
        provider=tuple(event.provider.own_name(lang) for lang in LANGUAGES),
        venue=tuple(event.own_text("venue", lang) for lang in LANGUAGES),
        address=tuple(event.own_text("address", lang) for lang in LANGUAGES),
        city=tuple(city.name(lang) if city else "" for lang in LANGUAGES),
        price=tuple(event.own_text("price_text", lang) for lang in LANGUAGES),
        short=tuple(event.own_text("short", lang) for lang in LANGUAGES),
        description=tuple(event.own_text("description", lang) for lang in LANGUAGES),
        postponed=session.postponed, all_day=session.all_day)


def one_per_window(items: list[ProgrammeItem]) -> list[ProgrammeItem]:
    """Each recording once: a recording's weekly windows follow each other, so a caller's week
    holds this window and the next one of the same audio; the first is listed (issue 10)."""
    seen: set[int] = set()
    out: list[ProgrammeItem] = []
    for item in items:
        if item.kind == SessionKind.RECORDING:
            if item.event_id in seen:
                continue
            seen.add(item.event_id)
        out.append(item)
    return out


def items_between(db: DbSession, start: datetime, end: datetime, *, city_id: int | None = None,
                  all_cities: bool = False, provider_id: int | None = None,
                  running: bool = True) -> list[ProgrammeItem]:
    return [item_of(s) for s in sessions_between(db, start, end, city_id=city_id,
                                                 all_cities=all_cities, provider_id=provider_id,
                                                 running=running)]


def in_programme(item: ProgrammeItem, city_id: int | None, now: datetime,
                 horizon: timedelta = WEEK) -> bool:
    """The phone's rule for one item: not ended, starting within the horizon, in reach."""
    return (item.ends_at > now and item.starts_at < now + horizon
            and (item.city_id is None or item.city_id == city_id))


def programme_for(db: DbSession, *, city_id: int | None, now: datetime,
                  horizon: timedelta = WEEK) -> list[Session]:
    """Sessions from ``now`` (still running ones included) to ``now + horizon``, in time order."""
    return sessions_between(db, now, now + horizon, city_id=city_id)


def event_by_code(db: DbSession, code: str) -> Event | None:
    """A caller's typed code; an imported event staff have not approved is not there yet."""
    return db.scalar(select(Event).where(Event.code == code.strip(), Event.review == "approved"))


def next_session_of(db: DbSession, event: Event, now: datetime) -> Session | None:
    """The event's next session that has not ended (a moved one resolves to its new time)."""
    return db.scalar(
        select(Session)
        .where(Session.event_id == event.id, Session.ends_at > now,
               Session.status != SessionStatus.MOVED)
        .order_by(Session.starts_at)
        .limit(1)
    )
