"""The languages the service speaks and shows, Finnish first (the default and the fallback)."""
from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
