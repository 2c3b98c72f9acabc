"""The audit log: one function writes an entry, called by the catalogue's services where the
change happens, so the phone, the admin, imports and jobs are all logged the same way.

Who: an ``Actor`` — a login (the admin passes it), a caller's own call (``PHONE``: logged with
the channel only, never the phone number) or the service itself (``SYSTEM``). What: an action
name (``registration.cancel``), the object, and how its fields were before and after (only the
fields that changed). Values are kept as plain JSON: times as Helsinki wall-clock text.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, func, insert, or_, select
from sqlalchemy.orm import Session as DbSession

from .models import AuditEntry
from .timeutil import to_local, utcnow


@dataclass(frozen=True)
class Actor:
    channel: str  # "admin", "phone" or "system"
    user_id: int | None = None
    label: str = ""  # the login's e-mail, kept as it was


PHONE = Actor("phone")
SYSTEM = Actor("system")
CHANNELS = ("admin", "phone", "system")
OBJECT_TYPES = ("event", "session", "registration", "caller", "callback", "recording",
                "session_audio", "provider", "user")


def value(v: Any) -> Any:
    """A field's value as the log keeps it (JSON, readable as it stands)."""
    if isinstance(v, datetime):
        return f"{to_local(v):%Y-%m-%d %H:%M}"
    if isinstance(v, enum.Enum):
        return v.value
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The fields' values now, to pass as ``before`` (read them before changing the object)."""
    return {name: value(getattr(obj, name)) for name in fields}


TABLE = cast("Table", AuditEntry.__table__)
_INSERT = insert(TABLE)  # built once


def record(db: DbSession, actor: Actor | None, action: str, obj_type: str, obj_id: int, *,
           before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
           event_id: int | None = None, session_id: int | None = None,
           now: datetime | None = None) -> None:
    """Add one entry in the caller's transaction (it is kept exactly when the change is), at
    once, with a Core INSERT (the ORM's flush of it was a tenth of a phone registration; no
    one reads the entry back in the same transaction, so nothing is returned or kept in the
    session either: that was another 130 µs of a confirm)."""
    db.execute(_INSERT, entry(actor, action, obj_type, obj_id, before=before, after=after,
                              event_id=event_id, session_id=session_id, now=now))


def entry(actor: Actor | None, action: str, obj_type: str, obj_id: int | None, *,
          before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
          event_id: int | None = None, session_id: int | None = None,
          now: datetime | None = None) -> dict[str, Any]:
    """An entry's row (``record`` adds it; a statement that makes the object in the same round
    trip adds it with the new id). With both ``before`` and ``after``, only the fields whose
    value changed are kept."""
    who = actor or SYSTEM
    old = {k: value(v) for k, v in (before or {}).items()}
    new = {k: value(v) for k, v in (after or {}).items()}
    if before is not None and after is not None:
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        old = {k: v for k, v in old.items() if k in changed}
        new = {k: v for k, v in new.items() if k in changed}
    return dict(at=now or utcnow(), channel=who.channel, user_id=who.user_id,
                actor=who.label[:200], action=action[:40], object_type=obj_type, object_id=obj_id,
                event_id=event_id, session_id=session_id, before=old, after=new)


@dataclass(frozen=True)
class Filter:
    """The staff list's filters (each optional)."""

    object_type: str = ""
    channel: str = ""
    actor: str = ""  # part of a login's e-mail
    action: str = ""  # part of an action's name
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt: Select[Any], f: Filter) -> Select[Any]:
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.channel:
        stmt = stmt.where(AuditEntry.channel == f.channel)
    if f.actor:
        stmt = stmt.where(AuditEntry.actor.ilike(f"%{f.actor}%"))
    if f.action:
        stmt = stmt.where(AuditEntry.action.ilike(f"%{f.action}%"))
    if f.since is not None:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt


def search(db: DbSession, f: Filter, *, page: int = 1,
           per_page: int = 50) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, and how many there are in all."""
    total = db.scalar(_filtered(select(func.count()).select_from(AuditEntry), f)) or 0
    rows = db.scalars(_filtered(select(AuditEntry), f)
                      .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                      .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total)


def for_object(db: DbSession, *, event_id: int | None = None, session_id: int | None = None,
               obj: tuple[str, int] | None = None, limit: int = 50) -> list[AuditEntry]:
    """The entries an object's page shows: an event's (with its sessions' and registrations'),
    a session's (with its registrations'), or one object's own."""
    conds = []
    if event_id is not None:
        conds.append(AuditEntry.event_id == event_id)
    if session_id is not None:
        conds.append(AuditEntry.session_id == session_id)
    if obj is not None:
        conds.append((AuditEntry.object_type == obj[0]) & (AuditEntry.object_id == obj[1]))
    if not conds:
        return []
    return list(db.scalars(select(AuditEntry).where(or_(*conds))
                           .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
