"""Linked Events (Helsinki's API and its forks, e.g. Turku's): fetch every page of a query,
following ``meta.next``, then turn the events into ``ImportedEvent`` records.

Read-only and tolerant: only the fields used are read, each may be missing, null, a string
instead of a translated object, or carry fields a fork added. A recurring super-event's
sub-events become sessions of one event; an umbrella's sub-events stay events of their own.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import requests

from ..timeutil import LOCAL_TZ, to_utc
from .records import (CANCELLED, EMPTY, POSTPONED, SCHEDULED, ImportedEvent, ImportFailed,
                      Occurrence, Texts)
from .text import speakable

LANGS = ("fi", "sv", "en")
PAGE_SIZE = 100
MAX_PAGES = 2000  # a loop in ``meta.next`` must end somewhere
DEFAULT_LENGTH = timedelta(hours=2)  # a start without an end
STATUS = {"EventCancelled": CANCELLED, "EventPostponed": POSTPONED}
FREE: Texts = ("Vapaa pääsy", "Fritt inträde", "Free admission")
Progress = Callable[[int, int | None], None]  # events read so far, the total the API reports


def query_url(api_root: str, keywords: Iterable[str], start: date, end: date) -> str:
    """The first page's URL; a URL that already names ``/event/`` with a query is used as is."""
    if "/event/" in api_root and "?" in api_root:
        return api_root
    params = {"keyword": ",".join(keywords), "start": start.isoformat(), "end": end.isoformat(),
              "include": "location", "sort": "start_time", "page_size": str(PAGE_SIZE)}
    root = api_root.rstrip("/")
    root = root if root.endswith("/event") else root + "/event"
    return f"{root}/?{urlencode({k: v for k, v in params.items() if v})}"


