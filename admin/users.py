"""Admin logins: creating and changing users (roles, deactivation, passwords), and the demo
logins ``python app.py`` prints.

Demo passwords are derived from the instance's secret key (HMAC), so they are different on every
installation, stable across restarts, and the start-up banner can print them without storing
them anywhere.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from werkzeug.security import check_password_hash, generate_password_hash

from catalogue import audit
from catalogue.models import Provider, User, UserRole

if TYPE_CHECKING:
    from flask import Flask

DEMO_STAFF_EMAIL = "staff@lampio.example"
DEMO_PROVIDER_EMAIL = "provider@lampio.example"
MIN_PASSWORD = 10
# A real hash of nothing anyone knows: checked against when the e-mail is unknown, so a login
# takes the same time whether or not the address exists.
_DUMMY_HASH = generate_password_hash("lampio-no-such-user")


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    provider: str | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserError(ValueError):
    """A change the admin refuses; the argument is a message key (``users.err.*``)."""


def create_user(db: DbSession, *, email: str, password: str | None, role: UserRole | str,
                provider_id: int | None = None, actor: audit.Actor | None = None) -> User:
    """``password=None``: no password anyone knows yet (the admin hands over a one-time link
    to set one, ``resets.issue``)."""
    role = UserRole(role)
    if password is None:
        password = secrets.token_urlsafe(32)
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    if role == UserRole.PROVIDER:
        if provider_id is None or db.get(Provider, provider_id) is None:
            raise ValueError("a provider user needs an existing --provider-id")
    else:
        provider_id = None
    email = normalise_email(email)
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise ValueError(f"a user {email} already exists")
    u = User(email=email, password_hash=generate_password_hash(password), role=role,
             provider_id=provider_id, active=True)
    db.add(u)
    db.flush()
    audit.record(db, actor, "user.create", "user", u.id,
                 after={"email": u.email, "role": u.role, "provider_id": u.provider_id})
    return u


def set_password(user: User, password: str) -> None:
    """A new password ends every session the user had (the session version moves on)."""
    if len(password) < MIN_PASSWORD:
        raise UserError("users.err.password_short")
    user.password_hash = generate_password_hash(password)
    user.session_version += 1


def set_role(db: DbSession, user: User, role: UserRole, provider_id: int | None, by: User) -> None:
    """Staff change a login's role and provider; nobody changes their own role (they could
    lock themselves out), and a provider login needs a provider."""
    if user.id == by.id and role != user.role:
        raise UserError("users.err.own_role")
    if role == UserRole.PROVIDER and (provider_id is None or db.get(Provider, provider_id) is None):
        raise UserError("users.err.provider_needed")
    before = audit.snapshot(user, ("role", "provider_id"))
    user.role = role
    user.provider_id = provider_id if role == UserRole.PROVIDER else None
    after = audit.snapshot(user, ("role", "provider_id"))
    if after != before:
        user.session_version += 1  # what the old sessions could see is not theirs any more
        audit.record(db, by_actor(by), "user.role", "user", user.id, before=before, after=after)


def set_active(db: DbSession, user: User, active: bool, by: User) -> None:
    """A deactivated login cannot log in, and its sessions end at once (``auth._load_user``
    refuses an inactive user; the version moves on too). Nobody deactivates themselves, and
    the last active staff login stays."""
    if not active:
        if user.id == by.id:
            raise UserError("users.err.own_login")
        others = db.scalar(select(func.count()).select_from(User).where(
            User.role == UserRole.STAFF, User.active.is_(True), User.id != user.id))
        if user.role == UserRole.STAFF and not others:
            raise UserError("users.err.last_staff")
        user.session_version += 1
    if active != user.active:
        audit.record(db, by_actor(by), "user.reactivate" if active else "user.deactivate", "user",
                     user.id, before={"active": user.active}, after={"active": active})
    user.active = active


def by_actor(by: User | None) -> audit.Actor | None:
    """The login making a change, as the audit log names it."""
    return audit.Actor("admin", by.id, by.email) if by is not None else None


def authenticate(db: DbSession, email: str, password: str) -> User | None:
    u = db.scalar(select(User).where(User.email == normalise_email(email)))
    if u is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not u.active or not check_password_hash(u.password_hash, password):
        return None
    return u


def demo_password(secret: str, email: str) -> str:
    digest = hmac.new(secret.encode(), f"lampio-demo:{email}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:16].lower()


def _secret(secret: str | None) -> str:
    if secret is not None:
        return secret
    from flask import current_app

    return str(current_app.config["SECRET_KEY"])


def demo_logins(db: DbSession, secret: str | None = None) -> list[DemoLogin]:
    """The demo logins as they are (or would be) created, for the banner."""
    key = _secret(secret)
    logins = [DemoLogin(DEMO_STAFF_EMAIL, demo_password(key, DEMO_STAFF_EMAIL), "staff")]
    prov = db.scalar(select(Provider).order_by(Provider.id).limit(1))
    if prov is not None:
        logins.append(DemoLogin(DEMO_PROVIDER_EMAIL, demo_password(key, DEMO_PROVIDER_EMAIL),
                                "provider", prov.name))
    return logins


def load_demo_users(db: DbSession, secret: str | None = None) -> list[DemoLogin]:
    """A demo staff login and a login for the first demo provider; idempotent. The passwords are
    reset to the derived ones on every start, so the banner is always right."""
    key = _secret(secret)
    prov = db.scalar(select(Provider).order_by(Provider.id).limit(1))
    wanted: list[tuple[str, UserRole, int | None]] = [(DEMO_STAFF_EMAIL, UserRole.STAFF, None)]
    if prov is not None:
        wanted.append((DEMO_PROVIDER_EMAIL, UserRole.PROVIDER, prov.id))
    for email, role, provider_id in wanted:
        u = db.scalar(select(User).where(User.email == email))
        password = demo_password(key, email)
        if u is None:
            u = User(email=email, role=role, provider_id=provider_id, active=True, password_hash="")
            db.add(u)
        elif not check_password_hash(u.password_hash, password):
            u.session_version += 1  # a new password (a new secret key) ends the old sessions
        u.password_hash = generate_password_hash(password)
    db.flush()
    return demo_logins(db, key)


def demo_banner_lines(db: DbSession, secret: str | None = None) -> list[str]:
    """For the start-up banner; empty when the demo logins were not created."""
    existing = set(db.scalars(select(User.email).where(
        User.email.in_([DEMO_STAFF_EMAIL, DEMO_PROVIDER_EMAIL]))))
    logins = [login for login in demo_logins(db, secret) if login.email in existing]
    if not logins:
        return []
    lines = ["Web admin demo logins (/admin):"]
    for login in logins:
        who = f"provider {login.provider}" if login.provider else login.role
        lines.append(f"  {login.email} / {login.password}  ({who})")
    return lines


def banner_lines(app: "Flask") -> list[str]:
    """The demo logins for ``startup_banner`` (nothing when they were not created)."""
    from catalogue.db import session_scope

    try:
        with session_scope(app) as db:
            return demo_banner_lines(db, str(app.config["SECRET_KEY"]))
    except Exception:  # the banner must never stop the start  # noqa: BLE001
        return []
