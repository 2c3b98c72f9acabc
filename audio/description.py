"""Providers' descriptions as callers hear them: only an approved recording ever plays."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from catalogue.models import AudioDescription, Event
from catalogue.timeutil import utcnow
from ivr_flows.reply import Segment

if TYPE_CHECKING:
    from .storage import AudioStorage

Status = AudioDescription.Status


def approved_description(db: DbSession, event_id: int, lang: str) -> AudioDescription | None:
    """The newest approved description of the event in ``lang`` (pending and rejected never)."""
    return db.scalar(
        select(AudioDescription)
        .where(AudioDescription.event_id == event_id, AudioDescription.lang == lang,
               AudioDescription.status == Status.APPROVED)
        .order_by(AudioDescription.reviewed_at.desc(), AudioDescription.id.desc())
        .limit(1)
    )


def description_for(db: DbSession, event: Event, lang: str) -> Segment | None:
    """"Hear more" in the provider's own voice, or None to fall back to synthesised text.

    The segment's text is what the recording says as far as we know (its transcript, else the
    written description), so the simulator and logs can still show something readable.
    """
    desc = approved_description(db, event.id, lang)
    if desc is None:
        return None
    text = desc.transcript or event.text("description", lang) or event.text("title", lang)
    return Segment(text=text, lang=lang, audio_path=desc.storage_path)


def add_upload(db: DbSession, storage: AudioStorage, event: Event, lang: str,
               upload: BinaryIO | bytes | Path) -> AudioDescription:
    """For the admin: validate and store an uploaded file as a description awaiting review.
    Raises ``audio.upload.UploadError`` (with ``message`` per language) for a bad file."""
    from .upload import accept_upload

    stored = accept_upload(storage, upload)
    desc = AudioDescription(event_id=event.id, provider_id=event.provider_id, lang=lang,
                            storage_path=stored.name, duration_seconds=max(1, round(stored.duration)),
                            status=Status.AWAITING_REVIEW, source=AudioDescription.Source.UPLOAD)
    db.add(desc)
    db.flush()
    return desc


def review(db: DbSession, desc: AudioDescription, *, approve: bool, reason: str | None = None,
           now: datetime | None = None) -> None:
    """Staff's decision. Approving one description of an event and language retires the one
    approved before it, so "hear more" always has exactly one voice."""
    desc.status = Status.APPROVED if approve else Status.REJECTED
    desc.review_reason = reason
    desc.reviewed_at = now or utcnow()
    if approve:
        db.execute(
            update(AudioDescription)
            .where(AudioDescription.event_id == desc.event_id, AudioDescription.lang == desc.lang,
                   AudioDescription.status == Status.APPROVED, AudioDescription.id != desc.id)
            .values(status=Status.REJECTED, review_reason="replaced by a newer description"))
    db.flush()