def fetch(url: str, *, http: requests.Session | None = None, timeout: float = 30.0,
          progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every event of every page, or ``ImportFailed`` naming the page that failed."""
    http = http or requests.Session()
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        if next_url in seen or len(seen) >= MAX_PAGES:
            raise ImportFailed(next_url, "meta.next loops or never ends")
        seen.add(next_url)
        page = _page(http, next_url, timeout)
        events.extend(page["data"])
        if progress is not None:
            count = (page.get("meta") or {}).get("count")
            progress(len(events), count if isinstance(count, int) else None)
        meta = page.get("meta") or {}
        next_url = meta.get("next") if isinstance(meta, dict) else None
    return events


def _page(http: requests.Session, url: str, timeout: float) -> dict[str, Any]:
    try:
        resp = http.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ImportFailed(url, f"network error: {exc.__class__.__name__}") from None
    if resp.status_code != 200:
        raise ImportFailed(url, f"HTTP {resp.status_code}")
    try:
        page = resp.json()
    except ValueError:
        raise ImportFailed(url, "not JSON") from None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) for e in page["data"]):
        raise ImportFailed(url, "not a Linked Events page (no data list of events with ids)")
    return page


def texts(value: Any, limit: int | None = None, html: bool = False) -> Texts:
    """A translated field as (fi, sv, en); a plain string (some forks) counts as Finnish."""
    if isinstance(value, str):
        value = {"fi": value}
    if not isinstance(value, dict):
        return EMPTY
    out = []
    for lang in LANGS:
        raw = value.get(lang)
        raw = raw if isinstance(raw, str) else ""
        text = speakable(raw, limit) if html else " ".join(raw.split())
        out.append(text[:limit] if limit else text)
    return (out[0], out[1], out[2])


def _id_of(ref: Any) -> str | None:
    """``{"@id": ".../event/helsinki:abc/"}`` (or an embedded event) → ``helsinki:abc``."""
    if isinstance(ref, dict):
        if isinstance(ref.get("id"), str):
            return str(ref["id"])
        ref = ref.get("@id")
    if isinstance(ref, str) and ref.strip("/"):
        return ref.rstrip("/").rsplit("/", 1)[-1]
    return None


def _time(value: Any, end: bool = False) -> tuple[datetime, bool] | None:
    """A start or end as naive UTC, and whether the source gave only a date (a date-only end
    is the end of that day)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + (timedelta(days=1) if end else timedelta())
            return to_utc(datetime.combine(day, time(), LOCAL_TZ)), True
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(timezone.utc).replace(tzinfo=None), False


def occurrence(raw: dict[str, Any]) -> Occurrence | None:
    start = _time(raw.get("start_time"))
    if start is None:
        return None
    starts_at, all_day = start
    end = _time(raw.get("end_time"), end=True)
    if all_day:
        ends_at = end[0] if end else starts_at + timedelta(days=1)
    else:
        ends_at = end[0] if end and not end[1] else starts_at + DEFAULT_LENGTH
    if ends_at <= starts_at:
        ends_at = starts_at + (timedelta(days=1) if all_day else DEFAULT_LENGTH)
    return Occurrence(key=str(raw["id"]), starts_at=starts_at, ends_at=ends_at,
                      status=status_of(raw), all_day=all_day)


def status_of(raw: dict[str, Any]) -> str:
    if raw.get("deleted") is True:
        return CANCELLED
    return STATUS.get(str(raw.get("event_status") or ""), SCHEDULED)


def price(offers: Any) -> Texts:
    if not isinstance(offers, list) or not offers:
        return EMPTY
    offers = [o for o in offers if isinstance(o, dict)]
    if any(o.get("is_free") is True for o in offers):
        return FREE
    langs = []
    for i in range(3):
        bits = (" ".join(x for x in (texts(o.get("price"))[i],
                                     texts(o.get("description"), html=True)[i]) if x)
                for o in offers)
        langs.append(", ".join(b for b in bits if b)[:120])
    return (langs[0], langs[1], langs[2])


def place(location: Any) -> tuple[str, str, str]:
    """Venue, street address and city name of an included place (a bare reference: none)."""
    if not isinstance(location, dict):
        return "", "", ""
    venue = texts(location.get("name"))[0][:200]
    address = texts(location.get("street_address"))[0][:200]
    city = texts(location.get("address_locality"))[0]
    for division in location.get("divisions") or []:
        if not city and isinstance(division, dict) and division.get("type") == "muni":
            city = texts(division.get("name"))[0]
    return venue, address, city


def _event(raw: dict[str, Any], occurrences: tuple[Occurrence, ...]) -> ImportedEvent:
    venue, address, city = place(raw.get("location"))
    title = texts(raw.get("name"), 200)
    long = texts(raw.get("description"), html=True)
    given = texts(raw.get("short_description"), 400, html=True)
    short = (given[0] or speakable(long[0], 400), given[1] or speakable(long[1], 400),
             given[2] or speakable(long[2], 400))
    return ImportedEvent(
        key=str(raw["id"]), title=title, short=short, description=long,
        price=price(raw.get("offers")), venue=venue, address=address, city_name=city,
        provider_name=texts(raw.get("provider"), 200)[0], status=status_of(raw),
        occurrences=occurrences)


def parse(raw_events: list[dict[str, Any]]) -> list[ImportedEvent]:
    """Group the API's events into ours: a recurring super-event and the sub-events found with
    it are one event; every other event is one event with one session."""
    by_id = {e["id"]: e for e in raw_events}
    supers = {i for i, e in by_id.items()
              if e.get("super_event_type") == "recurring" and e.get("sub_events")}
    groups: dict[str, list[dict[str, Any]]] = {}
    for raw in raw_events:
        if raw["id"] in supers:
            groups.setdefault(raw["id"], [])
            continue
        parent = _id_of(raw.get("super_event"))
        key: str = parent if parent is not None and parent in supers else raw["id"]
        groups.setdefault(key, []).append(raw)
    out = []
    for key, members in groups.items():
        head = by_id[key] if key in by_id else members[0]
        occs = tuple(o for o in (occurrence(m) for m in members) if o is not None)
        out.append(_event(head, tuple(sorted(occs, key=lambda o: (o.starts_at, o.key)))))
    return out
