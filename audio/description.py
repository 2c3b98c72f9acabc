"""Providers' descriptions as callers hear them: only an approved recording ever plays."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import AudioDescription, Event
from ivr_flows.reply import Segment

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
