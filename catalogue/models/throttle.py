"""Counters for the admin's login throttling (``admin.throttle``): one row per limit and key.

In the database rather than in each process's memory, so that every worker of ``lampio serve``
and every host counts the same failed logins. The key names no e-mail address, only a hash.
"""
from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time the window ends
