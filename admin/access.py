"""Who may see what. Deny by default: every admin URL needs a login except the few listed here;
a provider's view of events is always filtered by its ``provider_id``, so a guessed id of
another provider's event is simply not found (404, not 403: existence is not revealed)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from catalogue.db import get_db
from catalogue.models import AudioDescription, Event, Session, User

PUBLIC_ENDPOINTS = {"admin.login", "admin.static", "admin.set_language"}
F = TypeVar("F", bound=Callable[..., Any])


def user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def staff_only(view: F) -> F:
    """Registrations (callers' personal data) and review decisions are for staff only."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not user().is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def events_query() -> Select[tuple[Event]]:
    stmt = select(Event)
    u = user()
    if not u.is_staff:
        stmt = stmt.where(Event.provider_id == u.provider_id)
    return stmt


def event_or_404(event_id: int) -> Event:
    event = get_db().scalar(events_query().where(Event.id == event_id))
    if event is None:
        abort(404)
    return event


def session_or_404(session_id: int) -> Session:
    stmt = (select(Session).join(Session.event).where(Session.id == session_id)
            .options(joinedload(Session.event)))
    u = user()
    if not u.is_staff:
        stmt = stmt.where(Event.provider_id == u.provider_id)
    found = get_db().scalar(stmt)
    if found is None:
        abort(404)
    return found


def recordings_query() -> Select[tuple[AudioDescription]]:
    stmt = select(AudioDescription)
    u = user()
    if not u.is_staff:
        stmt = stmt.where(AudioDescription.provider_id == u.provider_id)
    return stmt


def recording_or_404(rec_id: int) -> AudioDescription:
    found = get_db().scalar(recordings_query().where(AudioDescription.id == rec_id))
    if found is None:
        abort(404)
    return found
