"""Apply what a source said, idempotently by its ids: new events get a phone code through the
schedule service, changed ones are updated in place (registrations stay), cancellations go
through ``schedule.cancel_session`` so the registered are told, and an unchanged event (same
digest as last time) is not written at all. The caller commits (one transaction per run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from .. import audit, schedule
from ..models import City, Event, ImportSource, Provider, Session, SessionKind, SessionStatus
from ..signals import programme_changed, send_after_commit
from ..timeutil import to_local
from .records import POSTPONED, SCHEDULED, ImportedEvent, Occurrence

OWNED = ("title", "short", "description", "price_text")  # with _fi/_sv/_en: the source's fields
OWNED_FIELDS = frozenset({*(f"{n}_{lang}" for n in OWNED for lang in ("fi", "sv", "en")),
                          "venue", "address", "city_id", "provider_id"})


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0  # sessions cancelled (or postponed) by this run
    skipped: list[str] = field(default_factory=list)  # "key: why"

    def __str__(self) -> str:
        text = (f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.cancelled} sessions cancelled")
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


class _Resolver:
    """Cities by any of their names, providers by name (made when missing), read once a run."""

    def __init__(self, db: DbSession, source: ImportSource) -> None:
        self.db, self.source = db, source
        self.cities: dict[str, int] = {}
        for c in db.scalars(select(City)):
            for name in (c.slug, c.name_fi, c.name_sv, c.name_en):
                self.cities[name.casefold()] = c.id
        self.providers = {p.name: p.id for p in db.scalars(select(Provider))}

    def city(self, name: str) -> int | None:
        found = self.cities.get(name.casefold()) if name else None
        return found or self.source.city_id

    def provider(self, name: str) -> int:
        if not name:
            if self.source.provider_id:
                return self.source.provider_id
            name = self.source.name
        if name not in self.providers:
            provider = Provider(name=name, city_id=self.source.city_id)
            self.db.add(provider)
            self.db.flush()
            self.providers[name] = provider.id
        return self.providers[name]


def _values(item: ImportedEvent, city_id: int, provider_id: int) -> dict[str, object]:
    values: dict[str, object] = {"venue": item.venue, "address": item.address,
                                 "city_id": city_id, "provider_id": provider_id}
    for name, texts in (("title", item.title), ("short", item.short),
                        ("description", item.description), ("price_text", item.price)):
        for lang, text in zip(("fi", "sv", "en"), texts):
            values[f"{name}_{lang}"] = text
    if not values["title_fi"]:  # the phone needs a title; take another language's
        values["title_fi"] = item.title[1] or item.title[2] or item.key
    return values


def apply(db: DbSession, source: ImportSource, items: list[ImportedEvent],
          window: tuple[datetime, datetime]) -> Outcome:
    """Bring ``source``'s events in line with ``items``, read for ``window`` (UTC): sessions of
    the source that start in the window but are no longer listed are cancelled."""
    outcome = Outcome()
    resolve = _Resolver(db, source)
    existing = {e.source_key: e for e in db.scalars(
        select(Event).where(Event.source_id == source.id).options(selectinload(Event.sessions)))}
    changed: list[int] = []
    for item in items:
        event = existing.get(item.key)
        digest = item.digest()
        if event is not None and event.source_digest == digest:
            outcome.unchanged += 1
            continue
        city_id = resolve.city(item.city_name)
        if city_id is None:
            outcome.skipped.append(f"{item.key}: no city (set the source's city)")
            continue
        values = _values(item, city_id, resolve.provider(item.provider_name))
        if event is None:
            if not any(o.status == SCHEDULED for o in item.occurrences):
                outcome.skipped.append(f"{item.key}: no scheduled date")
                continue
            event = Event(code="000", category="other", source_id=source.id, source_key=item.key,
                          source_digest=digest,
                          review="approved" if source.auto_approve else "pending", **values)
            schedule.add_event(db, event)
            outcome.created += 1
        else:
            changed_fields = {n: v for n, v in values.items() if getattr(event, n) != v}
            if changed_fields:
                before = audit.snapshot(event, changed_fields)
                for name, value in changed_fields.items():
                    setattr(event, name, value)
                audit.record(db, audit.SYSTEM, "event.import", "event", event.id, before=before,
                             after=audit.snapshot(event, changed_fields), event_id=event.id)
            event.source_digest = digest
            outcome.updated += 1
            changed.append(event.id)
        outcome.cancelled += _sessions(db, event, item, window)
    db.flush()
    if changed:
        send_after_commit(db, programme_changed, event_ids=changed)
    return outcome


def _sessions(db: DbSession, event: Event, item: ImportedEvent,
              window: tuple[datetime, datetime]) -> int:
    """Add, update and cancel the event's imported sessions; returns how many were cancelled."""
    current = {s.source_key: s for s in event.sessions
               if s.source_key and s.status != SessionStatus.MOVED}
    cancelled = 0
    listed = set()
    for occ in item.occurrences:
        listed.add(occ.key)
        session = current.get(occ.key)
        if session is None:
            db.add(Session(event=event, starts_at=occ.starts_at, ends_at=occ.ends_at,
                           kind=SessionKind.IN_PERSON, capacity=None, confirmed_count=0,
                           status=SessionStatus.SCHEDULED if occ.status == SCHEDULED
                           else SessionStatus.CANCELLED, postponed=occ.status == POSTPONED,
                           source_key=occ.key, all_day=occ.all_day))
            continue
        cancelled += _update(db, session, occ)
    # Postponed or cancelled with no dates (the API then gives no times): every session goes.
    everything = not item.occurrences and item.status != SCHEDULED
    for key, session in current.items():
        if key in listed or session.status != SessionStatus.SCHEDULED:
            continue
        if everything or window[0] <= session.starts_at < window[1]:
            session.postponed = item.status == POSTPONED
            schedule.cancel_session(db, session)
            cancelled += 1
    return cancelled


def _update(db: DbSession, session: Session, occ: Occurrence) -> int:
    session.all_day = occ.all_day
    if occ.status != SCHEDULED:
        if session.status == SessionStatus.SCHEDULED:
            session.postponed = occ.status == POSTPONED
            schedule.cancel_session(db, session)
            return 1
        return 0
    before = audit.snapshot(session, ("status", "starts_at", "ends_at"))
    if session.status == SessionStatus.CANCELLED:  # the source put it back on
        session.status, session.postponed = SessionStatus.SCHEDULED, False
    if (session.starts_at, session.ends_at) != (occ.starts_at, occ.ends_at):
        if schedule.active_registrations(db, session) and session.status == SessionStatus.SCHEDULED:
            # People hold places: moved as staff move it, so each of them is told the new time.
            minutes = int((occ.ends_at - occ.starts_at).total_seconds() // 60)
            new, _ = schedule.move_session(db, session, new_start_local=to_local(occ.starts_at),
                                           minutes=minutes)
            key, session.source_key = session.source_key, None
            new.source_key, new.all_day = key, occ.all_day
        else:
            session.starts_at, session.ends_at = occ.starts_at, occ.ends_at
    after = audit.snapshot(session, ("status", "starts_at", "ends_at"))
    if after != before and session.moved_to_id is None:
        audit.record(db, audit.SYSTEM, "session.import", "session", session.id, before=before,
                     after=after, event_id=session.event_id, session_id=session.id)
    return 0
