"""The programme a caller hears: phone events for everyone, in-person events in their city."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from .models import Event, Session, SessionStatus

WEEK = timedelta(days=7)


def programme_for(db: DbSession, *, city_id: int | None, now: datetime,
                  horizon: timedelta = WEEK) -> list[Session]:
    """Sessions from ``now`` (still running ones included) to ``now + horizon``, in time order.

    Sessions that were moved are left out (their new session is listed); cancelled ones stay so
    that a caller who remembers them hears they are cancelled.
    """
    place = Event.city_id.is_(None)
    if city_id is not None:
        place = or_(place, Event.city_id == city_id)
    stmt = (
        select(Session)
        .join(Session.event)
        .where(
            Session.ends_at > now,
            Session.starts_at < now + horizon,
            Session.status != SessionStatus.MOVED,
            place,
        )
        .options(joinedload(Session.event).joinedload(Event.provider),
                 joinedload(Session.event).joinedload(Event.city))
        .order_by(Session.starts_at, Session.id)
    )
    return list(db.scalars(stmt).unique())


def event_by_code(db: DbSession, code: str) -> Event | None:
    return db.scalar(select(Event).where(Event.code == code.strip()))


def next_session_of(db: DbSession, event: Event, now: datetime) -> Session | None:
    """The event's next session that has not ended (a moved one resolves to its new time)."""
    return db.scalar(
        select(Session)
        .where(Session.event_id == event.id, Session.ends_at > now,
               Session.status != SessionStatus.MOVED)
        .order_by(Session.starts_at)
        .limit(1)
    )
