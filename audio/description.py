"""Providers' descriptions as callers hear them: only an approved recording ever plays.

The rows and their rules are ``catalogue.descriptions``'s; here are the files and the segment."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy.orm import Session as DbSession

from catalogue.descriptions import approved_description, create_description, review
from catalogue.models import AudioDescription, Event
from ivr_flows.reply import Segment

if TYPE_CHECKING:
    from .storage import AudioStorage

__all__ = ["add_upload", "approved_description", "description_for", "review"]


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
    return create_description(db, event, lang, stored.name, stored.duration,
                              AudioDescription.Source.UPLOAD)
