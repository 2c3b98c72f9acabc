"""Provider PINs: stored hashed (werkzeug's salted scrypt), and checked against counted tries.

One place for hashing, checking and counting, so the phone line, the CLI and the demo agree;
werkzeug is imported only when a PIN is actually set or checked, so the call flows load no web
framework.

A try is counted *before* the slow hash is compared, by one conditional ``UPDATE`` that also
sets the lock when the count reaches the limit: two guesses at the same moment can never both
see "not locked yet", and setting the lock never resets a count other guesses rely on (the
count starts again only once the lock has lifted). Three counts exist (DESIGN §6): the
provider's own phone (``own_pin_*``, so strangers cannot lock the provider out), everyone else
trying that provider number together (``pin_*`` on the provider, so many numbers together get
no more than the limit), and each calling number over all provider numbers (``pin_*`` on the
caller, which also locks a caller who guesses numbers that do not exist).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session as DbSession

from . import audit
from .database import begin_write
from .models import Caller, Provider

MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)


def hash_pin(pin: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(pin)


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    from werkzeug.security import check_password_hash

    return bool(pin_hash) and check_password_hash(pin_hash or "", pin)


@cache
def _dummy_hash() -> str:
    return hash_pin("no provider has this PIN")


def compare(pin_hash: str | None, pin: str) -> bool:
    """Compare with the stored hash, or with a dummy one when there is none, so an unknown
    provider number takes as long to refuse as a wrong PIN."""
    if not pin_hash:
        pin_matches(_dummy_hash(), pin)
        return False
    return pin_matches(pin_hash, pin)


class Count:
    """One failure count: the row (a provider or a caller) and which pair of columns."""

    def __init__(self, model: Any, row_id: int, own: bool = False) -> None:
        self.model, self.row_id = model, row_id
        prefix = "own_pin" if own else "pin"
        self.failures = getattr(model, f"{prefix}_failures")
        self.locked_until = getattr(model, f"{prefix}_locked_until")

    @classmethod
    def provider(cls, provider_id: int, own: bool) -> "Count":
        return cls(Provider, provider_id, own)

    @classmethod
    def caller(cls, caller_id: int) -> "Count":
        return cls(Caller, caller_id)


def claim(db: DbSession, count: Count, now: datetime) -> datetime | None:
    """Count one try before its PIN is compared. None: go on and compare; otherwise the time
    the lock lifts (the try was refused and not compared)."""
    until, failures = count.locked_until, count.failures
    lifted = and_(until.is_not(None), until <= now)
    new = case((lifted, 1), else_=failures + 1)
    result = db.execute(
        update(count.model)
        .where(count.model.id == count.row_id, or_(until.is_(None), until <= now))
        .values({failures: new, until: case((new >= MAX_FAILURES, now + LOCK_TIME), else_=None)})
        .execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) == 1:
        return None
    locked = db.scalar(select(until).where(count.model.id == count.row_id))
    return locked or now + LOCK_TIME


def locked_until(db: DbSession, count: Count, now: datetime) -> datetime | None:
    """When this count's lock lifts, or None when it is not locked (after a wrong PIN: the
    try that reached the limit is told at once)."""
    until = db.scalar(select(count.locked_until).where(count.model.id == count.row_id))
    return until if until is not None and until > now else None


def keep_claims(db: DbSession) -> None:
    """Commit the counted tries at once: a guess that fails later in its turn (or whose turn is
    rolled back) still counts, and the row lock is not held while the hash is compared."""
    db.commit()
    begin_write(db)


def locked_providers(db: DbSession, now: datetime) -> list[Provider]:
    """Providers whose PIN is locked now, for everyone else's tries or for their own phone."""
    return list(db.scalars(select(Provider).where(or_(Provider.pin_locked_until > now,
                                                     Provider.own_pin_locked_until > now))
                           .order_by(Provider.name)))


def unlock(db: DbSession, provider: Provider, actor: audit.Actor | None, now: datetime) -> None:
    """Staff lift a provider's locks (both counts start again); the caller commits."""
    before = audit.snapshot(provider, ("pin_locked_until", "own_pin_locked_until"))
    for own in (False, True):
        clear(db, Count.provider(provider.id, own))
    db.refresh(provider)
    audit.record(db, actor, "provider.pin_unlock", "provider", provider.id, before=before,
                 after=audit.snapshot(provider, ("pin_locked_until", "own_pin_locked_until")),
                 now=now)


def clear(db: DbSession, count: Count) -> None:
    """The right PIN: this count starts again from nothing."""
    db.execute(update(count.model).where(count.model.id == count.row_id)
               .values({count.failures: 0, count.locked_until: None})
               .execution_options(synchronize_session=False))
