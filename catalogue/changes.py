"""A counter that moves whenever the programme changes, so every process can tell, with one tiny
query, that its in-memory copy of the programme is out of date.

Any ORM flush that adds, changes or deletes an event, a session (other than its place count), a
provider, a city, a recording's audio, an audio description or a room's end bumps it in the same transaction; so do the catalogue's services, the admin and
importers alike, with nothing to remember. After the commit, this process drops its copies at
once (``local_generation``); other processes see the new number within their recheck interval.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Integer, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .database import Base

# Session columns that move with registrations and say nothing about the programme itself.
_COUNTING = frozenset({"confirmed_count"})
_generation = 0
_lock = threading.Lock()


class CatalogueChange(Base):
    __tablename__ = "catalogue_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def local_generation() -> int:
    """Moves on every commit in this process that changed the programme."""
    return _generation


def current_version(db: Session) -> int:
    return db.scalar(select(CatalogueChange.version).where(CatalogueChange.id == 1)) or 0


def _programme_row(obj: Any, changed_only: bool) -> bool:
    from .models import AudioDescription, City, Event, LiveRoom, Provider, SessionAudio
    from .models import Session as ProgrammeSession

    # A recording's audio decides whether the phone offers it (``catalogue.listening``); an
    # approved description is what "hear more" plays (``catalogue.descriptions.described``).
    if isinstance(obj, (Event, Provider, City, SessionAudio, AudioDescription)):
        return True
    # An ended room takes "2 take part now" out of the item (held in ``programme_cache``).
    if isinstance(obj, LiveRoom):
        return (obj.ended_at is not None if not changed_only
                else inspect(obj).attrs.ended_at.history.has_changes())
    if isinstance(obj, ProgrammeSession):
        if not changed_only:
            return True
        changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        return bool(changed - _COUNTING)
    return False


@event.listens_for(Session, "before_flush")
def _note_programme_change(db: Session, _ctx: Any, _instances: Any) -> None:
    if (any(_programme_row(o, False) for o in (*db.new, *db.deleted))
            or any(_programme_row(o, True) for o in db.dirty)):
        db.info["programme_changed"] = True


@event.listens_for(Session, "after_flush")
def _bump(db: Session, _ctx: Any) -> None:
    if not db.info.get("programme_changed") or db.info.get("programme_bumped"):
        return
    # One statement on both databases, safe when two writers meet on an empty table.
    db.connection().execute(text(
        "INSERT INTO catalogue_change (id, version) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET version = catalogue_change.version + 1"))
    db.info["programme_bumped"] = True


@event.listens_for(Session, "after_commit")
def _committed(db: Session) -> None:
    global _generation
    if db.info.pop("programme_changed", False):
        with _lock:
            _generation += 1
    db.info.pop("programme_bumped", None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(db: Session) -> None:
    db.info.pop("programme_changed", None)
    db.info.pop("programme_bumped", None)
