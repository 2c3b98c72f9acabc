"""One-time links to set a password: staff make one for a login (a new user, or someone who
forgot theirs) and hand it over — by phone, on paper, or by e-mail when SMTP is configured.

The token is 256 random bits in the link; the database keeps only its SHA-256, so a copy of
the database opens nothing. A link works once (a conditional ``UPDATE … WHERE used_at IS NULL``
wins for exactly one request), until it expires (``PASSWORD_RESET_HOURS``), and only for an
active login; a new link for the same login ends the earlier ones.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from catalogue.models import PasswordReset, User
from catalogue import audit

from .users import by_actor, set_password


class Problem(enum.Enum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class ResetError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db: DbSession, user: User, by: User | None, hours: int, now: datetime) -> tuple[str, datetime]:
    """A new link's token and when it expires; earlier unused links of the user end now."""
    db.execute(update(PasswordReset)
               .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
               .values(used_at=now))
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    db.add(PasswordReset(user_id=user.id, token_hash=digest(token), created_at=now,
                         expires_at=expires, created_by_id=by.id if by else None))
    db.flush()
    audit.record(db, by_actor(by), "user.link", "user", user.id, now=now)
    return token, expires


def check(db: DbSession, token: str, now: datetime) -> PasswordReset:
    """The link's row, or ``ResetError`` saying why it does not work."""
    row = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(token)))
    if row is None or not row.user.active:
        raise ResetError(Problem.UNKNOWN)
    if row.used_at is not None:
        raise ResetError(Problem.USED)
    if now >= row.expires_at:
        raise ResetError(Problem.EXPIRED)
    return row


def use(db: DbSession, token: str, password: str, now: datetime) -> User:
    """Sets the password once; a second use of the same link, even at the same moment, gets
    ``ResetError(USED)``. ``users.UserError`` for a password too short (the link stays good)."""
    row = check(db, token, now)
    user = row.user
    set_password(user, password)
    claimed = db.execute(update(PasswordReset)
                         .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
                         .values(used_at=now)).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise ResetError(Problem.USED)
    audit.record(db, by_actor(user), "user.password", "user", user.id, now=now)
    return user
