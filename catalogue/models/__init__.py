"""The shared catalogue: what the phone reads and the admin writes.

Times are naive UTC datetimes in the database (SQLite keeps no zone) and are converted to
Europe/Helsinki only when spoken or shown (see ``catalogue.timeutil``). Two modules, so that
neither grows past a screenful of columns; import the names from here.
"""
from __future__ import annotations

from ..languages import LANGUAGES
from .programme import (
    ACTIVE,
    Caller,
    City,
    Event,
    Provider,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    SessionStatus,
)
from .outbound import CallKind, CallStatus, OutboundCall, OutboundPace
from .rooms import LiveRoom, RoomParticipant
from .records import (AudioDescription, CallbackRequest, CallLog, MenuVisit, PasswordReset,
                      SpeechHeard, User,
                      UserRole)
from .listening import ListeningPosition, SessionAudio
from .imports import ImportSource, SourceKind
from .throttle import LoginThrottle
from .audit import AuditEntry
from .. import changes  # noqa: E402,F401  (the programme's change counter and its flush hooks)

__all__ = ["ACTIVE", "LANGUAGES", "AudioDescription", "CallLog", "CallbackRequest", "Caller", "City",
           "Event", "ListeningPosition", "LiveRoom", "MenuVisit", "Provider", "Registration",
           "RegistrationStatus", "RoomParticipant", "Session", "SessionAudio", "SessionKind",
           "SessionStatus", "User", "UserRole"]
__all__ += ["ImportSource", "SourceKind"]
__all__ += ["CallKind", "CallStatus", "OutboundCall", "OutboundPace"]
__all__ += ["LoginThrottle", "PasswordReset", "AuditEntry", "SpeechHeard"]
