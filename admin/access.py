"""Who may see what. Deny by default: every admin URL needs a login except the few listed here;
a provider's view of events is always filtered by its ``provider_id``, so a guessed id of
another provider's event is simply not found (404, not 403: existence is not revealed)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, TypeVarTuple, Unpack, cast

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from catalogue.audit import Actor
from catalogue.db import get_db
from catalogue.models import AudioDescription, Event, Session, User

from .forms import ConfirmForm

PUBLIC_ENDPOINTS = {"admin.login", "admin.static", "admin.set_language", "admin.reset_password"}
F = TypeVar("F", bound=Callable[..., Any])
Ts = TypeVarTuple("Ts")


def user() -> User:
    return cast(User, current_user._get_current_object())


def actor() -> Actor:
    """The logged-in user, as the audit log names who made a change."""
    u = user()
    return Actor("admin", u.id, u.email)


def staff_only(view: F) -> F:
    """Registrations (callers' personal data) and review decisions are for staff only."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not user().is_staff:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def own_provider_id() -> int | None:
    """None for staff (they see everything); else the one provider whose rows may be seen
    (0, which matches nothing, for a provider login without a provider). The one place that
    rule is written."""
    u = user()
    return None if u.is_staff else (u.provider_id or 0)


def own_only(stmt: Select[Unpack[Ts]],
             provider_id: InstrumentedAttribute[int] = Event.provider_id) -> Select[Unpack[Ts]]:
    """Only the rows whose ``provider_id`` (by default the event's, which the statement must
    join) the user may see."""
    own = own_provider_id()
    return stmt if own is None else stmt.where(provider_id == own)


def events_query() -> Select[Event]:
    return own_only(select(Event))


def event_or_404(event_id: int) -> Event:
    event = get_db().scalar(events_query().where(Event.id == event_id))
    if event is None:
        abort(404)
    return event


def session_or_404(session_id: int) -> Session:
    stmt = (select(Session).join(Session.event).where(Session.id == session_id)
            .options(joinedload(Session.event)))
    found = get_db().scalar(own_only(stmt))
    if found is None:
        abort(404)
    return found


M = TypeVar("M")


def posted_row(model: type[M], row_id: int) -> M:
    """A one-button POST's row: 400 without a valid CSRF token, 404 for no such row."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    found = get_db().get(model, row_id)
    if found is None:
        abort(404)
    return found


def recordings_query() -> Select[AudioDescription]:
    return own_only(select(AudioDescription), AudioDescription.provider_id)


def recording_or_404(rec_id: int) -> AudioDescription:
    found = get_db().scalar(recordings_query().where(AudioDescription.id == rec_id))
    if found is None:
        abort(404)
    return found
