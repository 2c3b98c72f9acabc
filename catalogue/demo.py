"""A realistic demo programme, so that a fresh install has something to call about.

The data lives in ``demo_programme.json``; this module only places it in time. Events are keyed
on their code and created once; their weekly slots are repeated in the week of ``now`` and the
next one, and a session that already exists (same event, same start) is skipped, so a rerun in
the same week adds nothing and a rerun a week later adds only the new week.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.security import generate_password_hash

from . import categories
from .models import Caller, City, Event, Provider, Session, SessionKind, SessionStatus
from .timeutil import LOCAL_TZ, to_local, to_utc

DEMO_PROVIDER_PIN = "2468"
DATA_FILE = Path(__file__).with_name("demo_programme.json")
SOON_MINUTES = 10  # the "take part now" demo session starts this long after ``now``
JOIN_WINDOW = timedelta(minutes=15)
_PLACE = ("venue", "venue_sv", "venue_en", "address", "address_sv", "address_en")
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def load_data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _naive_utc(now: datetime) -> datetime:
    """``now`` as stored times are: naive UTC (an aware value is converted)."""
    if now.tzinfo is None:
        return now
    return now.astimezone(timezone.utc).replace(tzinfo=None)


def _at(monday: date, slot: str) -> datetime:
    """'wed 14:00' in the week starting ``monday``, Helsinki time, as naive UTC."""
    day, clock = slot.split()
    hour, minute = (int(part) for part in clock.split(":"))
    local = datetime.combine(monday + timedelta(days=_WEEKDAYS[day]), time(hour, minute), LOCAL_TZ)
    return to_utc(local)


def _price(value: str | int) -> dict[str, str]:
    if value == "free":
        return {"fi": "Maksuton", "sv": "Avgiftsfri", "en": "Free"}
    return {"fi": f"{value} euroa", "sv": f"{value} euro", "en": f"{value} euros"}


def _providers(db: DbSession, specs: list[dict[str, Any]],
               cities: dict[str, City]) -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    pin_hash = ""  # hashing is slow on purpose: do it once, and only if a provider is new
    for spec in specs:
        provider = db.scalar(select(Provider).where(Provider.name == spec["name"]))
        if provider is None:
            pin_hash = pin_hash or generate_password_hash(DEMO_PROVIDER_PIN)
            provider = Provider(name=spec["name"], name_sv=spec.get("name_sv", ""),
                                name_en=spec.get("name_en", ""), pin_hash=pin_hash, pin_failures=0)
            provider.city = cities[spec["city"]] if spec["city"] else None
            db.add(provider)
        for lang in ("sv", "en"):  # a demo loaded before the names were translated
            if not getattr(provider, f"name_{lang}") and spec.get(f"name_{lang}"):
                setattr(provider, f"name_{lang}", spec[f"name_{lang}"])
        found[spec["key"]] = provider
    return found


def _callers(db: DbSession, specs: list[dict[str, Any]], cities: dict[str, City]) -> int:
    added = 0
    for spec in specs:
        if db.scalar(select(Caller.id).where(Caller.phone == spec["phone"])) is None:
            db.add(Caller(phone=spec["phone"], language=spec["language"], name=spec["name"],
                          city=cities[spec["city"]]))
            added += 1
    return added


def _new_event(spec: dict[str, Any], provider: Provider, cities: dict[str, City]) -> Event:
    fields: dict[str, Any] = {}
    for name in ("title", "short", "description"):
        for lang, value in spec[name].items():
            fields[f"{name}_{lang}"] = value
    for lang, value in _price(spec["price"]).items():
        fields[f"price_text_{lang}"] = value
    return Event(code=spec["code"], provider=provider, category=categories.check(spec["category"]),
                 city=cities[spec["city"]] if spec["city"] else None,
                 **{k: spec.get(k, "") for k in _PLACE}, **fields)


def _new_session(spec: dict[str, Any], starts: datetime, ends: datetime) -> Session:
    return Session(starts_at=starts, ends_at=ends, kind=SessionKind(spec["kind"]),
                   capacity=spec["capacity"], confirmed_count=0, status=SessionStatus.SCHEDULED)


def _add_sessions(event: Event, spec: dict[str, Any], monday: date, now: datetime) -> int:
    existing = {s.starts_at for s in event.sessions}
    added: list[Session] = []
    for week in (0, 1):
        week_monday = monday + timedelta(weeks=week)
        for slot in spec["slots"]:
            starts = _at(week_monday, slot)
            if starts in existing:
                continue
            ends = (_at(week_monday, spec["until"]) if "until" in spec
                    else starts + timedelta(minutes=spec["minutes"]))
            added.append(_new_session(spec, starts, ends))
    if spec.get("soon") and not any(s.ends_at > now and s.starts_at <= now + JOIN_WINDOW
                                    for s in [*event.sessions, *added]):
        starts = now.replace(second=0, microsecond=0) + timedelta(minutes=SOON_MINUTES)
        added.append(_new_session(spec, starts, starts + timedelta(minutes=spec["minutes"])))
    if spec.get("cancel_next") and not any(s.status is SessionStatus.CANCELLED and s.starts_at > now
                                           for s in event.sessions):
        upcoming = sorted((s for s in added if s.starts_at > now), key=lambda s: s.starts_at)
        if upcoming:
            upcoming[0].status = SessionStatus.CANCELLED
    event.sessions.extend(added)
    return len(added)


def load_demo(db: DbSession, now: datetime) -> dict[str, int]:
    """Add the demo programme for the week of ``now`` and the next (Helsinki weeks), plus demo
    providers (PIN ``DEMO_PROVIDER_PIN``) and callers; skip whatever exists. Flushes only: the
    caller commits. Needs the cities (``catalogue.setup.seed_cities``). Returns counts added."""
    data = load_data()
    now = _naive_utc(now)
    local_today = to_local(now).date()
    monday = local_today - timedelta(days=local_today.weekday())
    cities = {c.slug: c for c in db.scalars(select(City))}
    missing = {e["city"] for e in data["events"] if e["city"]} - cities.keys()
    if missing:
        raise RuntimeError(f"demo data needs the cities first (missing: {sorted(missing)})")
    providers = _providers(db, data["providers"], cities)
    counts = {"events": 0, "sessions": 0, "callers": _callers(db, data["callers"], cities)}
    for spec in data["events"]:
        event = db.scalar(select(Event).where(Event.code == spec["code"]))
        if event is None:
            event = _new_event(spec, providers[spec["provider"]], cities)
            db.add(event)
            counts["events"] += 1
        for name in _PLACE:  # translations added to the demo after it was loaded
            if not getattr(event, name) and spec.get(name):
                setattr(event, name, spec[name])
        counts["sessions"] += _add_sessions(event, spec, monday, now)
    db.flush()
    return counts
