"""Demo registrations, so that "my registrations" and the waiting list have something to show.

Aino (the simulator's default caller, +358912345678) has a place in the next "Pieni runopiiri"
(code 107, three places), which is full, with two people waiting: cancelling it in the simulator
promotes Eino. Everything goes through ``catalogue.registration`` so the counts are right; a
person who already has any registration (even a cancelled one) for that session is skipped, so a
rerun adds nothing and a cancellation made while trying the demo is not undone.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from . import registration
from .models import Caller, City, Event, Registration, Session, SessionStatus

# Made-up people for the waiting list (valid Finnish mobile numbers).
EXTRA_CALLERS: tuple[tuple[str, str, str], ...] = (
    ("+358401000001", "Eino", "helsinki"),
    ("+358401000002", "Helmi", "helsinki"),
)
AINO, GRETA, GUEST = "+358912345678", "+358401234567", "+358501112233"
# (event code, person, registered by) in the order they registered.
PLAN: tuple[tuple[str, str, str | None], ...] = (
    ("107", AINO, None),
    ("107", GRETA, None),
    ("107", GUEST, None),
    ("107", "+358401000001", None),  # waiting 1
    ("107", "+358401000002", AINO),  # waiting 2, put there by Aino
    ("103", AINO, None),
    ("202", AINO, None),
    ("203", GRETA, None),
)


def _extra_callers(db: DbSession) -> None:
    for phone, name, city_slug in EXTRA_CALLERS:
        if db.scalar(select(Caller.id).where(Caller.phone == phone)) is None:
            city = db.scalar(select(City).where(City.slug == city_slug))
            db.add(Caller(phone=phone, name=name, language="fi", city=city))
    db.flush()


def _next_session(db: DbSession, code: str, now: datetime) -> Session | None:
    return db.scalar(select(Session).join(Session.event)
                     .where(Event.code == code, Session.starts_at > now,
                            Session.status == SessionStatus.SCHEDULED)
                     .order_by(Session.starts_at).limit(1))


def load_demo_registrations(db: DbSession, now: datetime) -> dict[str, int]:
    """Add the demo registrations that are missing (needs the demo programme and callers).
    Flushes only: runs inside ``prepare_database``'s locked transaction, which commits."""
    _extra_callers(db)
    added = 0
    for code, phone, by_phone in PLAN:
        session = _next_session(db, code, now)
        person = db.scalar(select(Caller).where(Caller.phone == phone))
        if session is None or person is None:
            continue
        had = db.scalar(select(Registration.id).where(Registration.session_id == session.id,
                                                      Registration.caller_id == person.id))
        if had is not None:
            continue
        by = db.scalar(select(Caller).where(Caller.phone == by_phone)) if by_phone else None
        result = registration.register(db, session.id, person, by_caller=by, now=now,
                                       own_transaction=False)
        added += int(result.kind in (registration.Kind.CONFIRMED, registration.Kind.WAITING))
    return {"registrations": added}
