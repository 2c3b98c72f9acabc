"""Public calendar feeds (no login): ``/programme.ics`` with every city, and
``/programme/<city>.<lang>.ics`` with that city's in-person events and the phone events, so that
relatives can subscribe. Each event says its phone code and the number to call.

A web output like the admin's pages, so it lives beside them; a blueprint of its own, outside
``/admin`` and its login, with nothing to post (no forms, so no CSRF to exempt)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, abort, current_app
from icalendar import Calendar
from icalendar import Event as VEvent
from sqlalchemy import select

from catalogue.db import get_db
from catalogue.models import LANGUAGES, City, Session, SessionStatus
from catalogue.timeutil import to_local, utcnow
from .i18n import t
from .week_programme import line, service_number, sessions

bp = Blueprint("feeds", __name__)
WEEKS = 8


def _vevent(s: Session, lang: str, number: str, stamp: datetime) -> VEvent:
    printed = line(s, lang)
    event = s.event
    out = VEvent()
    out.add("uid", f"lampio-session-{s.id}@lampio")
    out.add("dtstamp", stamp.replace(tzinfo=timezone.utc))
    if s.all_day:
        out.add("dtstart", to_local(s.starts_at).date())
        out.add("dtend", to_local(s.ends_at).date())
    else:  # in UTC: every calendar shows it in its own zone, and no VTIMEZONE is needed
        out.add("dtstart", s.starts_at.replace(tzinfo=timezone.utc))
        out.add("dtend", s.ends_at.replace(tzinfo=timezone.utc))
    out.add("summary", f"{printed.title} ({t('print.code', lang)} {event.code})")
    place = ", ".join(p for p in (event.venue, event.address,
                                  event.city.name(lang) if event.city else "") if p)
    if place:
        out.add("location", place)
    text = [event.text("short", lang), printed.how, printed.price,
            t("feed.code", lang, code=event.code), t("feed.call", lang, number=number, code=event.code)]
    out.add("description", "\n".join(p for p in text if p))
    out.add("status", "CANCELLED" if s.status == SessionStatus.CANCELLED else "CONFIRMED")
    return out


def _feed(city: City | None, lang: str) -> Response:
    today = to_local(utcnow()).date() - timedelta(days=1)
    cal = Calendar()
    cal.add("prodid", "-//Lampio Phone//programme//FI")
    cal.add("version", "2.0")
    name = t("feed.name", lang) + (f": {city.name(lang)}" if city else "")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Helsinki")
    number, stamp = service_number(current_app), utcnow()
    for s in sessions(get_db(), today, WEEKS * 7, city):
        cal.add_component(_vevent(s, lang, number, stamp))
    resp = Response(cal.to_ical(), mimetype="text/calendar")
    resp.headers["Cache-Control"] = "public, max-age=900"
    return resp


@bp.route("/programme.ics")
def whole() -> Response:
    return _feed(None, "fi")


@bp.route("/programme/<slug>.<lang>.ics")
def city_feed(slug: str, lang: str) -> Response:
    city = get_db().scalar(select(City).where(City.slug == slug))
    if city is None or lang not in LANGUAGES:
        abort(404)
    return _feed(city, lang)
