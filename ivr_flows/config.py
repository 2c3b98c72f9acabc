"""The flows' settings from the app's configuration, read one way by every channel that builds
a ``Ctx`` (the phone's webhooks, the admin's "what callers hear")."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .engine import Settings
from .office_hours import OfficeHours

Key = tuple[str | None, str, int, bool, float]


def settings_key(config: Mapping[str, Any]) -> Key:
    """What the settings are made of: a channel keeps its ``Settings`` until this changes."""
    return (config.get("STAFF_PHONE_NUMBER") or None, str(config["OFFICE_HOURS"]),
            int(config.get("ROOM_JOIN_MINUTES", 15)), bool(config.get("ROOM_HOST_ENDS", True)),
            float(config.get("SPEECH_CONFIRM_BELOW", 0.0)))


def settings_from(config: Mapping[str, Any]) -> Settings:
    staff, hours, join, host_ends, confirm_below = settings_key(config)
    return Settings(staff_number=staff, office_hours=OfficeHours.parse(hours),
                    join_minutes=join, host_ends_room=host_ends, confirm_below=confirm_below)
