"""A pooled PostgreSQL connection is pinged before use only when it has lain idle a while.

Why: SQLAlchemy's ``pool_pre_ping`` pings on every checkout, one round trip to the server
before every turn that touches the database (a sixth of a call's first webhook). A connection
given back a moment ago by another request — every one, under load — was alive then; one that
has lain idle longer may have been closed by a restart of the server or a firewall, and is
pinged as before. A dead one is thrown away and the pool hands out another (SQLAlchemy's own
"pessimistic" recipe: ``DisconnectionError`` raised in the ``checkout`` event), so the turn
never sees it. A server that goes away within ``idle_seconds`` of a connection's last use costs
that one turn the spoken apology, as any failure of the database during a turn does; the pool
then drops every connection older than the failure (SQLAlchemy invalidates the pool on a
disconnect).
"""
from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_SECONDS = 1.0  # a connection used more recently than this is not pinged
_USED = "lampio_used"  # in the pool record's info: when the connection was last given back


def install(engine: Engine, idle_seconds: float | None = None) -> None:
    """Ping on checkout only after ``idle_seconds`` unused (``IDLE_SECONDS`` unless given),
    instead of ``pool_pre_ping``'s ping on every checkout."""
    dialect = engine.dialect
    limit = IDLE_SECONDS if idle_seconds is None else idle_seconds

    @event.listens_for(engine, "checkin")
    def _given_back(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get(_USED)
        if used is None or time.monotonic() - used < limit:
            return  # just connected, or in use a moment ago
        record.info.pop(_USED, None)
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as exc:
            if dialect.is_disconnect(cast(Any, exc), dbapi_conn, None):  # a DB-API error
                raise DisconnectionError("the idle connection was closed") from exc
            raise
