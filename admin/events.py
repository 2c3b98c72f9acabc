"""Events: list, create, edit, and adding (weekly repeating) sessions to one."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from catalogue import audit, schedule
from catalogue.db import get_db
from catalogue.importers.upsert import OWNED_FIELDS
from catalogue.models import City, Event, ImportSource, Provider, Session, SessionKind, SessionStatus
from catalogue.timeutil import to_local, utcnow
from . import access
from .forms import EventForm, NewSessionForm, choices, validated
from .i18n import current_lang, t, tn
from .listing import filter_form, filtered, paginate, provider_options


def _event_form(event: Event | None = None) -> EventForm:
    db = get_db()
    form = EventForm(obj=event)
    u = access.user()
    if u.is_staff:
        form.provider_id.choices = choices(provider_options())
    else:
        own = db.get(Provider, u.provider_id)
        form.provider_id.choices = choices([(own.id, own.name)] if own else [])
        form.provider_id.data = u.provider_id  # whatever was posted: a provider's own only
    cities = db.scalars(select(City).order_by(City.name_fi)).all()
    lang = current_lang()
    form.city_id.choices = choices([(0, t("event.by_phone"))] + [(c.id, c.name(lang)) for c in cities])
    if event is not None and not form.is_submitted():
        form.city_id.data = event.city_id or 0
    if event is not None and event.imported and form.is_submitted():
        # The source owns these: whatever was posted, they stay as imported.
        for name in OWNED_FIELDS:
            getattr(form, name).data = getattr(event, name) or (0 if name == "city_id" else None)
    return form


def _values(form: EventForm) -> dict[str, object]:
    values: dict[str, object] = {name: (getattr(form, name).data or "").strip()
                                 for name in EventForm.TEXT_FIELDS}
    values["city_id"] = form.city_id.data or None
    values["provider_id"] = form.provider_id.data
    return values


def list_events() -> str:
    db = get_db()
    now = utcnow()
    form = filter_form(("q", "city", "provider"))
    stmt = filtered(access.events_query(), form).order_by(Event.title_fi, Event.id)
    page = paginate(db, stmt)
    events = page.items
    next_start = dict(db.execute(
        select(Session.event_id, func.min(Session.starts_at))
        .where(Session.event_id.in_([e.id for e in events]), Session.ends_at > now,
               Session.status == SessionStatus.SCHEDULED)
        .group_by(Session.event_id)).all())
    return render_template("admin/events.html", events=events, next_start=next_start,
                           form=form, page=page)


def new_event() -> str | Response:
    form = _event_form()
    if form.validate_on_submit():
        event = Event(code="000", **_values(form))
        schedule.add_event(get_db(), event, actor=access.actor())
        flash(t("event.created", code=event.code), "success")
        return redirect(url_for("admin.new_session", event_id=event.id))
    return render_template("admin/event_form.html", form=form, event=None)


def edit_event(event_id: int) -> str | Response:
    event = access.event_or_404(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        values = _values(form)
        if event.imported:
            values = {k: v for k, v in values.items() if k not in OWNED_FIELDS}
        schedule.edit_event(get_db(), event, values, actor=access.actor())
        flash(t("event.saved"), "success")
        return redirect(url_for("admin.show_event", event_id=event.id))
    source = get_db().get(ImportSource, event.source_id) if event.source_id else None
    return render_template("admin/event_form.html", form=form, event=event,
                           event_source=source.name if source else "")


def show_event(event_id: int) -> str:
    event = access.event_or_404(event_id)
    db = get_db()
    page = paginate(db, select(Session).where(Session.event_id == event.id)
                    .order_by(Session.starts_at, Session.id))
    counts = {s.id: schedule.count_active(db, s) for s in page.items}
    log = audit.for_object(db, event_id=event.id) if access.user().is_staff else None
    return render_template("admin/event.html", event=event, sessions=page.items, page=page,
                           counts=counts, now=utcnow(), SessionStatus=SessionStatus, log=log)


def new_session(event_id: int) -> str | Response:
    event = access.event_or_404(event_id)
    form = NewSessionForm()
    form.event_has_city = event.city_id is not None
    form.now_local = to_local(utcnow()).replace(tzinfo=None)
    if not form.is_submitted():
        form.kind.data = (SessionKind.IN_PERSON if event.city_id else SessionKind.PHONE).value
    if form.validate_on_submit():
        created = schedule.add_sessions(
            get_db(), event, first_local=validated(form.starts_at.data), minutes=validated(form.minutes.data),
            kind=SessionKind(form.kind.data), capacity=form.capacity.data,
            opens_local=form.registration_opens_at.data,
            closes_local=form.registration_closes_at.data, weeks=validated(form.repeat_weeks.data),
            may_be_recorded=bool(form.may_be_recorded.data), actor=access.actor())
        flash(tn("session.created", len(created)), "success")
        return redirect(url_for("admin.show_event", event_id=event.id))
    return render_template("admin/session_form.html", form=form, event=event, session=None)
