"""The overview: calls per day, menu choices reached, registrations and attendance per
session. Staff see everything; a provider sees the registrations chart of its own sessions
only (calls are not a provider's business)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.db import get_db
from catalogue.models import CallLog, MenuVisit, Registration, RegistrationStatus, Session, SessionStatus
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from . import access, worklists
from .charts import bar_chart, column_chart
from .formats import local_dt
from .i18n import has, t, tn

DAYS = 30


def calls_per_day(db: DbSession, today: date, days: int = DAYS) -> list[tuple[date, int]]:
    """Counted by Helsinki day (a call at 01:00 local time belongs to that day, not to
    yesterday's UTC date)."""
    first = today - timedelta(days=days - 1)
    since = to_utc(datetime.combine(first, time(0), LOCAL_TZ))
    counts = {first + timedelta(days=i): 0 for i in range(days)}
    for (started,) in db.execute(select(CallLog.started_at).where(CallLog.started_at >= since)):
        day = to_local(started).date()
        if day in counts:
            counts[day] += 1
    return sorted(counts.items())


def menu_counts(db: DbSession, since: datetime) -> list[tuple[str, int]]:
    rows = db.execute(select(MenuVisit.node, func.count()).where(MenuVisit.at >= since)
                      .group_by(MenuVisit.node).order_by(func.count().desc())).all()
    return [(node, n) for node, n in rows]


def session_counts(db: DbSession, since: datetime,
                   until: datetime) -> list[tuple[Session, int, int, int]]:
    """(session, confirmed, waiting, attended) for sessions starting in the window."""
    stmt = (select(Session).join(Session.event)
            .where(Session.starts_at >= since, Session.starts_at < until,
                   Session.status != SessionStatus.MOVED)
            .order_by(Session.starts_at))
    sessions = list(db.scalars(access.own_only(stmt)))
    ids = [s.id for s in sessions]
    agg = {sid: (c, w, a) for sid, c, w, a in db.execute(
        select(Registration.session_id,
               func.count().filter(Registration.status == RegistrationStatus.CONFIRMED),
               func.count().filter(Registration.status == RegistrationStatus.WAITING),
               func.count().filter(Registration.attended.is_(True)))
        .where(Registration.session_id.in_(ids)).group_by(Registration.session_id))}
    return [(s, *agg.get(s.id, (0, 0, 0))) for s in sessions]


def node_name(node: str) -> str:
    """A menu's name for people ("Viikon ohjelma"), or its code when it has none yet."""
    return t(f"node.{node}") if has(f"node.{node}") else node


def index() -> str:
    db = get_db()
    now = utcnow()
    today = to_local(now).date()
    u = access.user()
    ctx: dict[str, object] = {"days": DAYS}
    if u.is_staff:
        ctx.update(worklists.context(db, now))
        per_day = calls_per_day(db, today)
        ctx["calls"] = per_day
        ctx["calls_total"] = sum(n for _, n in per_day)
        ctx["calls_chart"] = column_chart(
            [local_dt(d, "daymonth") for d, _ in per_day], [n for _, n in per_day],
            title=t("overview.calls_title"), desc=tn("overview.calls_desc", DAYS), every=3)
        menus = menu_counts(db, now - timedelta(days=DAYS))
        ctx["menus"] = menus
        ctx["menus_chart"] = bar_chart([(node_name(n), [c]) for n, c in menus], [t("overview.visits")],
                                       title=t("overview.menus_title"),
                                       desc=tn("overview.menus_desc", DAYS))
    # Only sessions someone registered for: a chart of zeros says nothing.
    sessions = [row for row in session_counts(db, now - timedelta(days=14), now + timedelta(days=14))
                if row[1] or row[2]]
    ctx["sessions"] = sessions
    series = [t("reg.confirmed"), t("reg.waiting"), t("reg.attended")]
    ctx["sessions_chart"] = bar_chart(
        [(f"{local_dt(s.starts_at, 'short')} {s.event.title_fi}", [c, w, a])
         for s, c, w, a in sessions], series,
        title=t("overview.sessions_title"), desc=t("overview.sessions_desc"))
    return render_template("admin/overview.html", node_name=node_name, **ctx)
