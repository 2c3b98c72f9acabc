"""The week at a glance, the staff's daily desk: every session of a week (this week unless
another is chosen), day by day, with how to take part, filled places and the waiting list, and
search and filters. A session that has ended offers no change (``schedule.is_over``)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from catalogue.db import get_db
from catalogue.models import Event, Registration, RegistrationStatus, Session, SessionStatus
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc
from . import access
from .listing import FilterForm, filter_form, filtered, query_string, value, week_from_args

STATUSES = [(s.value, f"status.{s.value}") for s in SessionStatus]


def waiting_counts(db: DbSession, session_ids: list[int]) -> dict[int, int]:
    """People on each session's waiting list (its filled places are ``confirmed_count``)."""
    if not session_ids:
        return {}
    rows = db.execute(select(Registration.session_id, func.count())
                      .where(Registration.session_id.in_(session_ids),
                             Registration.status == RegistrationStatus.WAITING)
                      .group_by(Registration.session_id)).all()
    return {sid: n for sid, n in rows}


def week_sessions(db: DbSession, monday: date, form: FilterForm) -> list[Session]:
    start = to_utc(datetime.combine(monday, time(0), LOCAL_TZ))
    end = to_utc(datetime.combine(monday + timedelta(days=7), time(0), LOCAL_TZ))
    stmt = (select(Session).join(Session.event)
            .where(Session.starts_at >= start, Session.starts_at < end)
            .options(joinedload(Session.event).joinedload(Event.provider),
                     joinedload(Session.event).joinedload(Event.city))
            .order_by(Session.starts_at, Session.id))
    stmt = filtered(access.own_only(stmt), form)
    status = value(form, "status")
    if status:
        stmt = stmt.where(Session.status == SessionStatus(status))
    return list(db.scalars(stmt).unique())


def week() -> str:
    db = get_db()
    monday = week_from_args()
    form = filter_form(("q", "city", "provider", "kind", "status"), STATUSES)
    sessions = week_sessions(db, monday, form)
    days: list[tuple[date, list[Session]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    for s in sessions:
        days[to_local(s.starts_at).weekday()][1].append(s)
    return render_template(
        "admin/week.html", form=form, days=days, monday=monday, total=len(sessions),
        waiting=waiting_counts(db, [s.id for s in sessions]), SessionStatus=SessionStatus,
        prev_q=query_string(form, week=(monday - timedelta(days=7)).isoformat()),
        next_q=query_string(form, week=(monday + timedelta(days=7)).isoformat()),
        this_q=query_string(form), week_q=query_string(form, week=monday.isoformat()))
