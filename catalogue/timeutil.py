"""Time in one place: stored as naive UTC, spoken and shown in Europe/Helsinki."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Helsinki")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def epoch(dt: datetime) -> int:
    """A stored naive-UTC datetime in whole seconds since 1970 (a call's start in its URLs)."""
    return int(dt.replace(tzinfo=timezone.utc).timestamp())


def from_epoch(seconds: int) -> datetime:
    """``epoch``'s seconds back as naive UTC."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def to_local(dt: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware Helsinki datetime."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(LOCAL_TZ)


def to_utc(dt: datetime) -> datetime:
    """An aware datetime (or a naive one taken as Helsinki time) as naive UTC for storage."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LOCAL_TZ)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)
