"""Providers' recorded descriptions as rows: created (phone or upload), kept by the provider,
reviewed by staff, and the one approved per event and language that callers hear.

Only the database: storing, converting and deleting the files is ``audio``'s. Each write queues
``catalogue.signals.description_changed``, sent after the commit (the audio worker transcribes
what is new, and re-renders what callers hear).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from . import audit
from .models import AudioDescription, Event
from .signals import description_changed, send_after_commit
from .timeutil import utcnow

Status = AudioDescription.Status
Source = AudioDescription.Source


def _changed(db: DbSession, desc: AudioDescription) -> None:
    send_after_commit(db, description_changed, description_id=desc.id, event_id=desc.event_id)


def create_description(db: DbSession, event: Event, lang: str, storage_path: str,
                       duration: float, source: Source, *, provider_id: int | None = None,
                       now: datetime | None = None) -> AudioDescription:
    """A new description of ``event``. An upload awaits review at once; a phone recording is
    ``PENDING`` until the provider keeps it (``keep``). ``provider_id`` defaults to the
    event's provider."""
    desc = AudioDescription(
        event_id=event.id, provider_id=provider_id if provider_id is not None else event.provider_id,
        lang=lang, storage_path=storage_path, duration_seconds=max(1, round(duration)),
        status=Status.AWAITING_REVIEW if source == Source.UPLOAD else Status.PENDING,
        source=source, created_at=now or utcnow())
    db.add(desc)
    db.flush()
    _changed(db, desc)
    return desc


def keep(db: DbSession, desc: AudioDescription) -> None:
    """The provider heard it back and keeps it: staff may now review it."""
    desc.status = Status.AWAITING_REVIEW
    db.flush()
    _changed(db, desc)


def review(db: DbSession, desc: AudioDescription, *, approve: bool, reason: str | None = None,
           now: datetime | None = None, actor: audit.Actor | None = None) -> None:
    """Staff's decision. Approving one description of an event and language retires the one
    approved before it, so "hear more" always has exactly one voice."""
    before = audit.snapshot(desc, ("status", "review_reason"))
    desc.status = Status.APPROVED if approve else Status.REJECTED
    desc.review_reason = reason
    desc.reviewed_at = now or utcnow()
    audit.record(db, actor, "recording.review", "recording", desc.id, before=before,
                 after=audit.snapshot(desc, ("status", "review_reason")), event_id=desc.event_id)
    if approve:
        db.execute(
            update(AudioDescription)
            .where(AudioDescription.event_id == desc.event_id, AudioDescription.lang == desc.lang,
                   AudioDescription.status == Status.APPROVED, AudioDescription.id != desc.id)
            .values(status=Status.REJECTED, review_reason="replaced by a newer description"))
    db.flush()
    _changed(db, desc)


def described(db: DbSession) -> frozenset[tuple[int, str]]:
    """(event id, language) of every approved description: held with the programme in memory
    (a description's change is a programme change, ``catalogue.changes``), so "hear more"
    asks the database only where a recording exists."""
    return frozenset((e, lang) for e, lang in db.execute(
        select(AudioDescription.event_id, AudioDescription.lang)
        .where(AudioDescription.status == Status.APPROVED).distinct()))


def approved_description(db: DbSession, event_id: int, lang: str) -> AudioDescription | None:
    """The newest approved description of the event in ``lang`` (pending and rejected never)."""
    return db.scalar(
        select(AudioDescription)
        .where(AudioDescription.event_id == event_id, AudioDescription.lang == lang,
               AudioDescription.status == Status.APPROVED)
        .order_by(AudioDescription.reviewed_at.desc(), AudioDescription.id.desc())
        .limit(1)
    )
