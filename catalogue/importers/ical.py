"""iCalendar feeds (RFC 5545) of providers: every VEVENT occurrence in the window, with RRULE,
RDATE, EXDATE, RECURRENCE-ID overrides and time zones expanded by ``recurring-ical-events``.

An occurrence's key is its original start (the RECURRENCE-ID when an override moved it), so a
moved occurrence updates the same session instead of making a new one.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import recurring_ical_events
import requests
from icalendar import Calendar

from ..timeutil import LOCAL_TZ, to_utc
from .linkedevents import DEFAULT_LENGTH
from .records import CANCELLED, SCHEDULED, ImportedEvent, ImportFailed, Occurrence
from .text import speakable


def read(url_or_path: str, *, timeout: float = 30.0) -> bytes:
    """The feed's bytes from http(s) or a file, or ``ImportFailed`` saying why not."""
    if url_or_path.startswith(("http://", "https://")):
        try:
            resp = requests.get(url_or_path, timeout=timeout)
        except requests.RequestException as exc:
            raise ImportFailed(url_or_path, f"network error: {exc.__class__.__name__}") from None
        if resp.status_code != 200:
            raise ImportFailed(url_or_path, f"HTTP {resp.status_code}")
        return resp.content
    try:
        return Path(url_or_path).read_bytes()
    except OSError as exc:
        raise ImportFailed(url_or_path, exc.strerror or "cannot read") from None


def _utc(value: Any) -> tuple[datetime, bool]:
    """A DTSTART/DTEND value as naive UTC; a floating time is Helsinki's; a date is all day."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
        return aware.astimezone(timezone.utc).replace(tzinfo=None), False
    if isinstance(value, date):
        return to_utc(datetime.combine(value, time(), LOCAL_TZ)), True
    raise ValueError(f"not a date or time: {value!r}")


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _occurrence(component: Any) -> Occurrence:
    starts_at, all_day = _utc(component.decoded("DTSTART"))
    if component.get("DTEND") is not None:
        ends_at = _utc(component.decoded("DTEND"))[0]
    elif component.get("DURATION") is not None:
        ends_at = starts_at + component.decoded("DURATION")
    else:
        ends_at = starts_at + (timedelta(days=1) if all_day else DEFAULT_LENGTH)
    if ends_at <= starts_at:
        ends_at = starts_at + (timedelta(days=1) if all_day else DEFAULT_LENGTH)
    original = component.get("RECURRENCE-ID")
    key = _utc(original.dt)[0] if original is not None else starts_at
    cancelled = str(component.get("STATUS", "")).upper() == "CANCELLED"
    return Occurrence(key=key.isoformat(), starts_at=starts_at, ends_at=ends_at,
                      status=CANCELLED if cancelled else SCHEDULED, all_day=all_day)


def parse(data: bytes, start: date, end: date) -> list[ImportedEvent]:
    """The feed's events with their occurrences from ``start`` up to (not including) ``end``."""
    try:
        calendar = Calendar.from_ical(data)
        components = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:  # noqa: BLE001 - the parsers raise many kinds for a bad feed
        raise ImportFailed("feed", f"not iCalendar ({exc.__class__.__name__}: {exc})") from None
    heads: dict[str, Any] = {}
    occurrences: dict[str, dict[str, Occurrence]] = {}
    for component in components:
        uid = _text(component, "UID")
        if not uid:
            raise ImportFailed("feed", "a VEVENT without UID")
        if uid not in heads or component.get("RECURRENCE-ID") is None:
            heads[uid] = component
        occ = _occurrence(component)
        occurrences.setdefault(uid, {})[occ.key] = occ
    out = []
    for uid, head in heads.items():
        location = _text(head, "LOCATION")
        venue, _, address = location.partition(",")
        title = _text(head, "SUMMARY")[:200]
        description = speakable(str(head.get("DESCRIPTION") or ""))
        occs = tuple(sorted(occurrences[uid].values(), key=lambda o: (o.starts_at, o.key)))
        out.append(ImportedEvent(
            key=uid, title=(title, "", ""), short=(speakable(description, 400), "", ""),
            description=(description, "", ""), venue=venue.strip()[:200],
            address=address.strip()[:200], occurrences=occs))
    return out
