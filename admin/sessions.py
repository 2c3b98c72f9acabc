"""One session: edit, cancel and move. Cancelling or moving asks first, saying how many people
are registered; each of them is then marked to be told (``Registration.notify_pending``)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from catalogue import schedule
from catalogue.db import get_db
from catalogue.models import SessionKind, SessionStatus
from catalogue.timeutil import to_local, to_utc, utcnow
from . import access
from .forms import ConfirmForm, EditSessionForm, MoveSessionForm, validated
from .i18n import t, tn


def edit_session(session_id: int) -> str | Response:
    session = access.session_or_404(session_id)
    if session.status != SessionStatus.SCHEDULED:
        abort(409)
    db = get_db()
    form = EditSessionForm(obj=session)
    form.event_has_city = session.event.city_id is not None
    form.starts_local = to_local(session.starts_at).replace(tzinfo=None)
    form.confirmed_now = schedule.count_active(db, session)["confirmed"]
    if not form.is_submitted():
        form.minutes.data = session.length_minutes
        form.kind.data = session.kind.value
        form.registration_opens_at.data = (to_local(session.registration_opens_at).replace(tzinfo=None)
                                           if session.registration_opens_at else None)
        form.registration_closes_at.data = (to_local(session.registration_closes_at).replace(tzinfo=None)
                                            if session.registration_closes_at else None)
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
    session = access.session_or_404(session_id)
    if session.status != SessionStatus.SCHEDULED:
        abort(409)
    db = get_db()
    form = ConfirmForm()
    if form.validate_on_submit():
        told = schedule.cancel_session(db, session, actor=access.actor())
        flash(tn("session.cancelled", told), "success")
        return redirect(url_for("admin.show_event", event_id=session.event_id))
    return render_template("admin/session_cancel.html", form=form, session=session,
                           counts=schedule.count_active(db, session))


def move_session(session_id: int) -> str | Response:
    session = access.session_or_404(session_id)
    if session.status != SessionStatus.SCHEDULED:
        abort(409)
    db = get_db()
    counts = schedule.count_active(db, session)
    form = MoveSessionForm()
    form.now_local = to_local(utcnow()).replace(tzinfo=None)
    if not form.is_submitted():
        form.starts_at.data = to_local(session.starts_at).replace(tzinfo=None)
        form.minutes.data = session.length_minutes
    if form.validate_on_submit():
        if counts["total"] and form.confirm.data != "yes":
            form.confirm.data = "yes"
            return render_template("admin/session_move_confirm.html", form=form,
                                   session=session, counts=counts,
                                   new_start=to_utc(validated(form.starts_at.data)))
        new, told = schedule.move_session(db, session, new_start_local=validated(form.starts_at.data),
                                          minutes=validated(form.minutes.data),
                                          actor=access.actor())
        flash(tn("session.moved", told), "success")
        return redirect(url_for("admin.show_event", event_id=new.event_id))
    return render_template("admin/session_move.html", form=form, session=session, counts=counts)
