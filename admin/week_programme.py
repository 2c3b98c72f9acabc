"""The programme as it goes out in writing (the large-print paper and the calendar feeds):
the same sessions the phone offers — approved events, moved ones left out — with each event's
phone code and the service's number, so that a reader can call and press 4 and the code."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Flask
from sqlalchemy.orm import Session as DbSession

from catalogue.models import City, Session, SessionKind, SessionStatus
from catalogue.programme import sessions_between
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc
from .formats import local_dt, phone
from .i18n import t

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


def parse_week(text: str) -> date:
    """``2026-W49`` → that ISO week's Monday; ``ValueError`` for anything else."""
    m = _WEEK.match(text.strip().upper())
    if not m:
        raise ValueError(f"not a week like 2026-W49: {text!r}")
    return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)


def week_name(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def service_number(app: Flask) -> str:
    """The number people call, written as Finns write it (09 4200 0000)."""
    return phone(str(app.config.get("SERVICE_PHONE_NUMBER") or ""))


def span(first: date, days: int) -> tuple[datetime, datetime]:
    return (to_utc(datetime.combine(first, time(), LOCAL_TZ)),
            to_utc(datetime.combine(first + timedelta(days=days), time(), LOCAL_TZ)))


def sessions(db: DbSession, first: date, days: int, city: City | None) -> list[Session]:
    """Phone events and, for a city, its in-person events; every city's without one."""
    start, end = span(first, days)
    return sessions_between(db, start, end, city_id=city.id if city else None,
                            all_cities=city is None, running=False)


@dataclass(frozen=True)
class Line:
    """One session as printed: every text already in the reader's language."""

    time: str
    title: str
    how: str
    price: str
    code: str
    status: str  # "", or CANCELLED / POSTPONED in capitals


def line(s: Session, lang: str) -> Line:
    event = s.event
    when = t("print.all_day", lang) if s.all_day else (
        f"{local_dt(s.starts_at, 'time', lang)}–{local_dt(s.ends_at, 'time', lang)}")
    if s.kind == SessionKind.PHONE:
        how = t("print.by_phone", lang)
    elif s.kind == SessionKind.RECORDING:
        how = t("print.recording", lang)
    else:
        city = event.city.name(lang) if event.city else ""
        place = ", ".join(p for p in (event.venue, event.address, city) if p)
        how = t("print.in_person", lang, place=place)
    status = ""
    if s.status == SessionStatus.CANCELLED:
        status = t("print.postponed" if s.postponed else "print.cancelled", lang)
    return Line(time=when, title=event.text("title", lang), how=how,
                price=event.text("price_text", lang), code=event.code, status=status)


def by_day(items: list[Session], lang: str) -> list[tuple[date, list[Line]]]:
    days: dict[date, list[Line]] = {}
    for s in items:
        days.setdefault(to_local(s.starts_at).date(), []).append(line(s, lang))
    return sorted(days.items())
