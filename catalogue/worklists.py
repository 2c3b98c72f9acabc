"""Staff's daily worklists, read from the rows the phone leaves behind: call-back requests,
people to be told of a change, recordings to review and locked provider PINs — each with the
count the admin's navigation shows. The same queries give the lists and the counts, so they
cannot disagree. Marking a call-back done is here too (the request is the phone's row)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from . import audit, outbound, pins
from .news import news_for
from .models import (AudioDescription, CallbackRequest, OutboundCall, Provider, Registration,
                     Session, SessionAudio)


def callbacks(db: DbSession) -> list[CallbackRequest]:
    """Open call-back requests, oldest first."""
    return list(db.scalars(
        select(CallbackRequest).where(CallbackRequest.done_at.is_(None))
        .options(joinedload(CallbackRequest.caller),
                 joinedload(CallbackRequest.session).joinedload(Session.event))
        .order_by(CallbackRequest.created_at, CallbackRequest.id)))


def callback_done(db: DbSession, request: CallbackRequest, note: str | None,
                  actor: audit.Actor | None, now: datetime) -> bool:
    """Staff called the person back; ``note`` says what came of it. Done twice is harmless
    (False). The note stays with the request (purged with it), not in the log."""
    if request.done_at is not None:
        return False
    request.done_at = now
    request.note = (note or "").strip() or None
    audit.record(db, actor, "callback.done", "callback", request.id, now=now,
                 before={"done": False}, after={"done": True, "note": request.note is not None},
                 session_id=request.session_id)
    return True


def to_be_told(db: DbSession, now: datetime) -> list[Registration]:
    """Everyone still to be told of a change, across sessions (the same rule as the calls)."""
    return news_for(db, None, now)


def last_calls(db: DbSession, regs: list[Registration]) -> dict[int, OutboundCall]:
    """The newest call we made (or plan) about each registration's news."""
    out: dict[int, OutboundCall] = {}
    news = {r.id: outbound.NEWS.get(r.notify_pending or "") for r in regs}
    if news:
        for call in db.scalars(select(OutboundCall).where(OutboundCall.registration_id.in_(news))
                               .order_by(OutboundCall.created_at, OutboundCall.id)):
            if news[call.registration_id] == call.kind:
                out[call.registration_id] = call
    return out


@dataclass(frozen=True)
class ToReview:
    descriptions: list[AudioDescription]
    session_audio: list[SessionAudio]

    def __len__(self) -> int:
        return len(self.descriptions) + len(self.session_audio)


def to_review(db: DbSession) -> ToReview:
    """Providers' descriptions and recording sessions' audio waiting for staff, oldest first."""
    descs = db.scalars(select(AudioDescription)
                       .where(AudioDescription.status == AudioDescription.Status.AWAITING_REVIEW)
                       .options(joinedload(AudioDescription.event))
                       .order_by(AudioDescription.created_at, AudioDescription.id))
    audio = db.scalars(select(SessionAudio)
                       .where(SessionAudio.status == SessionAudio.Status.PENDING)
                       .order_by(SessionAudio.created_at, SessionAudio.id))
    return ToReview(list(descs), list(audio))


def locked_pins(db: DbSession, now: datetime) -> list[Provider]:
    return pins.locked_providers(db, now)


def counts(db: DbSession, now: datetime) -> dict[str, int]:
    """How many each worklist holds (the navigation's numbers)."""
    return {"callbacks": len(callbacks(db)), "told": len(to_be_told(db, now)),
            "review": len(to_review(db)), "pins": len(locked_pins(db, now))}
