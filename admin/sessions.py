"""One session: edit, cancel and move. Cancelling or moving asks first, saying how many people
are registered; each of them is then marked to be told (``Registration.notify_pending``).
Moving asks whether the registration window moves too. A session that has ended is history:
none of these is offered, and a request for one is refused with a page that says why."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from catalogue import schedule
from catalogue.db import get_db
from catalogue.models import Session, SessionKind, SessionStatus
from catalogue.timeutil import to_local, to_utc, utcnow
from . import access
from .forms import ConfirmForm, EditSessionForm, MoveSessionForm, validated
from .i18n import t, tn


def changeable_or_refused(session_id: int) -> Session:
    """A scheduled session that has not ended; else the request stops here (409): an ended one
    with a page saying it is over and can no longer be changed."""
    session = access.session_or_404(session_id)
    if session.status != SessionStatus.SCHEDULED:
        abort(409)
    if schedule.is_over(session, utcnow()):
        abort(Response(render_template("admin/error.html", title=t("session.over_title"),
                                       message=t("session.over")), 409))
    return session


def _local(value: datetime | None) -> datetime | None:
    return to_local(value).replace(tzinfo=None) if value else None


def edit_session(session_id: int) -> str | Response:
    session = changeable_or_refused(session_id)
    db = get_db()
    form = EditSessionForm(obj=session)
    form.event_has_city = session.event.city_id is not None
    form.starts_local = _local(session.starts_at)
    form.confirmed_now = schedule.count_active(db, session)["confirmed"]
    if not form.is_submitted():
        form.minutes.data = session.length_minutes
        form.kind.data = session.kind.value
        form.registration_opens_at.data = _local(session.registration_opens_at)
        form.registration_closes_at.data = _local(session.registration_closes_at)
    if form.validate_on_submit():
        # More places move the waiting list up (each promoted person is marked to be told).
        schedule.edit_session(
            db, session, minutes=validated(form.minutes.data), kind=SessionKind(form.kind.data),
            capacity=form.capacity.data,
            opens_at=to_utc(form.registration_opens_at.data) if form.registration_opens_at.data else None,
            closes_at=to_utc(form.registration_closes_at.data) if form.registration_closes_at.data else None,
            now=utcnow(), may_be_recorded=bool(form.may_be_recorded.data), actor=access.actor())
        flash(t("session.saved"), "success")
        return redirect(url_for("admin.show_event", event_id=session.event_id))
    return render_template("admin/session_form.html", form=form, event=session.event,
                           session=session)


def cancel_session(session_id: int) -> str | Response:
    session = changeable_or_refused(session_id)
    db = get_db()
    form = ConfirmForm()
    if form.validate_on_submit():
        told = schedule.cancel_session(db, session, actor=access.actor(), now=utcnow())
        flash(tn("session.cancelled", told), "success")
        return redirect(url_for("admin.show_event", event_id=session.event_id))
    return render_template("admin/session_cancel.html", form=form, session=session,
                           counts=schedule.count_active(db, session))


def move_session(session_id: int) -> str | Response:
    session = changeable_or_refused(session_id)
    db = get_db()
    counts = schedule.count_active(db, session)
    form = MoveSessionForm()
    form.now_local = to_local(utcnow()).replace(tzinfo=None)
    form.old_start = _local(session.starts_at)
    form.window_local = (_local(session.registration_opens_at), _local(session.registration_closes_at))
    has_window = any(form.window_local)
    if not form.is_submitted():
        form.starts_at.data = form.old_start
        form.minutes.data = session.length_minutes
    page = {"form": form, "session": session, "counts": counts, "has_window": has_window}
    if form.validate_on_submit():
        if counts["total"] and form.confirm.data != "yes":
            form.confirm.data = "yes"
            return render_template("admin/session_move_confirm.html",
                                   new_start=to_utc(validated(form.starts_at.data)), **page)
        new, told = schedule.move_session(db, session, new_start_local=validated(form.starts_at.data),
                                          minutes=validated(form.minutes.data),
                                          move_window=form.window.data != "keep", now=utcnow(),
                                          actor=access.actor())
        flash(tn("session.moved", told), "success")
        return redirect(url_for("admin.show_event", event_id=new.event_id))
    return render_template("admin/session_move.html", **page)
