"""The audit log: who changed what, when, and how it was before and after (as pretix's and
Indico's logs keep it). Written only through ``catalogue.audit.record``; never a phone number in
clear (a caller is named by their id)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base
from ..timeutil import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # "admin" (a login), "phone" (a caller's own call), "system" (jobs, imports, the demo)
    channel: Mapped[str] = mapped_column(String(10))
    # The login, while it exists; ``actor`` keeps its e-mail as it was (the log outlives logins).
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)  # "registration.cancel"
    object_type: Mapped[str] = mapped_column(String(20))  # event, session, registration, …
    object_id: Mapped[int] = mapped_column(Integer)
    # Where it shows: the event's and the session's own pages gather their entries by these.
    event_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    session_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
