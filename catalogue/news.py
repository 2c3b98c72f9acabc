"""What is still to be told to a person — a place that came free, a session cancelled or
moved — and its clearing once they heard it: in their own next call (``ivr_flows.news``), in
the call we make (``outbound.heard``), or from staff. Whichever reaches them first tells it."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session as DbSession, contains_eager, joinedload

from . import audit
from .database import reading_alone
from .models import ACTIVE, CallStatus, OutboundCall, Registration, Session
from .outbound import NEWS, log_told, news_valid


_NEWS_FOR_ALL = (select(Registration).join(Session, Registration.session_id == Session.id)
                 .where(Registration.status.in_(ACTIVE),
                        Registration.notify_pending.in_(list(NEWS)),
                        Session.ends_at > bindparam("now"))
                 .order_by(Session.starts_at, Registration.id)
                 .options(contains_eager(Registration.session).joinedload(Session.event),
                          joinedload(Registration.caller)))
# Built once: asked at the start of nearly every call, and empty for nearly every caller.
_NEWS_FOR_ONE = _NEWS_FOR_ALL.where(Registration.caller_id == bindparam("caller_id"))
# So first a look on the table for any mark on the caller's rows (a fraction of the eager
# query's cost even when that finds nothing); only then does the query above decide.
_T = cast("Table", Registration.__table__)


def any_marked(caller_id: Any) -> Any:
    """Whether any of the person's rows is marked to be told (``caller_id``: a column or a
    parameter): asked on its own here, and inside the call's first read
    (``call_records.look_up``), which then needs no statement of this."""
    return exists().where(_T.c.caller_id == caller_id, _T.c.notify_pending.is_not(None))


_ANY_FOR_ONE = select(any_marked(bindparam("caller_id")))


def news_for(db: DbSession, caller_id: int | None, now: datetime, *,
             marked: bool | None = None) -> list[Registration]:
    """What is still to be told to this person (said at the start of their own next call);
    with ``caller_id`` None, to everyone (the staff's list of people to be told). ``marked``:
    whether ``any_marked`` was so in this call's first read (None: not asked yet)."""
    if caller_id is None:
        found = db.scalars(_NEWS_FOR_ALL, {"now": now})
    else:
        if marked is None:
            with reading_alone(db) as conn:  # on PostgreSQL, no BEGIN or COMMIT
                marked = bool(conn.scalar(_ANY_FOR_ONE, {"caller_id": caller_id}))
        if not marked:
            return []
        found = db.scalars(_NEWS_FOR_ONE, {"now": now, "caller_id": caller_id})
    return [r for r in found if news_valid(r, r.session)]


def told(db: DbSession, regs: list[Registration], now: datetime,
         actor: audit.Actor | None = audit.PHONE, how: str = "own_call") -> None:
    """The person heard it in their own call (or staff told them: ``actor`` is the login,
    ``how`` "staff"): clear the marks, and no call is placed for it."""
    for reg in regs:
        kind = NEWS.get(reg.notify_pending or "")
        if kind is not None:
            log_told(db, actor, reg, now, how)
            reg.notify_pending = None
            db.execute(update(OutboundCall)
                       .where(OutboundCall.registration_id == reg.id, OutboundCall.kind == kind,
                              OutboundCall.status == CallStatus.DUE)
                       .values(status=CallStatus.SKIPPED, last_result="told", done_at=now)
                       .execution_options(synchronize_session=False))
