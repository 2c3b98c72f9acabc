"""Login throttling: failed logins are counted per account and per client address
(Flask-Limiter); over the limit, even the right password is refused until the window ends.

Only failures count (``deduct_when``: the login answered 401), so staff who log in right are
never slowed down. The counters live in the database by default (``lampio+db://``, the table
``login_throttle``): Flask-Limiter's own default, ``memory://``, is per process, so with
``lampio serve``'s several workers (or several hosts) an attacker would get the limit once per
process; the database is already shared by all of them on SQLite and PostgreSQL alike, so no
new service is needed. ``RATELIMIT_STORAGE_URI`` may name another store Flask-Limiter knows
(``redis://host:6379``; ``memory://`` only for a single process). The address is
``request.remote_addr``: behind a proxy set ``PROXY_FIX_HOPS`` or every client is the proxy.
"""
from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Flask, render_template, request
from flask_limiter import Limiter, RequestLimit
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from catalogue.database import upsert_insert
from catalogue.db import get_engine
from catalogue.models import LoginThrottle
from .users import normalise_email

log = logging.getLogger(__name__)
DB_STORAGE = "lampio+db://"
ACCOUNT_LIMIT = "5 per 15 minutes"
ADDRESS_LIMIT = "20 per 15 minutes"
_T = LoginThrottle


class DatabaseStorage(Storage):
    """A fixed-window counter store for ``limits`` in the app's own database. Each increment is
    one atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on both SQLite and
    PostgreSQL), on a connection of its own so it is committed whatever the request does."""

    STORAGE_SCHEME = ["lampio+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = get_engine()
        stale = _T.expires_at <= now
        new = upsert_insert(engine, _T).values(key=key, hits=amount, expires_at=now + expiry)
        upsert = new.on_conflict_do_update(index_elements=[_T.key], set_={
            "hits": case((stale, amount), else_=_T.hits + amount),
            "expires_at": case((stale, now + expiry), else_=_T.expires_at),
        }).returning(_T.hits)
        with engine.begin() as conn:
            conn.execute(delete(_T).where(stale, _T.key != key))  # old windows
            return int(conn.execute(upsert).scalar_one())

    def get(self, key: str) -> int:
        with get_engine().connect() as conn:
            hits = conn.scalar(select(_T.hits).where(
                _T.key == key, _T.expires_at > time.time()))
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with get_engine().connect() as conn:
            expires = conn.scalar(select(_T.expires_at).where(_T.key == key))
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        with get_engine().connect() as conn:
            conn.scalar(select(func.count()).select_from(_T))
        return True

    def reset(self) -> int | None:
        with get_engine().begin() as conn:
            return conn.execute(delete(_T)).rowcount

    def clear(self, key: str) -> None:
        with get_engine().begin() as conn:
            conn.execute(delete(_T).where(_T.key == key))


def address_key() -> str:
    return f"addr:{request.remote_addr or '-'}"


def account_hash(email: str) -> str:
    """Names the account in counters and log lines without the address itself."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:16]


def account_key() -> str:
    return f"acct:{account_hash(request.form.get('email', ''))}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _breached(limit: RequestLimit) -> None:
    kind = "account" if "acct:" in limit.key else "address"
    log.warning("admin login throttled (%s limit %s): account %s from %s", kind, limit.limit,
                account_hash(request.form.get("email", "")), request.remote_addr)


limiter = Limiter(key_func=address_key, strategy="fixed-window", headers_enabled=False)


def login_limits(view: Any) -> Any:
    """The login view with both limits; each counts only the failed posts."""
    for limit, key in ((ADDRESS_LIMIT, address_key), (ACCOUNT_LIMIT, account_key)):
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed,
                             on_breach=_breached)(view)
    return view


def throttled(_exc: TooManyRequests) -> tuple[str, int]:
    """The login form again, with the reason, for a throttled login (429)."""
    from .forms import LoginForm

    return render_template("admin/login.html", form=LoginForm(), throttled=True), 429


def check_storage_uri(uri: str) -> None:
    """For the start-up check: a store Flask-Limiter can open (raises ValueError)."""
    if uri and uri != DB_STORAGE:
        try:
            storage_from_string(uri)
        except ConfigurationError as exc:
            raise ValueError(f"RATELIMIT_STORAGE_URI: {exc}") from None


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or DB_STORAGE
    limiter.init_app(app)
    # Only the login view is limited, and its decorated limits check themselves inside the view.
    # The app-wide check Flask-Limiter adds before every request (for default limits, which we do
    # not set) cost a third of a phone turn: it is taken out again.
    assert not app.config.get("RATELIMIT_DEFAULT"), "default limits need the app-wide check"
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
