"""Small builders for test data (cities come from the migrations' seed)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller, City, Event, Provider, Registration, Session, SessionKind, SessionStatus
from catalogue.registration import Result
from catalogue.timeutil import utcnow

_codes = itertools.count(500)


def city(db: DbSession, slug: str = "helsinki") -> City:
    found = db.scalar(select(City).where(City.slug == slug))
    assert found is not None, f"city {slug} not seeded"
    return found


def provider(db: DbSession, name: str = "Helsingin kaupunginmuseo", pin: str | None = None) -> Provider:
    from werkzeug.security import generate_password_hash

    p = Provider(name=name, pin_hash=generate_password_hash(pin) if pin else None)
    db.add(p)
    db.flush()
    return p


def event(db: DbSession, *, title: str = "Laulutuokio", city_slug: str | None = None,
          prov: Provider | None = None, code: str | None = None, **fields: object) -> Event:
    e = Event(
        code=code or str(next(_codes)),
        provider=prov or provider(db),
        city_id=city(db, city_slug).id if city_slug else None,
        category=str(fields.pop("category", "music")),
        title_fi=title, title_sv=str(fields.pop("title_sv", f"{title} (sv)")),
        title_en=str(fields.pop("title_en", f"{title} (en)")),
        short_fi="Lyhyt kuvaus.", description_fi=str(fields.pop("description_fi", "Pitkä kuvaus. Toinen lause.")),
        venue=str(fields.pop("venue", "")), address=str(fields.pop("address", "")),
        **fields,
    )
    db.add(e)
    db.flush()
    return e


def session(db: DbSession, ev: Event, *, starts_in: timedelta = timedelta(days=1),
            minutes: int = 60, kind: SessionKind | None = None, capacity: int | None = 10,
            status: SessionStatus = SessionStatus.SCHEDULED, now: datetime | None = None) -> Session:
    start = (now or utcnow()).replace(second=0, microsecond=0) + starts_in
    s = Session(event=ev, starts_at=start, ends_at=start + timedelta(minutes=minutes),
                kind=kind or (SessionKind.IN_PERSON if ev.city_id else SessionKind.PHONE),
                capacity=capacity, status=status)
    db.add(s)
    db.flush()
    return s


def caller(db: DbSession, phone: str = "+358912345678", *, language: str | None = "fi",
           name: str | None = None, city_slug: str | None = "helsinki") -> Caller:
    c = Caller(phone=phone, language=language, name=name,
               city_id=city(db, city_slug).id if city_slug else None)
    db.add(c)
    db.flush()
    return c


def registered(result: Result) -> Registration:
    """The registration that ``register`` made (the test fails when it made none)."""
    assert result.registration is not None, result.kind
    return result.registration
